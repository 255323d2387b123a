// melspec through GstHarness and real pipelines.
#include <gst/audio/audio.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dsp/mel_spectrogram_stream.h"
#include "gst_test_util.h"
#include "test_paths.h"

using genre::test::current_caps_string;
using genre::test::ErrorBus;

namespace {

constexpr int kRate = 22050;
constexpr int kMels = 128;
constexpr int kHop = 512;
const char* kMonoCaps = "audio/x-raw, format=F32LE, layout=interleaved, channels=1, rate=22050";

std::vector<float> make_signal(size_t n) {
  std::vector<float> y(n);
  for (size_t i = 0; i < n; ++i) {
    const double t = double(i) / kRate;
    y[i] = float(0.5 * std::sin(2 * M_PI * 440 * t) + 0.2 * std::sin(2 * M_PI * (200 + 500 * t) * t));
  }
  return y;
}

std::vector<float> lib_frames(const std::vector<float>& y, const genre::dsp::MelSpectrogramConfig& c = {}) {
  genre::dsp::MelSpectrogramStream s(c);
  std::vector<float> frames;
  s.push(y.data(), y.size(), frames);
  s.finish(frames);
  return frames;
}

GstClockTime samples_to_time(guint64 n) { return gst_util_uint64_scale_int(n, GST_SECOND, kRate); }

GstBuffer* audio_buffer(const float* data, size_t n, guint64 first_sample, GstClockTime base = 0) {
  GstBuffer* buf = gst_buffer_new_memdup(data, n * sizeof(float));
  GST_BUFFER_PTS(buf) = base + samples_to_time(first_sample);
  GST_BUFFER_DURATION(buf) = samples_to_time(first_sample + n) - samples_to_time(first_sample);
  return buf;
}

// Pushes y in chunks with continuous timestamps starting at `base`.
void push_chunks(GstHarness* h, const std::vector<float>& y, size_t chunk, GstClockTime base = 0) {
  for (size_t at = 0; at < y.size(); at += chunk) {
    const size_t n = std::min(chunk, y.size() - at);
    ASSERT_EQ(gst_harness_push(h, audio_buffer(y.data() + at, n, at, base)), GST_FLOW_OK);
  }
}

struct Output {
  std::vector<float> frames;
  std::vector<GstBuffer*> buffers;
  ~Output() {
    for (GstBuffer* b : buffers) gst_buffer_unref(b);
  }
};

void pull_all(GstHarness* h, Output* out) {
  while (GstBuffer* b = gst_harness_try_pull(h)) {
    GstMapInfo map;
    gst_buffer_map(b, &map, GST_MAP_READ);
    const auto* v = reinterpret_cast<const float*>(map.data);
    out->frames.insert(out->frames.end(), v, v + map.size / sizeof(float));
    gst_buffer_unmap(b, &map);
    out->buffers.push_back(b);
  }
}

}  // namespace

TEST(Melspec, OutputCapsAreStaticTensors) {
  GstHarness* h = gst_harness_new("melspec");
  gst_harness_set_src_caps_str(h, kMonoCaps);
  const auto y = make_signal(kRate);
  push_chunks(h, y, 4096);
  const std::string caps = current_caps_string(h);
  EXPECT_NE(caps.find("other/tensors"), std::string::npos) << caps;
  EXPECT_NE(caps.find("format=(string)static"), std::string::npos) << caps;
  EXPECT_NE(caps.find("num_tensors=(int)1"), std::string::npos) << caps;
  EXPECT_NE(caps.find("types=(string)float32"), std::string::npos) << caps;
  EXPECT_NE(caps.find("dimensions=(string)128:32:1:1"), std::string::npos) << caps;
  // 22050 / (512 * 32) reduced.
  EXPECT_NE(caps.find("framerate=(fraction)11025/8192"), std::string::npos) << caps;
  EXPECT_NE(caps.find("spectrum-scale=(string)db"), std::string::npos) << caps;
  gst_harness_teardown(h);
}

TEST(Melspec, ChunkingDoesNotChangeFrames) {
  const auto y = make_signal(2 * kRate + 77);
  const auto want = lib_frames(y);
  ASSERT_EQ(want.size(), size_t(kMels) * (1 + y.size() / kHop));
  for (size_t chunk : {size_t(1), size_t(7), size_t(1000), size_t(44100)}) {
    GstHarness* h = gst_harness_new("melspec");
    gst_harness_set_src_caps_str(h, kMonoCaps);
    push_chunks(h, y, chunk);
    gst_harness_push_event(h, gst_event_new_eos());
    Output out;
    pull_all(h, &out);
    ASSERT_EQ(out.frames.size(), want.size()) << "chunk " << chunk;
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_LE(std::abs(out.frames[i] - want[i]), 1e-6 * std::max(1.f, std::abs(want[i])))
          << "chunk " << chunk << " value " << i;
    gst_harness_teardown(h);
  }
}

TEST(Melspec, TimestampsOffsetsAndShortLastBuffer) {
  const auto y = make_signal(3 * kRate);  // 1 + 66150 // 512 = 130 frames
  GstHarness* h = gst_harness_new("melspec");
  g_object_set(h->element, "frames-per-buffer", 16u, nullptr);
  gst_harness_set_src_caps_str(h, kMonoCaps);
  const GstClockTime base = 7 * GST_SECOND;
  push_chunks(h, y, 1000, base);
  gst_harness_push_event(h, gst_event_new_eos());
  Output out;
  pull_all(h, &out);
  ASSERT_EQ(out.buffers.size(), 9u);  // 8 x 16 + 2
  guint64 frame = 0;
  for (size_t i = 0; i < out.buffers.size(); ++i) {
    GstBuffer* b = out.buffers[i];
    const guint64 n = gst_buffer_get_size(b) / (kMels * sizeof(float));
    EXPECT_EQ(n, i < 8 ? 16u : 2u);
    EXPECT_EQ(GST_BUFFER_PTS(b), base + samples_to_time(frame * kHop)) << i;
    EXPECT_EQ(GST_BUFFER_PTS(b) + GST_BUFFER_DURATION(b), base + samples_to_time((frame + n) * kHop)) << i;
    EXPECT_EQ(GST_BUFFER_OFFSET(b), frame);
    EXPECT_EQ(GST_BUFFER_OFFSET_END(b), frame + n);
    EXPECT_EQ(GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DISCONT), i == 0);
    frame += n;
  }
  // The short last buffer was announced by caps with its frame count.
  EXPECT_NE(current_caps_string(h).find("dimensions=(string)128:2:1:1"), std::string::npos);
  gst_harness_teardown(h);
}

TEST(Melspec, DiscontRestartsTheFrameGrid) {
  const auto a = make_signal(kRate), b = make_signal(kRate / 2);
  GstHarness* h = gst_harness_new("melspec");
  gst_harness_set_src_caps_str(h, kMonoCaps);
  push_chunks(h, a, 2048);
  GstBuffer* first_b = audio_buffer(b.data(), b.size(), 0, 10 * GST_SECOND);
  GST_BUFFER_FLAG_SET(first_b, GST_BUFFER_FLAG_DISCONT);
  ASSERT_EQ(gst_harness_push(h, first_b), GST_FLOW_OK);
  gst_harness_push_event(h, gst_event_new_eos());
  Output out;
  pull_all(h, &out);
  auto want = lib_frames(a);
  const auto want_b = lib_frames(b);
  want.insert(want.end(), want_b.begin(), want_b.end());
  ASSERT_EQ(out.frames.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_FLOAT_EQ(out.frames[i], want[i]) << i;
  // The first buffer of the second signal starts at its own time, frame 0.
  const size_t frames_a = 1 + a.size() / kHop;
  guint64 seen = 0;
  for (GstBuffer* buf : out.buffers) {
    if (seen == frames_a) {
      EXPECT_EQ(GST_BUFFER_PTS(buf), 10 * GST_SECOND);
      EXPECT_EQ(GST_BUFFER_OFFSET(buf), 0u);
      EXPECT_TRUE(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT));
    }
    seen += gst_buffer_get_size(buf) / (kMels * sizeof(float));
  }
  gst_harness_teardown(h);
}

TEST(Melspec, NewSegmentRestartsTheFrameGrid) {
  const auto a = make_signal(kRate), b = make_signal(kRate / 3);
  GstHarness* h = gst_harness_new("melspec");
  gst_harness_set_src_caps_str(h, kMonoCaps);
  push_chunks(h, a, 3000);
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  segment.start = segment.time = segment.position = 20 * GST_SECOND;
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_segment(&segment)));
  push_chunks(h, b, 3000, 20 * GST_SECOND);
  gst_harness_push_event(h, gst_event_new_eos());
  Output out;
  pull_all(h, &out);
  auto want = lib_frames(a);
  const auto want_b = lib_frames(b);
  want.insert(want.end(), want_b.begin(), want_b.end());
  ASSERT_EQ(out.frames, want);
  // The first signal's tail precedes the new segment; the second starts at 20 s, frame 0.
  GstBuffer* last = out.buffers.back();
  const guint64 n = gst_buffer_get_size(last) / (kMels * sizeof(float));
  EXPECT_EQ(n, want_b.size() / kMels);  // 1 + 7350 // 512 = 15 frames: one short buffer
  EXPECT_EQ(GST_BUFFER_PTS(last), 20 * GST_SECOND);
  EXPECT_EQ(GST_BUFFER_OFFSET(last), 0u);
  EXPECT_TRUE(GST_BUFFER_FLAG_IS_SET(last, GST_BUFFER_FLAG_DISCONT));
  gst_harness_teardown(h);
}

TEST(Melspec, SmallTimestampGapIsZeroFilled) {
  const auto y = make_signal(kRate);
  const size_t gap = 3000;  // samples missing between the halves
  GstHarness* h = gst_harness_new("melspec");
  gst_harness_set_src_caps_str(h, kMonoCaps);
  const size_t half = y.size() / 2;
  ASSERT_EQ(gst_harness_push(h, audio_buffer(y.data(), half, 0)), GST_FLOW_OK);
  ASSERT_EQ(gst_harness_push(h, audio_buffer(y.data() + half, y.size() - half, half + gap)), GST_FLOW_OK);
  gst_harness_push_event(h, gst_event_new_eos());
  Output out;
  pull_all(h, &out);
  std::vector<float> filled(y.begin(), y.begin() + half);
  filled.resize(half + gap, 0.f);
  filled.insert(filled.end(), y.begin() + half, y.end());
  const auto want = lib_frames(filled);
  ASSERT_EQ(out.frames.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_FLOAT_EQ(out.frames[i], want[i]) << i;
  gst_harness_teardown(h);
}

TEST(Melspec, LargeGapStartsANewSignal) {
  const auto y = make_signal(kRate);
  GstHarness* h = gst_harness_new("melspec");
  gst_harness_set_src_caps_str(h, kMonoCaps);
  push_chunks(h, y, 4096);
  push_chunks(h, y, 4096, 60 * GST_SECOND);
  gst_harness_push_event(h, gst_event_new_eos());
  Output out;
  pull_all(h, &out);
  EXPECT_EQ(out.frames.size(), 2 * lib_frames(y).size());
  gst_harness_teardown(h);
}

TEST(Melspec, FlushDropsTheSignal) {
  const auto y = make_signal(kRate);
  GstHarness* h = gst_harness_new("melspec");
  gst_harness_set_src_caps_str(h, kMonoCaps);
  push_chunks(h, std::vector<float>(y.begin(), y.begin() + 5000), 1000);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_flush_start()));
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_segment(&segment)));
  Output dropped;
  pull_all(h, &dropped);  // whole buffers from before the flush
  push_chunks(h, y, 1000);
  gst_harness_push_event(h, gst_event_new_eos());
  Output out;
  pull_all(h, &out);
  EXPECT_EQ(out.frames, lib_frames(y));
  ASSERT_FALSE(out.buffers.empty());
  EXPECT_EQ(GST_BUFFER_OFFSET(out.buffers[0]), 0u);
  gst_harness_teardown(h);
}

namespace {

GstEvent* caps_event(const char* text) {
  GstCaps* caps = gst_caps_from_string(text);
  GstEvent* event = gst_event_new_caps(caps);
  gst_caps_unref(caps);
  return event;
}

}  // namespace

// An upstream element may send the same caps again mid-stream (a renegotiation
// that changes nothing): the signal goes on, frame for frame as without it,
// with no end padding, no new frame grid and no second DISCONT.
TEST(Melspec, RepeatedIdenticalCapsKeepTheSignal) {
  const auto y = make_signal(kRate);
  const size_t half = 10000;  // mid-frame, mid-buffer of frames
  Output plain, repeated;
  for (Output* out : {&plain, &repeated}) {
    GstHarness* h = gst_harness_new("melspec");
    gst_harness_set_src_caps_str(h, kMonoCaps);
    push_chunks(h, std::vector<float>(y.begin(), y.begin() + half), 1000);
    if (out == &repeated) {
      ASSERT_TRUE(gst_harness_push_event(h, caps_event(kMonoCaps)));
    }
    for (size_t at = half; at < y.size(); at += 1000) {
      const size_t n = std::min<size_t>(1000, y.size() - at);
      ASSERT_EQ(gst_harness_push(h, audio_buffer(y.data() + at, n, at)), GST_FLOW_OK);
    }
    gst_harness_push_event(h, gst_event_new_eos());
    pull_all(h, out);
    gst_harness_teardown(h);
  }
  EXPECT_EQ(repeated.frames, lib_frames(y));
  ASSERT_EQ(repeated.buffers.size(), plain.buffers.size());
  for (size_t i = 0; i < repeated.buffers.size(); ++i) {
    EXPECT_EQ(GST_BUFFER_PTS(repeated.buffers[i]), GST_BUFFER_PTS(plain.buffers[i])) << i;
    EXPECT_EQ(GST_BUFFER_OFFSET(repeated.buffers[i]), GST_BUFFER_OFFSET(plain.buffers[i])) << i;
    EXPECT_EQ(GST_BUFFER_FLAG_IS_SET(repeated.buffers[i], GST_BUFFER_FLAG_DISCONT), i == 0) << i;
  }
}

namespace {

// What melspec adds to the LATENCY query (upstream answers 0): -1 when the query fails.
gint64 added_latency(GstHarness* h) {
  GstQuery* q = gst_query_new_latency();
  gint64 out = -1;
  if (gst_pad_peer_query(h->sinkpad, q)) {
    GstClockTime min = 0;
    gst_query_parse_latency(q, nullptr, &min, nullptr);
    out = gint64(min);
  }
  gst_query_unref(q);
  return out;
}

gint64 latency_at(int rate) { return gint64(gst_util_uint64_scale_int(7 * kHop + 2048 / 2, GST_SECOND, rate)); }

}  // namespace

// LATENCY is answered on whatever thread asks (a sink, the application), while
// the streaming thread renegotiates: always the figure of a rate melspec ran
// at, from the caps in effect, or from sample-rate before any caps.
TEST(Melspec, LatencyIsAnsweredFromAnyThreadForTheRateInEffect) {
  GstHarness* h = gst_harness_new_parse("melspec frames-per-buffer=8");
  gst_harness_set_upstream_latency(h, 0);
  EXPECT_EQ(added_latency(h), 0) << "no rate yet: nothing to add";
  const char* caps44 = "audio/x-raw, format=F32LE, layout=interleaved, channels=1, rate=44100";
  gst_harness_set_src_caps_str(h, kMonoCaps);
  EXPECT_EQ(added_latency(h), latency_at(kRate));

  std::atomic<bool> done{false};
  std::vector<gint64> answers;
  std::thread asker([&] {
    while (!done.load()) answers.push_back(added_latency(h));
  });
  const auto y = make_signal(2048);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(gst_harness_push_event(h, caps_event(i % 2 ? kMonoCaps : caps44)));
    ASSERT_EQ(gst_harness_push(h, audio_buffer(y.data(), y.size(), 0)), GST_FLOW_OK);
  }
  done.store(true);
  asker.join();
  ASSERT_FALSE(answers.empty());
  for (gint64 a : answers) EXPECT_TRUE(a == latency_at(kRate) || a == latency_at(44100)) << a;
  EXPECT_EQ(added_latency(h), latency_at(kRate));  // the last caps: 22050 Hz
  gst_harness_teardown(h);

  // Before caps, a required rate gives the figure already.
  h = gst_harness_new_parse("melspec frames-per-buffer=8 sample-rate=44100");
  gst_harness_set_upstream_latency(h, 0);
  EXPECT_EQ(added_latency(h), latency_at(44100));
  gst_harness_teardown(h);
}

TEST(Melspec, RejectsStereoAndIntegerInput) {
  for (const char* caps : {"audio/x-raw, format=F32LE, layout=interleaved, channels=2, rate=22050",
                           "audio/x-raw, format=S16LE, layout=interleaved, channels=1, rate=22050"}) {
    GstHarness* h = gst_harness_new("melspec");
    gst_harness_set_src_caps_str(h, caps);
    const auto y = make_signal(4096);
    EXPECT_EQ(gst_harness_push(h, audio_buffer(y.data(), y.size(), 0)), GST_FLOW_NOT_NEGOTIATED) << caps;
    gst_harness_teardown(h);
  }
}

TEST(Melspec, SampleRatePropertyRestrictsSinkCaps) {
  GstHarness* h = gst_harness_new("melspec");
  g_object_set(h->element, "sample-rate", 16000u, nullptr);
  GstCaps* caps = gst_pad_peer_query_caps(h->srcpad, nullptr);  // what melspec's sink accepts
  gchar* text = gst_caps_to_string(caps);
  EXPECT_NE(std::string(text).find("rate=(int)16000"), std::string::npos) << text;
  g_free(text);
  gst_caps_unref(caps);
  gst_harness_set_src_caps_str(h, kMonoCaps);  // 22050: refused
  const auto y = make_signal(4096);
  EXPECT_EQ(gst_harness_push(h, audio_buffer(y.data(), y.size(), 0)), GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown(h);
}

// Invalid properties stop the element at state change, naming the property.
TEST(Melspec, InvalidPropertiesFailAtStateChange) {
  struct Case {
    const char* property;
    void (*set)(GstElement*);
  };
  const Case cases[] = {
      {"hop-length", [](GstElement* e) { g_object_set(e, "hop-length", 0u, nullptr); }},
      {"win-length", [](GstElement* e) { g_object_set(e, "win-length", 4096u, nullptr); }},
      {"fmax", [](GstElement* e) { g_object_set(e, "sample-rate", 16000u, "fmax", 9000.0, nullptr); }},
      {"n-mels", [](GstElement* e) { g_object_set(e, "sample-rate", 22050u, "n-fft", 256u, nullptr); }},
      // Beyond the limits, set as gst-launch and a bundle's pipeline set them: kept (no GLib
      // warning, no silent default) and refused at start with the limit.
      {"n-mels must be between 1 and 4096, got 100000",
       [](GstElement* e) { gst_util_set_object_arg(G_OBJECT(e), "n-mels", "100000"); }},
      {"n-mels must be between 1 and 4096, got 0",
       [](GstElement* e) { gst_util_set_object_arg(G_OBJECT(e), "n-mels", "0"); }},
      {"n-fft must be between 2 and 1048576, got 2000000",
       [](GstElement* e) { gst_util_set_object_arg(G_OBJECT(e), "n-fft", "2000000"); }},
  };
  for (const Case& c : cases) {
    GstElement* e = gst_element_factory_make("melspec", nullptr);
    {
      ErrorBus bus(e);
      c.set(e);
      EXPECT_EQ(gst_element_set_state(e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE) << c.property;
      const std::string error = bus.errors();
      EXPECT_NE(error.find(c.property), std::string::npos) << c.property << ": " << error;
      gst_element_set_state(e, GST_STATE_NULL);
    }
    gst_object_unref(e);
  }
}

// fmax is only known to be too high once the rate is.
TEST(Melspec, RateDependentErrorAtCaps) {
  GstHarness* h = gst_harness_new("melspec");
  g_object_set(h->element, "fmax", 16000.0, nullptr);
  {
    ErrorBus bus(h->element);
    gst_harness_set_src_caps_str(h, kMonoCaps);
    const auto y = make_signal(4096);
    EXPECT_EQ(gst_harness_push(h, audio_buffer(y.data(), y.size(), 0)), GST_FLOW_NOT_NEGOTIATED);
    const std::string error = bus.errors();
    EXPECT_NE(error.find("fmax"), std::string::npos) << error;
  }
  gst_harness_teardown(h);
}

namespace {

struct PipelineRun {
  std::vector<float> pcm;
  std::vector<float> frames;
  std::string error;      // "" at EOS, else "message | debug"
  GQuark domain = 0;      // of the error
  int code = 0;
  std::string source;     // name of the element that posted it
};

// Like genre::test::wait_for_eos, keeping the error's domain, code and poster.
void wait_for_end(GstElement* pipeline, PipelineRun* run) {
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_object_unref(bus);
  if (!msg) {
    run->error = "timeout";
    return;
  }
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(msg, &err, &debug);
    run->error = std::string(err->message) + " | " + (debug ? debug : "");
    run->domain = err->domain;
    run->code = err->code;
    run->source = GST_OBJECT_NAME(GST_MESSAGE_SRC(msg));
    g_error_free(err);
    g_free(debug);
  }
  gst_message_unref(msg);
}

GstFlowReturn collect(GstElement* sink, std::vector<float>* into) {
  GstSample* sample = nullptr;
  g_signal_emit_by_name(sink, "pull-sample", &sample);
  if (!sample) return GST_FLOW_EOS;
  GstMapInfo map;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  gst_buffer_map(buf, &map, GST_MAP_READ);
  const auto* v = reinterpret_cast<const float*>(map.data);
  into->insert(into->end(), v, v + map.size / sizeof(float));
  gst_buffer_unmap(buf, &map);
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

PipelineRun run_pipeline(const std::string& desc) {
  PipelineRun run;
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &err);
  if (err) {  // also set, with a pipeline returned, when elements would not link
    run.error = err->message;
    g_error_free(err);
    if (pipeline) gst_object_unref(pipeline);
    return run;
  }
  for (auto [name, target] : {std::pair{"pcm", &run.pcm}, std::pair{"mel", &run.frames}}) {
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), name);
    if (!sink) continue;
    g_object_set(sink, "emit-signals", TRUE, "sync", FALSE, nullptr);
    g_signal_connect(sink, "new-sample", G_CALLBACK(collect), target);
    gst_object_unref(sink);
  }
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  wait_for_end(pipeline, &run);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return run;
}

}  // namespace

// decodebin ! audioconvert ! audioresample ! melspec on a real 44.1 kHz
// stereo Ogg file; the frames equal the library's on the very samples melspec
// received (tapped with a tee).
TEST(MelspecPipeline, DecodesRealOggFile) {
  GENRE_REQUIRE_SHARED_DATA(shared);
  const auto file = shared / "audio" / "Kevin_MacLeod_-_Vibe_Ace.hq.ogg";
  const std::string desc = "filesrc location=\"" + file.string() +
      "\" ! decodebin ! audioconvert ! audioresample ! melspec name=m sample-rate=22050 ! "
      "appsink name=mel";
  const auto run = run_pipeline(desc);
  ASSERT_EQ(run.error, "");
  // ~61 s at 22050 Hz, hop 512.
  const size_t frames = run.frames.size() / kMels;
  EXPECT_GT(frames, 2600u);
  EXPECT_LT(frames, 2700u);

  const std::string tapped = "filesrc location=\"" + file.string() +
      "\" ! decodebin ! audioconvert ! audioresample ! audio/x-raw,rate=22050,channels=1,format=F32LE ! "
      "tee name=t t. ! queue ! appsink name=pcm t. ! queue ! melspec ! appsink name=mel";
  const auto both = run_pipeline(tapped);
  ASSERT_EQ(both.error, "");
  const auto want = lib_frames(both.pcm);
  ASSERT_EQ(both.frames.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_LE(std::abs(both.frames[i] - want[i]), 1e-4f) << i;
  EXPECT_EQ(want.size() / kMels, 1 + both.pcm.size() / kHop);
}

namespace {

// The min latency a live pipeline reports at its sink (-1 when the query fails).
gint64 live_min_latency(const std::string& desc) {
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &error);
  if (!pipeline) {
    ADD_FAILURE() << (error ? error->message : "parse failed") << ": " << desc;
    g_clear_error(&error);
    return -1;
  }
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  gst_element_get_state(pipeline, nullptr, nullptr, 5 * GST_SECOND);
  g_usleep(300 * 1000);  // caps negotiated, buffers flowing
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "s");
  GstPad* pad = gst_element_get_static_pad(sink, "sink");
  GstQuery* q = gst_query_new_latency();
  gint64 out = -1;
  if (gst_pad_peer_query(pad, q)) {
    gboolean live = FALSE;
    GstClockTime min = 0, max = 0;
    gst_query_parse_latency(q, &live, &min, &max);
    if (live) out = gint64(min);
  }
  gst_query_unref(q);
  gst_object_unref(pad);
  gst_object_unref(sink);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return out;
}

}  // namespace

// pipelines/melspec.md's live example: melspec adds ((frames-per-buffer - 1)·hop-length + n-fft/2) / rate
// to the LATENCY query, and the figure the page gives is that one.
TEST(MelspecPipeline, LatencyQueryMatchesTheDocumentedFigure) {
  const std::string src = "audiotestsrc is-live=true samplesperbuffer=441 ! audioconvert ! audioresample ! ";
  const gint64 without = live_min_latency(src + "audio/x-raw,rate=22050 ! fakesink name=s");
  const gint64 with = live_min_latency(src + "melspec sample-rate=22050 frames-per-buffer=8 ! fakesink name=s");
  ASSERT_GE(without, 0);
  ASSERT_GE(with, 0);
  const gint64 melspec = with - without;
  EXPECT_EQ(melspec, gint64(gst_util_uint64_scale_int(7 * 512 + 2048 / 2, GST_SECOND, 22050)));

  std::ifstream doc(std::string(GENRE_SOURCE_ROOT) + "/pipelines/melspec.md");
  ASSERT_TRUE(doc) << "pipelines/melspec.md";
  const std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  char figure[32];
  std::snprintf(figure, sizeof figure, "(\xe2\x89\x88 %.2f s here)", double(melspec) / GST_SECOND);  // "≈ 0.21 s"
  EXPECT_NE(text.find(figure), std::string::npos) << "pipelines/melspec.md should give " << figure;
}

// power is librosa's exponent of |X|: 1 is the magnitude, 2 the power (energy); the blurb says so
// (tests/dsp/test_melspec_stream.cpp checks the frames for power 1, 1.5 and 2).
TEST(Melspec, PowerBlurbNamesMagnitudeAndPower) {
  GstElementFactory* f = gst_element_factory_find("melspec");
  ASSERT_NE(f, nullptr);
  GstElement* e = gst_element_factory_create(f, nullptr);
  const std::string blurb = g_param_spec_get_blurb(g_object_class_find_property(G_OBJECT_GET_CLASS(e), "power"));
  gst_object_unref(e);
  gst_object_unref(f);
  EXPECT_NE(blurb.find("1 = magnitude"), std::string::npos) << blurb;
  EXPECT_NE(blurb.find("2 = power"), std::string::npos) << blurb;
}

TEST(MelspecPipeline, SampleRateMakesAudioresampleConvert) {
  const auto run = run_pipeline(
      "audiotestsrc num-buffers=20 ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! audioresample ! "
      "melspec sample-rate=16000 n-fft=512 hop-length=160 n-mels=40 ! appsink name=mel");
  ASSERT_EQ(run.error, "");
  // 20 x 1024 samples at 48 kHz = 0.4267 s -> 6827 samples at 16 kHz.
  const size_t frames = run.frames.size() / 40;
  EXPECT_NEAR(double(frames), 1 + 6827 / 160, 1.0);
}

TEST(MelspecPipeline, StereoWithoutAudioconvertFailsLoudly) {
  const auto run = run_pipeline(
      "audiotestsrc num-buffers=5 ! audio/x-raw,format=F32LE,channels=2 ! melspec ! fakesink");
  EXPECT_NE(run.error, "");
}

// ---- bad input files: the decoder's clear error, or the decoded part processed to EOS ----

namespace {

bool have_elements(std::initializer_list<const char*> names) {
  for (const char* n : names) {
    GstElementFactory* f = gst_element_factory_find(n);
    if (!f) return false;
    gst_object_unref(f);
  }
  return true;
}

class BadAudioFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (std::filesystem::temp_directory_path() / "melspec-bad-XXXXXX").string();
    ASSERT_NE(mkdtemp(t.data()), nullptr);
    dir_ = t;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // 10 s of a 440 Hz tone, 44.1 kHz stereo, through `encoder` into `name`.
  std::string encode(const std::string& name, const std::string& encoder) {
    const std::string path = dir_ + "/" + name;
    const auto run = run_pipeline("audiotestsrc wave=sine num-buffers=430 samplesperbuffer=1024 ! "
                                  "audio/x-raw,rate=44100,channels=2 ! audioconvert ! " + encoder +
                                  " ! filesink location=" + path);
    EXPECT_EQ(run.error, "") << encoder;
    return path;
  }

  // The first `fraction` of a file's bytes, cut mid-frame.
  std::string truncate(const std::string& path, double fraction) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string out = path + ".truncated";
    std::ofstream(out, std::ios::binary).write(bytes.data(), std::streamsize(double(bytes.size()) * fraction));
    return out;
  }

  // The conversion front end, tapped: the mono 22050 Hz samples melspec got, and its frames.
  PipelineRun decode(const std::string& path) {
    return run_pipeline("filesrc location=" + path + " ! decodebin ! audioconvert ! audioresample ! "
                        "audio/x-raw,rate=22050,channels=1,format=F32LE ! tee name=t t. ! queue ! appsink name=pcm "
                        "t. ! queue ! melspec ! appsink name=mel");
  }

  // A truncated file reaches EOS with the part before the cut decoded, and
  // melspec's frames are exactly the library's frames of those samples.
  void expect_truncated_file_processed(const std::string& encoder, const std::string& name) {
    const std::string whole = encode(name, encoder);
    const auto full = decode(whole);
    ASSERT_EQ(full.error, "");
    const auto cut = decode(truncate(whole, 0.6));
    ASSERT_EQ(cut.error, "") << "a truncated " << name << " must decode up to the cut";
    const double seconds = double(cut.pcm.size()) / kRate, full_seconds = double(full.pcm.size()) / kRate;
    EXPECT_GT(seconds, 0.45 * full_seconds) << name;  // 60% of the bytes, less what the cut frame or page held
    EXPECT_LT(seconds, 0.65 * full_seconds) << name;
    const auto want = lib_frames(cut.pcm);
    ASSERT_EQ(cut.frames.size(), want.size());
    EXPECT_EQ(want.size() / kMels, 1 + cut.pcm.size() / kHop);
    for (size_t i = 0; i < want.size(); ++i) ASSERT_LE(std::abs(cut.frames[i] - want[i]), 1e-4f) << i;
  }

  std::string dir_;
};

}  // namespace

TEST_F(BadAudioFile, RandomBytesAreTypefindsErrorNotMelspecs) {
  const std::string path = dir_ + "/noise.mp3";
  {
    std::ofstream out(path, std::ios::binary);
    std::mt19937 rng(7);
    for (int i = 0; i < 65536; ++i) out.put(char(rng() & 0xff));
  }
  const auto run = decode(path);
  EXPECT_EQ(run.domain, GST_STREAM_ERROR) << run.error;
  EXPECT_EQ(run.code, GST_STREAM_ERROR_TYPE_NOT_FOUND) << run.error;
  EXPECT_EQ(run.source, "typefind") << run.error;
  EXPECT_NE(run.error.find("Could not determine type of stream"), std::string::npos) << run.error;
  EXPECT_TRUE(run.frames.empty());
}

TEST_F(BadAudioFile, EmptyFileIsTypefindsError) {
  const std::string path = dir_ + "/empty.ogg";
  std::ofstream(path).close();
  const auto run = decode(path);
  EXPECT_EQ(run.domain, GST_STREAM_ERROR) << run.error;
  EXPECT_EQ(run.code, GST_STREAM_ERROR_TYPE_NOT_FOUND) << run.error;
  EXPECT_TRUE(run.frames.empty());
}

TEST_F(BadAudioFile, TruncatedMp3IsProcessedUpToTheCut) {
  if (!have_elements({"lamemp3enc"})) GTEST_SKIP() << "lamemp3enc (gstreamer1.0-plugins-good) is not installed";
  expect_truncated_file_processed("lamemp3enc", "tone.mp3");
}

// 4 KB of garbage in the middle of an MP3: the decoder resyncs at the next
// frame, the stream reaches EOS, and melspec's frames are those of what it decoded.
TEST_F(BadAudioFile, CorruptedMiddleOfAnMp3IsSkippedByTheDecoder) {
  if (!have_elements({"lamemp3enc"})) GTEST_SKIP() << "lamemp3enc (gstreamer1.0-plugins-good) is not installed";
  const std::string path = encode("damaged.mp3", "lamemp3enc");
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(0, std::ios::end);
    const std::streamoff size = f.tellg();
    f.seekp(size / 2);
    std::mt19937 rng(11);
    for (int i = 0; i < 4096; ++i) f.put(char(rng() & 0xff));
  }
  const auto run = decode(path);
  ASSERT_EQ(run.error, "");
  const double seconds = double(run.pcm.size()) / kRate;
  EXPECT_GT(seconds, 8.5);  // 10 s less the damaged frames
  // The decoder marks the skip (a timestamp gap or DISCONT), which melspec fills
  // with zeros or starts a new signal at, as documented: at least one frame per hop.
  EXPECT_GE(run.frames.size() / kMels, run.pcm.size() / kHop);
  for (float v : run.frames) ASSERT_TRUE(std::isfinite(v));
  // Every frame before the damage (at ~5 s) is the library's frame of those samples.
  const size_t prefix = size_t(4.5 * kRate), exact = (prefix - 2048) / kHop;
  const auto want = lib_frames(std::vector<float>(run.pcm.begin(), run.pcm.begin() + long(prefix)));
  ASSERT_GE(run.frames.size(), exact * kMels);
  for (size_t i = 0; i < exact * kMels; ++i) ASSERT_LE(std::abs(run.frames[i] - want[i]), 1e-4f) << i;
}

TEST_F(BadAudioFile, TruncatedOggVorbisIsProcessedUpToTheCut) {
  if (!have_elements({"vorbisenc", "oggmux"})) GTEST_SKIP() << "vorbisenc/oggmux are not installed";
  expect_truncated_file_processed("vorbisenc ! oggmux", "tone.ogg");
}

// A decoder linked straight to melspec (no audioconvert): melspec's pad
// refuses the stereo caps in the ACCEPT_CAPS query, so the caps never arrive and
// the demuxer stops the stream with not-negotiated (melspec cannot tell a
// refusal from a converter asking what it may pass through, so it posts nothing).
TEST_F(BadAudioFile, StereoDecoderOutputIntoMelspecIsNotNegotiated) {
  if (!have_elements({"vorbisenc", "oggmux"})) GTEST_SKIP() << "vorbisenc/oggmux are not installed";
  const std::string path = encode("stereo.ogg", "vorbisenc ! oggmux");
  const auto run = run_pipeline("filesrc location=" + path + " ! decodebin ! melspec name=m ! appsink name=mel");
  EXPECT_EQ(run.domain, GST_STREAM_ERROR) << run.error;
  EXPECT_EQ(run.code, GST_STREAM_ERROR_FAILED) << run.error;
  EXPECT_NE(run.error.find("not-negotiated"), std::string::npos) << run.error;
  EXPECT_TRUE(run.frames.empty());
  // With the converters the same file works.
  EXPECT_EQ(run_pipeline("filesrc location=" + path + " ! decodebin ! audioconvert ! audioresample ! melspec ! "
                         "appsink name=mel").error, "");
}

// NaN, Inf and 1e38 samples would make NaN frames (and NaN images downstream): melspec
// refuses them with an error naming the stream position, and sends no frame built on them.
TEST(Melspec, RefusesNonFiniteAndHugeSamplesNamingThePosition) {
  const struct {
    float value;
    const char* what;
  } cases[] = {{std::nanf(""), "a NaN"}, {INFINITY, "an infinite"}, {-INFINITY, "an infinite"},
               {1e38f, "an out-of-range"}};
  for (const auto& c : cases) {
    auto y = make_signal(2 * kRate);
    const size_t bad = kRate + kRate / 2;  // 1.5 s into the stream
    y[bad] = c.value;
    GstHarness* h = gst_harness_new("melspec");
    genre::test::ErrorBus bus(h->element);
    gst_harness_set_src_caps_str(h, kMonoCaps);
    GstFlowReturn last = GST_FLOW_OK;
    for (size_t at = 0; at < y.size() && last == GST_FLOW_OK; at += 4096) {
      const size_t n = std::min<size_t>(4096, y.size() - at);
      last = gst_harness_push(h, audio_buffer(y.data() + at, n, at, 10 * GST_SECOND));
    }
    EXPECT_EQ(last, GST_FLOW_ERROR) << c.what;
    const std::string error = bus.errors();
    EXPECT_NE(error.find(std::string("holds ") + c.what + " sample"), std::string::npos) << error;
    EXPECT_NE(error.find("0:00:11.500000000"), std::string::npos) << "names the position: " << error;
    Output out;
    pull_all(h, &out);
    for (float v : out.frames) ASSERT_TRUE(std::isfinite(v)) << c.what;
    gst_harness_teardown(h);
  }
}

TEST(Melspec, LoudButFiniteAudioIsKept) {
  auto y = make_signal(kRate);
  for (float& v : y) v *= 1000.f;  // 60 dB over full scale: unusual, still computable
  GstHarness* h = gst_harness_new("melspec");
  gst_harness_set_src_caps_str(h, kMonoCaps);
  push_chunks(h, y, 4096);
  gst_harness_push_event(h, gst_event_new_eos());
  Output out;
  pull_all(h, &out);
  EXPECT_FALSE(out.frames.empty());
  for (float v : out.frames) ASSERT_TRUE(std::isfinite(v));
  gst_harness_teardown(h);
}
