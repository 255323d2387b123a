// genreclassify in pipelines, each figure next to a baseline from the same run:
//   1. file classification speed, 3 s windows every second, as a multiple of
//      real time, for the cnn (128x128x1) and resnet18 (224x224x3): the whole
//      pipeline vs the same pipeline without genreclassify (decoding and
//      spectrogram images alone);
//   2. live latency: from the end of a window (its running time) to its
//      `genre` message, vs to its arrival at genreclassify;
//   3. resident memory over an hour of audio (not live, as fast as it goes),
//      sampled every 5 minutes of audio, vs the same pipeline without
//      genreclassify; each in a fresh process.
//
// usage: bench_classify [AUDIO_SECONDS LIVE_SECONDS RSS_SECONDS]
#include <gst/gst.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/bundle.h"
#include "model/model_factory.h"
#include "test_bundles.h"

namespace fs = std::filesystem;

namespace {

std::string middle(int width, int height, int channels, const char* melspec_extra = "") {
  return std::string("melspec sample-rate=22050 ") + melspec_extra + " ! specresize window-frames=129 hop-frames=43 width=" +
         std::to_string(width) + " height=" + std::to_string(height) + " channels=" + std::to_string(channels) +
         (channels == 3 ? " normalization=imagenet" : "");
}

std::string write_bundle(const fs::path& dir, const std::string& name, int size, int channels) {
  torch::manual_seed(3);
  genre::model::ModelSpec spec;
  spec.name = name;
  spec.channels = channels;
  spec.height = spec.width = size;
  spec.heads = {16};
  genre::model::BuiltModel built = genre::model::build_model(spec);
  built.module.eval();
  genre::model::BundleInfo info;
  info.model = name;
  info.regime = "standard";
  info.heads = {"fine"};
  info.input_shape = {channels, size, size};
  for (int i = 0; i < 16; ++i) info.classes.fine.push_back({i, "genre" + std::to_string(i), i + 1, i % 4});
  for (int i = 0; i < 4; ++i) info.classes.macro.push_back({i, "macro" + std::to_string(i), -1, -1});
  info.preprocessing = genre::test::capture_preprocessing(middle(size, size, channels));
  const std::string path = (dir / (name + ".pt")).string();
  genre::model::save_bundle(built.module, info, path);
  return path;
}

struct RunTime {
  double total = -1;    // wall seconds from PLAYING to EOS (-1 on error)
  double startup = 0;   // of which the state change to PLAYING (genreclassify loads its model there)
};

// Runs a pipeline to EOS.
RunTime run_timed(const std::string& desc) {
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &error);
  if (!pipeline || error) {
    std::fprintf(stderr, "cannot build %s: %s\n", desc.c_str(), error ? error->message : "?");
    return {};
  }
  const auto t0 = std::chrono::steady_clock::now();
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  RunTime t;
  t.startup = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  t.total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    std::fprintf(stderr, "pipeline error: %s\n", err->message);
    g_error_free(err);
    t.total = -1;
  }
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return t;
}

double run_to_eos(const std::string& desc) { return run_timed(desc).total; }

// ---- 1. file speed --------------------------------------------------------------------------

void file_speed(const fs::path& dir, const std::string& cnn, const std::string& resnet, int audio_seconds) {
  const std::string mp3 = (dir / "music.mp3").string();
  run_to_eos("audiotestsrc num-buffers=" + std::to_string(audio_seconds * 44100 / 1024) +
             " wave=pink-noise ! audioconvert ! lamemp3enc ! filesink location=" + mp3);
  std::printf("\n1. file classification, %d s MP3, 3 s windows every 1 s (%d windows), one pipeline\n",
              audio_seconds, audio_seconds - 2);
  const std::string front = "filesrc location=" + mp3 + " ! decodebin ! audioconvert ! audioresample ! ";
  struct Case { const char* label; int size, channels; std::string model; };
  for (const Case& c : {Case{"cnn 128x128x1", 128, 1, cnn}, Case{"resnet18 224x224x3", 224, 3, resnet}}) {
    const double base = run_to_eos(front + middle(c.size, c.channels == 3 ? c.size : c.size, c.channels) + " ! fakesink");
    for (const char* props : {"threads=1 batch=1", "threads=1 batch=8", "threads=2 batch=1", "threads=2 batch=8"}) {
      const RunTime t = run_timed(front + middle(c.size, c.size, c.channels) + " ! genreclassify model=" + c.model +
                                  " " + props + " ! fakesink");
      std::printf("  %-20s %-18s %7.1fx real time (%.2f s, of which %.2f s loading the model: %.1fx without it); "
                  "without genreclassify %6.1fx (%.2f s)\n",
                  c.label, props, audio_seconds / t.total, t.total, t.startup, audio_seconds / (t.total - t.startup),
                  audio_seconds / base, base);
    }
  }
}

// ---- 2. live latency ------------------------------------------------------------------------

struct LatencyProbe {
  GstElement* pipeline = nullptr;
  std::mutex mutex;
  std::vector<double> arrival_ms, message_ms;
};

GstClockTime now_running(GstElement* pipeline) {
  GstClock* clock = gst_element_get_clock(pipeline);
  if (!clock) return GST_CLOCK_TIME_NONE;
  const GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  return now - gst_element_get_base_time(pipeline);
}

// At genreclassify's sink pad: when a window (PTS + duration = its end) arrives.
GstPadProbeReturn on_window_arrives(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* p = static_cast<LatencyProbe*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime now = now_running(p->pipeline);
  GstEvent* seg_event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
  if (seg_event && GST_CLOCK_TIME_IS_VALID(now)) {
    const GstSegment* seg;
    gst_event_parse_segment(seg_event, &seg);
    const GstClockTime end = gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buf) + GST_BUFFER_DURATION(buf));
    std::lock_guard<std::mutex> lock(p->mutex);
    p->arrival_ms.push_back((double(now) - double(end)) / 1e6);
  }
  if (seg_event) gst_event_unref(seg_event);
  return GST_PAD_PROBE_OK;
}

// Synchronously, as genreclassify posts: the window's end is its running-time + duration.
GstBusSyncReply on_message(GstBus*, GstMessage* msg, gpointer data) {
  auto* p = static_cast<LatencyProbe*>(data);
  const GstStructure* s = gst_message_get_structure(msg);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT && s && gst_structure_has_name(s, "genre")) {
    gboolean final = FALSE;
    guint64 rt = 0, duration = 0;
    gst_structure_get_boolean(s, "final", &final);
    gst_structure_get_uint64(s, "running-time", &rt);
    gst_structure_get_uint64(s, "duration", &duration);
    const GstClockTime now = now_running(p->pipeline);
    if (!final && GST_CLOCK_TIME_IS_VALID(now)) {
      std::lock_guard<std::mutex> lock(p->mutex);
      p->message_ms.push_back((double(now) - double(rt + duration)) / 1e6);
    }
  }
  return GST_BUS_PASS;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(q * double(v.size())))];
}

void live_latency(const std::string& model, const char* label, int size, int channels, int seconds) {
  const std::string desc = "audiotestsrc is-live=true samplesperbuffer=256 wave=pink-noise ! audioconvert ! "
                           "audioresample ! " + middle(size, size, channels, "frames-per-buffer=4") +
                           " ! queue leaky=downstream max-size-time=1000000000 max-size-buffers=0 max-size-bytes=0 ! "
                           "genreclassify name=c threads=2 model=" + model + " ! fakesink sync=false";
  LatencyProbe probe;
  probe.pipeline = gst_parse_launch(desc.c_str(), nullptr);
  GstElement* c = gst_bin_get_by_name(GST_BIN(probe.pipeline), "c");
  GstPad* sink = gst_element_get_static_pad(c, "sink");
  gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, on_window_arrives, &probe, nullptr);
  GstBus* bus = gst_element_get_bus(probe.pipeline);
  gst_bus_set_sync_handler(bus, on_message, &probe, nullptr);
  gst_element_set_state(probe.pipeline, GST_STATE_PLAYING);
  g_usleep(gulong(seconds) * G_USEC_PER_SEC);
  guint64 skipped = 0;  // windows the leaky queue dropped
  g_object_get(c, "skipped", &skipped, nullptr);
  gst_element_set_state(probe.pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
  gst_object_unref(sink);
  gst_object_unref(c);
  gst_object_unref(probe.pipeline);
  std::lock_guard<std::mutex> lock(probe.mutex);
  std::printf("  %-20s %3zu windows, %llu skipped: window end -> at genreclassify p50 %6.1f ms p99 %6.1f ms (baseline); "
              "-> genre message p50 %6.1f ms p99 %6.1f ms (+%.1f ms p50)\n",
              label, probe.message_ms.size(), (unsigned long long)skipped, percentile(probe.arrival_ms, 0.5),
              percentile(probe.arrival_ms, 0.99), percentile(probe.message_ms, 0.5), percentile(probe.message_ms, 0.99),
              percentile(probe.message_ms, 0.5) - percentile(probe.arrival_ms, 0.5));
}

// ---- 3. memory over an hour ------------------------------------------------------------------

double rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

struct RssSampler {
  std::atomic<guint64> buffers{0};
  guint64 every = 0;
  std::mutex mutex;
  std::vector<double> samples;
};

GstPadProbeReturn on_audio(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto* s = static_cast<RssSampler*>(data);
  if (++s->buffers % s->every == 0) {
    std::lock_guard<std::mutex> lock(s->mutex);
    s->samples.push_back(rss_mb());
  }
  return GST_PAD_PROBE_OK;
}

std::vector<double> rss_over(const std::string& tail, int seconds) {
  // 0.1 s buffers of 22050 Hz mono: a sample every 5 minutes of audio.
  const std::string desc = "audiotestsrc name=src samplesperbuffer=2205 num-buffers=" + std::to_string(seconds * 10) +
                           " wave=pink-noise ! audio/x-raw,rate=22050,channels=1 ! audioconvert ! " + tail;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), nullptr);
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstPad* pad = gst_element_get_static_pad(src, "src");
  RssSampler sampler;
  sampler.every = 3000;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_audio, &sampler, nullptr);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pad);
  gst_object_unref(src);
  gst_object_unref(pipeline);
  return sampler.samples;
}

// Each variant in a fresh process of this program: RSS that earlier runs in
// this one left behind (freed memory glibc keeps) would hide any growth.
std::vector<double> rss_in_child(const char* self, const std::string& tail, int seconds) {
  const std::string cmd = std::string(self) + " --rss '" + tail + "' " + std::to_string(seconds);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::vector<double> samples;
  double v;
  while (pipe && std::fscanf(pipe.get(), "%lf", &v) == 1) samples.push_back(v);
  return samples;
}

void print_rss(const char* label, const std::vector<double>& s) {
  std::printf("  %-34s", label);
  for (double v : s) std::printf(" %.1f", v);
  if (s.size() >= 3)
    std::printf("  MiB; growth after the first 10 min: %+.1f MiB\n", s.back() - s[1]);
  else
    std::printf("  MiB\n");
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  if (argc == 4 && std::string(argv[1]) == "--rss") {  // the child of rss_in_child
    for (double v : rss_over(argv[2], std::atoi(argv[3]))) std::printf("%.1f\n", v);
    return 0;
  }
  const int audio_seconds = argc > 1 ? std::atoi(argv[1]) : 120;
  const int live_seconds = argc > 2 ? std::atoi(argv[2]) : 20;
  const int rss_seconds = argc > 3 ? std::atoi(argv[3]) : 3600;
  const fs::path dir = fs::temp_directory_path() / ("genre-bench-classify-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string cnn = write_bundle(dir, "cnn", 128, 1);
  const std::string resnet = write_bundle(dir, "resnet18", 224, 3);

  file_speed(dir, cnn, resnet, audio_seconds);

  std::printf("\n2. live latency, audiotestsrc is-live=true, melspec frames-per-buffer=4, %d s each\n", live_seconds);
  live_latency(cnn, "cnn 128x128x1", 128, 1, live_seconds);
  live_latency(resnet, "resnet18 224x224x3", 224, 3, live_seconds);

  std::printf("\n3. resident memory over %d s of audio (cnn, not live), every 300 s of audio\n", rss_seconds);
  const std::string chain = middle(128, 128, 1);
  print_rss("without genreclassify (baseline)", rss_in_child(argv[0], chain + " ! fakesink", rss_seconds));
  print_rss("with genreclassify", rss_in_child(argv[0], chain + " ! genreclassify threads=2 model=" + cnn + " ! fakesink",
                                               rss_seconds));
  fs::remove_all(dir);
  return 0;
}
