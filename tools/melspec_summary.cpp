// melspec-summary: runs a real melspec pipeline and prints what it computed.
// With no argument the input is a generated 440 Hz tone with a 1 kHz
// overtone (10 s at 44.1 kHz, resampled to 22050 Hz); with a file path the
// file is decoded instead.
#include <gst/gst.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "dsp/mel_scale.h"
#include "command_line.h"
#include "text/terminal_text.h"

namespace {

struct Summary {
  guint n_mels = 0;
  guint64 frames = 0;
  guint buffers = 0;
  GstClockTime first = GST_CLOCK_TIME_NONE;
  GstClockTime end = 0;
  float min_db = std::numeric_limits<float>::infinity();
  float max_db = -std::numeric_limits<float>::infinity();
  std::vector<double> band_energy;  // mean dB per mel band
};

bool read_dims(GstCaps* caps, guint* n_mels, guint* frames) {
  const char* dims = gst_structure_get_string(gst_caps_get_structure(caps, 0), "dimensions");
  return dims && std::sscanf(dims, "%u:%u", n_mels, frames) == 2;
}

GstFlowReturn on_sample(GstElement* sink, Summary* sum) {
  GstSample* sample = nullptr;
  g_signal_emit_by_name(sink, "pull-sample", &sample);
  if (!sample) return GST_FLOW_EOS;
  guint n_mels = 0, frames = 0;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  if (read_dims(gst_sample_get_caps(sample), &n_mels, &frames)) {
    GstMapInfo map;
    gst_buffer_map(buf, &map, GST_MAP_READ);
    const auto* v = reinterpret_cast<const float*>(map.data);
    const size_t count = map.size / sizeof(float);
    sum->n_mels = n_mels;
    sum->band_energy.resize(n_mels, 0.0);
    for (size_t i = 0; i < count; ++i) {
      sum->min_db = std::min(sum->min_db, v[i]);
      sum->max_db = std::max(sum->max_db, v[i]);
      sum->band_energy[i % n_mels] += v[i];
    }
    gst_buffer_unmap(buf, &map);
    sum->frames += count / n_mels;
    sum->buffers++;
    if (!GST_CLOCK_TIME_IS_VALID(sum->first)) sum->first = GST_BUFFER_PTS(buf);
    sum->end = GST_BUFFER_PTS(buf) + GST_BUFFER_DURATION(buf);
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

// Centre frequency of Slaney mel band `m` of `n` between 0 and fmax Hz.
double band_centre_hz(int m, int n, double fmax) {
  using genre::dsp::hz_to_mel;
  using genre::dsp::mel_to_hz;
  return mel_to_hz(hz_to_mel(fmax, false) * (m + 1) / (n + 1), false);
}

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  CLI::App app{"Runs a real melspec pipeline and prints what it computed: frames, mel bands, time range, level "
               "and the loudest band. The input is AUDIO-FILE decoded, or without it a generated 440 Hz tone "
               "(10 s at 44.1 kHz, resampled to 22050 Hz). Needs the plugin on GST_PLUGIN_PATH (meson devenv).",
               "melspec-summary"};
  app.add_option("AUDIO-FILE", file, "Audio file to decode instead of the generated tone");
  app.footer("Exit status: 0 success, 1 the pipeline failed or produced nothing, 2 usage error.");
  if (const int status = genre::tools::parse_command_line(app, argc, argv); status >= 0) return status;
  gst_init(nullptr, nullptr);  // flags are ours: GStreamer's own (--gst-*) are not taken
  // The file's name is set as a property, not parsed from the description: a name
  // with any bytes (UTF-8, quotes, control characters) reaches filesrc as it is.
  std::string source;
  if (!file.empty()) {
    source = "filesrc name=src ! decodebin";
  } else {
    source = "audiotestsrc wave=sine freq=440 volume=0.5 num-buffers=430 samplesperbuffer=1024 "
             "! audio/x-raw,rate=44100,channels=1";
  }
  const std::string desc = source +
      " ! audioconvert ! audioresample ! melspec name=mel sample-rate=22050 "
      "! appsink name=out emit-signals=true sync=false";

  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &error);
  if (!pipeline) {
    std::fprintf(stderr, "melspec-summary: %s (is the plugin on GST_PLUGIN_PATH? run through "
                 "'meson devenv -C build')\n", genre::text::escape_controls(error->message).c_str());
    g_error_free(error);
    return 1;
  }
  if (!file.empty()) {
    GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    g_object_set(src, "location", file.c_str(), nullptr);
    gst_object_unref(src);
  }
  Summary sum;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  g_signal_connect(sink, "new-sample", G_CALLBACK(on_sample), &sum);
  gst_object_unref(sink);

  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE,
      GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  int rc = 0;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(msg, &err, &debug);
    std::fprintf(stderr, "melspec-summary: %s: %s (%s)\n",
                 genre::text::escape_controls(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg))).c_str(),
                 genre::text::escape_controls(err->message).c_str(),
                 genre::text::escape_controls(debug ? debug : "no details").c_str());
    g_error_free(err);
    g_free(debug);
    rc = 1;
  }
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  if (rc != 0) return rc;
  if (sum.frames == 0) {
    std::fprintf(stderr, "melspec-summary: the pipeline produced no frames\n");
    return 1;
  }

  const auto loudest = std::max_element(sum.band_energy.begin(), sum.band_energy.end());
  const int band = int(loudest - sum.band_energy.begin());
  std::printf("input:        %s\n",
              !file.empty() ? genre::text::escape_controls(file).c_str() : "generated 440 Hz sine, 10 s at 44100 Hz");
  std::printf("pipeline:     %s\n", desc.c_str());
  std::printf("spectrogram:  %llu frames x %u mel bands in %u buffers\n",
              (unsigned long long)sum.frames, sum.n_mels, sum.buffers);
  std::printf("time range:   %.3f s .. %.3f s\n", sum.first / 1e9, sum.end / 1e9);
  std::printf("level:        min %.1f dB, max %.1f dB\n", sum.min_db, sum.max_db);
  std::printf("loudest band: %d (centre %.0f Hz)\n", band,
              band_centre_hz(band, int(sum.n_mels), 11025.0));
  gst_deinit();
  return 0;
}
