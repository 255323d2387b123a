// bench-melspec: melspec throughput at librosa defaults on one thread, as
// ratios against baselines measured in this same run (the machines are
// shared and noisy, so absolute times alone mean little):
//   1. the DSP alone (lib/dsp) on 30 s of 22050 Hz audio;
//   2. `audiotestsrc ! melspec ! fakesink` against `audiotestsrc ! fakesink`
//      of the same length; melspec's own cost is the difference;
//   3. torchaudio's MelSpectrogram + AmplitudeToDB with the same parameters
//      on one thread, when /usr/bin/python3 has torchaudio;
//   4. resident memory while streaming an hour of audio (must stay flat).
#include <gst/gst.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "dsp/mel_spectrogram_stream.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRate = 22050;
constexpr double kSeconds = 30.0;
constexpr int kRepeats = 15;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

template <typename F>
double best_of(int repeats, F&& f) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) best = std::min(best, f());
  return best;
}

double time_dsp(const std::vector<float>& y) {
  static genre::dsp::MelSpectrogramStream stream{genre::dsp::MelSpectrogramConfig{}};
  std::vector<float> frames;
  frames.reserve(size_t(128) * (1 + y.size() / 512));
  const auto t0 = Clock::now();
  for (size_t at = 0; at < y.size(); at += 4096)
    stream.push(y.data() + at, std::min<size_t>(4096, y.size() - at), frames);
  stream.finish(frames);
  return seconds_since(t0);
}

double time_pipeline(const std::string& desc) {
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &err);
  if (!pipeline) {
    std::fprintf(stderr, "bench-melspec: %s\n", err->message);
    std::exit(1);
  }
  gst_element_set_state(pipeline, GST_STATE_PAUSED);
  gst_element_get_state(pipeline, nullptr, nullptr, GST_CLOCK_TIME_NONE);
  const auto t0 = Clock::now();
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE,
                                               GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const double t = seconds_since(t0);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error(msg, &err, nullptr);
    std::fprintf(stderr, "bench-melspec: %s\n", err->message);
    std::exit(1);
  }
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return t;
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> value;
      return value;
    }
    status.ignore(1 << 10, '\n');
  }
  return -1;
}

// RSS every 10 minutes of streamed audio, from a pad probe.
GstPadProbeReturn sample_rss(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* samples = static_cast<std::vector<long>*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime every = 600 * GST_SECOND;
  if (GST_BUFFER_PTS_IS_VALID(buf) && GST_BUFFER_PTS(buf) / every >= samples->size())
    samples->push_back(rss_kib());
  return GST_PAD_PROBE_OK;
}

std::vector<long> hour_rss() {
  const guint buffers = guint(3600.0 * kRate / 4096) + 1;
  const std::string desc = "audiotestsrc wave=white-noise samplesperbuffer=4096 num-buffers=" +
      std::to_string(buffers) + " ! audio/x-raw,format=F32LE,rate=22050,channels=1 ! melspec name=m ! fakesink";
  GstElement* pipeline = gst_parse_launch(desc.c_str(), nullptr);
  GstElement* mel = gst_bin_get_by_name(GST_BIN(pipeline), "m");
  GstPad* src = gst_element_get_static_pad(mel, "src");
  std::vector<long> samples;
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, sample_rss, &samples, nullptr);
  gst_object_unref(src);
  gst_object_unref(mel);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_message_unref(gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE,
                                               GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  samples.push_back(rss_kib());
  return samples;
}

// Seconds torchaudio takes for the same 30 s, or a negative value if absent.
double time_torchaudio(const char* script) {
  const std::string cmd = std::string("/usr/bin/python3 ") + script + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  double t = -1;
  if (std::fscanf(p, "%lf", &t) != 1) t = -1;
  pclose(p);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  const char* torch_script = argc > 1 ? argv[1] : nullptr;
  std::vector<float> y(size_t(kSeconds * kRate));
  for (size_t i = 0; i < y.size(); ++i)
    y[i] = float(0.3 * std::sin(2 * M_PI * 440.0 * i / kRate) + 0.1 * std::sin(0.37 * double(i) * i / kRate));

  std::printf("melspec benchmark: librosa defaults (n_fft 2048, hop 512, 128 mels, dB), %g s at %d Hz, "
              "one thread, best of %d\n", kSeconds, kRate, kRepeats);
  const double dsp = best_of(kRepeats, [&] { return time_dsp(y); });
  std::printf("  lib/dsp alone:            %8.2f ms  = %7.0fx real time (target >= 5000x)\n", dsp * 1e3,
              kSeconds / dsp);

  const guint buffers = guint(kSeconds * kRate / 4096);  // 29.7 s in 4096-sample buffers
  const double audio_seconds = buffers * 4096.0 / kRate;
  const std::string src = "audiotestsrc wave=sine samplesperbuffer=4096 num-buffers=" + std::to_string(buffers) +
                          " ! audio/x-raw,format=F32LE,rate=22050,channels=1";
  const double base = best_of(kRepeats, [&] { return time_pipeline(src + " ! fakesink"); });
  const double with = best_of(kRepeats, [&] { return time_pipeline(src + " ! melspec ! fakesink"); });
  const double own = std::max(with - base, 1e-9);
  std::printf("  baseline src ! fakesink:  %8.2f ms\n", base * 1e3);
  std::printf("  src ! melspec ! fakesink: %8.2f ms  = %.2fx the baseline\n", with * 1e3, with / base);
  std::printf("  melspec's own share:      %8.2f ms  = %7.0fx real time (target >= 5000x)\n", own * 1e3,
              audio_seconds / own);

  if (torch_script) {
    const double torch = time_torchaudio(torch_script);
    if (torch > 0)
      std::printf("  torchaudio MelSpectrogram+AmplitudeToDB, 1 thread: %8.2f ms; lib/dsp is %.2fx its "
                  "throughput (target >= 2.5x)\n", torch * 1e3, torch / dsp);
    else
      std::printf("  torchaudio: not measured (/usr/bin/python3 has no torchaudio)\n");
  }

  const auto rss = hour_rss();
  std::printf("  RSS streaming one hour (every 10 min, KiB):");
  for (long r : rss) std::printf(" %ld", r);
  // From the 10-minute mark on: the first sample still sees start-up allocations.
  const long growth = rss.back() - rss[std::min<size_t>(1, rss.size() - 1)];
  std::printf("\n  RSS growth from 10 min to 60 min: %ld KiB (%s)\n", growth, growth < 2048 ? "flat" : "GROWING");
  gst_deinit();
  return 0;
}
