// specresize through GstHarness (synthetic melspec frames) and real
// `audiotestsrc ! melspec ! specresize` pipelines.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "gst_test_util.h"
#include "window_meta.h"

using genre::test::current_caps_string;
using genre::test::ErrorBus;

namespace {

// The plugin registers GenreWindowMeta; the test looks its API type up by name
// instead of linking a second copy of window_meta.cpp (that would register it twice).
GenreWindowMeta* window_meta(GstBuffer* buf) {
  const GType api = g_type_from_name("GenreWindowMetaAPI");
  return api ? reinterpret_cast<GenreWindowMeta*>(gst_buffer_get_meta(buf, api)) : nullptr;
}

// melspec's defaults: 22050 Hz, hop 512, so frame k starts at k*512/22050 s.
constexpr int kRate = 22050;
constexpr int kHop = 512;
constexpr guint kMels = 16;

GstClockTime frame_time(guint64 k) { return gst_util_uint64_scale_int(k * kHop, GST_SECOND, kRate); }

// melspec's caps for buffers of `frames` frames: framerate = rate / (hop * frames).
std::string frames_caps(guint mels, guint frames, const char* scale = "db") {
  gint n = 0, d = 1;
  gst_util_fraction_multiply(kRate, kHop, 1, gint(frames), &n, &d);
  std::string caps = "other/tensors, format=(string)static, num_tensors=(int)1, types=(string)float32, "
                     "dimensions=(string)" + std::to_string(mels) + ":" + std::to_string(frames) +
                     ":1:1, framerate=(fraction)" + std::to_string(n) + "/" + std::to_string(d);
  if (scale) caps += std::string(", spectrum-scale=(string)") + scale;
  return caps;
}

// dB value of frame k, mel bin m: distinct, within [-79, 0].
float frame_value(guint64 k, guint m) { return -float((k * 7 + m * 13) % 80); }

GstBuffer* frames_buffer(guint64 first, guint count, guint mels = kMels, GstClockTime base = 0) {
  std::vector<float> v(size_t(count) * mels);
  for (guint f = 0; f < count; ++f)
    for (guint m = 0; m < mels; ++m) v[size_t(f) * mels + m] = frame_value(first + f, m);
  GstBuffer* buf = gst_buffer_new_memdup(v.data(), v.size() * sizeof(float));
  GST_BUFFER_PTS(buf) = base + frame_time(first);
  GST_BUFFER_DURATION(buf) = frame_time(first + count) - frame_time(first);
  GST_BUFFER_OFFSET(buf) = first;
  return buf;
}

// A caps event alone (gst_harness_set_src_caps also sends a new segment,
// which would end the clip).
void push_caps(GstHarness* h, const std::string& caps) {
  GstCaps* c = gst_caps_from_string(caps.c_str());
  const gboolean ok = gst_harness_push_event(h, gst_event_new_caps(c));
  gst_caps_unref(c);
  ASSERT_TRUE(ok);
}

// Pushes frames [0, total) as melspec would: `per_buffer` a buffer, new caps
// before a short last buffer.
void push_clip(GstHarness* h, guint total, guint per_buffer, guint mels = kMels, GstClockTime base = 0,
               bool discont = true) {
  for (guint at = 0; at < total; at += per_buffer) {
    const guint n = std::min(per_buffer, total - at);
    if (n != per_buffer) push_caps(h, frames_caps(mels, n));
    GstBuffer* buf = frames_buffer(at, n, mels, base);
    if (at == 0 && discont) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
    ASSERT_EQ(gst_harness_push(h, buf), GST_FLOW_OK);
  }
  if (total % per_buffer) push_caps(h, frames_caps(mels, per_buffer));
}

std::vector<GstBuffer*> pull_all(GstHarness* h) {
  std::vector<GstBuffer*> out;
  while (GstBuffer* b = gst_harness_try_pull(h)) out.push_back(b);
  return out;
}

void unref_all(std::vector<GstBuffer*>& bufs) {
  for (GstBuffer* b : bufs) gst_buffer_unref(b);
  bufs.clear();
}

std::vector<float> floats_of(GstBuffer* b) {
  GstMapInfo map;
  gst_buffer_map(b, &map, GST_MAP_READ);
  const auto* v = reinterpret_cast<const float*>(map.data);
  std::vector<float> out(v, v + map.size / sizeof(float));
  gst_buffer_unmap(b, &map);
  return out;
}

// The sticky custom event named `name` on the harness's sink pad, or nullptr.
GstStructure* sticky_structure(GstHarness* h, const char* name) {
  for (guint i = 0;; ++i) {
    GstEvent* ev = gst_pad_get_sticky_event(h->sinkpad, GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, i);
    if (!ev) return nullptr;
    const GstStructure* s = gst_event_get_structure(ev);
    GstStructure* copy = s && gst_structure_has_name(s, name) ? gst_structure_copy(s) : nullptr;
    gst_event_unref(ev);
    if (copy) return copy;
  }
}

GstHarness* new_harness(const char* props_desc) {
  GstHarness* h = gst_harness_new_parse((std::string("specresize ") + props_desc).c_str());
  gst_harness_set_src_caps_str(h, frames_caps(kMels, 32).c_str());
  return h;
}

}  // namespace

TEST(Specresize, OutputCaps) {
  GstHarness* h = new_harness("");
  EXPECT_NE(current_caps_string(h).find("dimensions=(string)224:224:1:1"), std::string::npos) << current_caps_string(h);
  EXPECT_NE(current_caps_string(h).find("framerate=(fraction)0/1"), std::string::npos);
  gst_harness_teardown(h);

  // Sliding: images per second = frames per second / hop = 22050 / 512 / 32.
  h = new_harness("window-frames=64 hop-frames=32 width=100 height=50 channels=3");
  const std::string caps = current_caps_string(h);
  EXPECT_NE(caps.find("dimensions=(string)100:50:3:1"), std::string::npos) << caps;
  EXPECT_NE(caps.find("framerate=(fraction)11025/8192"), std::string::npos) << caps;
  gst_harness_teardown(h);
}

// Window count 1 + floor((T - window) / hop), plus one EOS window for the
// uncovered tail; timestamps, offsets and GenreWindowMeta of each.
TEST(Specresize, SlidingWindowsCountTimestampsAndMeta) {
  const guint T = 205, window = 40, hop = 16;
  const guint full = 1 + (T - window) / hop;  // 11, covering frames [0, 200)
  for (const char* policy : {"pad", "repeat", "drop"}) {
    GstHarness* h = new_harness(("window-frames=40 hop-frames=16 short-policy=" + std::string(policy)).c_str());
    const GstClockTime base = 10 * GST_SECOND;
    push_clip(h, T, 32, kMels, base);
    EXPECT_EQ(gst_harness_buffers_in_queue(h), full) << "all full windows leave before EOS";
    gst_harness_push_event(h, gst_event_new_eos());
    auto bufs = pull_all(h);
    const bool drop = std::string(policy) == "drop";
    ASSERT_EQ(bufs.size(), full + (drop ? 0 : 1)) << policy;
    for (guint i = 0; i < bufs.size(); ++i) {
      GstBuffer* b = bufs[i];
      EXPECT_EQ(GST_BUFFER_PTS(b), base + frame_time(i * hop)) << i;
      EXPECT_EQ(GST_BUFFER_DURATION(b), frame_time(i * hop + window) - frame_time(i * hop)) << i;
      EXPECT_EQ(GST_BUFFER_OFFSET(b), i);
      EXPECT_EQ(GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DISCONT), i == 0);
      EXPECT_EQ(gst_buffer_get_size(b), 224u * 224u * sizeof(float));
      GenreWindowMeta* meta = window_meta(b);
      ASSERT_NE(meta, nullptr);
      EXPECT_EQ(meta->window_index, i);
      EXPECT_EQ(meta->start, frame_time(i * hop));
      EXPECT_EQ(meta->end, frame_time(i * hop + window));
      EXPECT_EQ(meta->window_frames, window);
      EXPECT_EQ(meta->valid_frames, i < full ? window : T - i * hop);  // the last: 205 - 176 = 29
      EXPECT_FALSE(meta->whole_clip);
    }
    unref_all(bufs);
    gst_harness_teardown(h);
  }
}

// Nearest, one pixel per frame and mel bin, values untouched: the image is the
// frames transposed (row = mel bin), across buffer boundaries.
TEST(Specresize, ImageIsTheWindowTransposed) {
  GstHarness* h = new_harness("window-frames=50 hop-frames=25 width=50 height=16 interpolation=nearest "
                              "db-ref=one top-db=0 normalization=none");
  push_clip(h, 100, 32);
  auto bufs = pull_all(h);
  ASSERT_EQ(bufs.size(), 3u);
  for (guint i = 0; i < 3; ++i) {
    const auto img = floats_of(bufs[i]);
    ASSERT_EQ(img.size(), 50u * 16u);
    for (guint y = 0; y < 16; ++y)
      for (guint x = 0; x < 50; ++x) ASSERT_EQ(img[y * 50 + x], frame_value(i * 25 + x, y)) << i << " " << y << " " << x;
  }
  unref_all(bufs);
  gst_harness_teardown(h);
}

TEST(Specresize, WholeClipAndMaxFrames) {
  GstHarness* h = new_harness("");
  push_clip(h, 100, 32, kMels, 5 * GST_SECOND);
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 0u);
  gst_harness_push_event(h, gst_event_new_eos());
  auto bufs = pull_all(h);
  ASSERT_EQ(bufs.size(), 1u);
  EXPECT_EQ(GST_BUFFER_PTS(bufs[0]), 5 * GST_SECOND);
  EXPECT_EQ(GST_BUFFER_DURATION(bufs[0]), frame_time(100));
  GenreWindowMeta* meta = window_meta(bufs[0]);
  ASSERT_NE(meta, nullptr);
  EXPECT_TRUE(meta->whole_clip);
  EXPECT_EQ(meta->window_index, 0u);
  EXPECT_EQ(meta->start, 0u);
  EXPECT_EQ(meta->end, frame_time(100));
  EXPECT_EQ(meta->window_frames, 100u);
  EXPECT_EQ(meta->valid_frames, 100u);
  unref_all(bufs);
  gst_harness_teardown(h);

  // max-frames cuts a long clip and pads a short one to the same length.
  for (auto [total, valid] : {std::pair{100u, 60u}, std::pair{45u, 45u}}) {
    h = new_harness("max-frames=60");
    push_clip(h, total, 32);
    gst_harness_push_event(h, gst_event_new_eos());
    bufs = pull_all(h);
    ASSERT_EQ(bufs.size(), 1u);
    meta = window_meta(bufs[0]);
    EXPECT_EQ(meta->window_frames, 60u);
    EXPECT_EQ(meta->valid_frames, valid);
    EXPECT_EQ(GST_BUFFER_DURATION(bufs[0]), frame_time(60));
    unref_all(bufs);
    gst_harness_teardown(h);
  }
  h = new_harness("max-frames=60 short-policy=drop");
  push_clip(h, 45, 32);
  gst_harness_push_event(h, gst_event_new_eos());
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 0u);
  gst_harness_teardown(h);
}

// A DISCONT buffer ends the clip before it and starts a new one.
TEST(Specresize, DiscontStartsANewClip) {
  GstHarness* h = new_harness("");
  push_clip(h, 50, 25, kMels, 0);
  push_clip(h, 30, 30, kMels, 20 * GST_SECOND);  // DISCONT on its first buffer
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 1u);  // the first clip, finished by the DISCONT
  gst_harness_push_event(h, gst_event_new_eos());
  auto bufs = pull_all(h);
  ASSERT_EQ(bufs.size(), 2u);
  EXPECT_EQ(GST_BUFFER_PTS(bufs[0]), 0u);
  EXPECT_EQ(window_meta(bufs[0])->valid_frames, 50u);
  EXPECT_EQ(GST_BUFFER_PTS(bufs[1]), 20 * GST_SECOND);
  EXPECT_EQ(window_meta(bufs[1])->valid_frames, 30u);
  EXPECT_TRUE(GST_BUFFER_FLAG_IS_SET(bufs[1], GST_BUFFER_FLAG_DISCONT));
  unref_all(bufs);
  gst_harness_teardown(h);

  // Sliding: window indices restart at 0 in the new clip.
  h = new_harness("window-frames=10");
  push_clip(h, 25, 25, kMels, 0);
  push_clip(h, 20, 20, kMels, 7 * GST_SECOND);
  bufs = pull_all(h);
  ASSERT_EQ(bufs.size(), 5u);  // 2 full + padded tail of clip 1, then 2 full
  const guint64 offsets[] = {0, 1, 2, 0, 1};
  for (guint i = 0; i < 5; ++i) EXPECT_EQ(GST_BUFFER_OFFSET(bufs[i]), offsets[i]) << i;
  EXPECT_EQ(GST_BUFFER_PTS(bufs[3]), 7 * GST_SECOND);
  unref_all(bufs);
  gst_harness_teardown(h);
}

TEST(Specresize, FlushDropsHeldFrames) {
  GstHarness* h = new_harness("window-frames=40");
  push_clip(h, 30, 30);
  gst_harness_push_event(h, gst_event_new_flush_start());
  gst_harness_push_event(h, gst_event_new_flush_stop(TRUE));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_harness_push_event(h, gst_event_new_segment(&segment));
  push_clip(h, 40, 40, kMels, 3 * GST_SECOND);
  gst_harness_push_event(h, gst_event_new_eos());
  auto bufs = pull_all(h);
  ASSERT_EQ(bufs.size(), 1u);  // only the window after the flush
  EXPECT_EQ(GST_BUFFER_PTS(bufs[0]), 3 * GST_SECOND);
  EXPECT_EQ(window_meta(bufs[0])->valid_frames, 40u);
  unref_all(bufs);
  gst_harness_teardown(h);
}

TEST(Specresize, NewSegmentEndsTheClip) {
  GstHarness* h = new_harness("");
  push_clip(h, 40, 40);
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_harness_push_event(h, gst_event_new_segment(&segment));
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 1u);
  gst_harness_teardown(h);
}

// n-mels changes: the clip so far is finished, the images keep their caps,
// the parameters event is sent again with the new n-mels.
TEST(Specresize, NMelsChangeRenegotiates) {
  GstHarness* h = new_harness("window-frames=20");
  push_clip(h, 30, 30);  // one full window, 10 frames held
  push_caps(h, frames_caps(8, 32));
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 2u);  // the held frames ended their clip
  GstStructure* params = sticky_structure(h, "genre/specresize-params");
  ASSERT_NE(params, nullptr);
  guint mels = 0;
  EXPECT_TRUE(gst_structure_get_uint(params, "n-mels", &mels));
  EXPECT_EQ(mels, 8u);
  gst_structure_free(params);
  push_clip(h, 20, 32, 8);
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 3u);
  EXPECT_NE(current_caps_string(h).find("224:224:1:1"), std::string::npos);
  gst_harness_teardown(h);
}

// Power input (from the caps field): 10*log10(p) with db-ref=one and no top-db.
TEST(Specresize, PowerInputFromCaps) {
  GstHarness* h = gst_harness_new_parse(
      "specresize window-frames=2 width=2 height=1 interpolation=nearest db-ref=one top-db=0 normalization=none");
  gst_harness_set_src_caps_str(h, frames_caps(1, 2, "power").c_str());
  const float power[2] = {100.0f, 0.001f};
  GstBuffer* buf = gst_buffer_new_memdup(power, sizeof(power));
  GST_BUFFER_PTS(buf) = 0;
  GST_BUFFER_DURATION(buf) = frame_time(2);
  ASSERT_EQ(gst_harness_push(h, buf), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  const auto img = floats_of(out);
  ASSERT_EQ(img.size(), 2u);
  EXPECT_NEAR(img[0], 20.0f, 1e-4);
  EXPECT_NEAR(img[1], -30.0f, 1e-4);
  gst_buffer_unref(out);
  GstStructure* params = sticky_structure(h, "genre/specresize-params");
  ASSERT_NE(params, nullptr);
  EXPECT_STREQ(gst_structure_get_string(params, "input-scale"), "power");
  gst_structure_free(params);
  gst_harness_teardown(h);
}

TEST(Specresize, MissingSpectrumScaleNeedsInputScale) {
  GstHarness* h = gst_harness_new("specresize");
  {
    ErrorBus bus(h->element);
    gst_harness_set_src_caps_str(h, frames_caps(kMels, 32, nullptr).c_str());
    EXPECT_EQ(gst_harness_push(h, frames_buffer(0, 32)), GST_FLOW_NOT_NEGOTIATED);
    const std::string error = bus.errors();
    EXPECT_NE(error.find("input-scale"), std::string::npos) << error;
  }
  gst_harness_teardown(h);

  h = gst_harness_new_parse("specresize input-scale=db window-frames=32");  // told explicitly: fine
  gst_harness_set_src_caps_str(h, frames_caps(kMels, 32, nullptr).c_str());
  EXPECT_EQ(gst_harness_push(h, frames_buffer(0, 32)), GST_FLOW_OK);
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 1u);
  gst_harness_teardown(h);
}

TEST(Specresize, RejectsFramesThatAreNotMelspecs) {
  GstHarness* h = gst_harness_new("specresize");
  {
    ErrorBus bus(h->element);
    gst_harness_set_src_caps_str(h, "other/tensors, format=static, num_tensors=1, types=float32, "
                                    "dimensions=(string)3:224:224:1, framerate=0/1, spectrum-scale=db");
    EXPECT_EQ(gst_harness_push(h, frames_buffer(0, 1)), GST_FLOW_NOT_NEGOTIATED);
    EXPECT_NE(bus.errors().find("n_mels:frames:1:1"), std::string::npos);
  }
  gst_harness_teardown(h);
}

// Parameters travel as sticky events: melspec's forwarded, specresize's own
// after the caps and before the first image.
TEST(Specresize, ParameterEvents) {
  GstHarness* h = gst_harness_new_parse("specresize window-frames=32 hop-frames=8 channels=3 colormap=magma "
                                        "normalization=imagenet");
  gst_harness_set_src_caps_str(h, frames_caps(kMels, 32).c_str());
  gst_harness_push_event(h, gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
                                                 gst_structure_new("genre/melspec-params", "n-mels", G_TYPE_INT,
                                                                   int(kMels), "hop-length", G_TYPE_INT, kHop, nullptr)));
  ASSERT_EQ(gst_harness_push(h, frames_buffer(0, 32)), GST_FLOW_OK);

  // Event order at the sink: caps, then our parameters, all before the image.
  bool saw_caps = false, saw_params = false, saw_melspec = false;
  while (GstEvent* ev = gst_harness_try_pull_event(h)) {
    if (GST_EVENT_TYPE(ev) == GST_EVENT_CAPS) saw_caps = true;
    if (GST_EVENT_TYPE(ev) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY) {
      const GstStructure* s = gst_event_get_structure(ev);
      if (gst_structure_has_name(s, "genre/specresize-params")) {
        EXPECT_TRUE(saw_caps);
        saw_params = true;
      }
      if (gst_structure_has_name(s, "genre/melspec-params")) saw_melspec = true;
    }
    gst_event_unref(ev);
  }
  EXPECT_TRUE(saw_params);
  EXPECT_TRUE(saw_melspec);

  GstStructure* p = sticky_structure(h, "genre/specresize-params");
  ASSERT_NE(p, nullptr);
  guint v = 0;
  EXPECT_TRUE(gst_structure_get_uint(p, "window-frames", &v) && v == 32);
  EXPECT_TRUE(gst_structure_get_uint(p, "hop-frames", &v) && v == 8);
  EXPECT_TRUE(gst_structure_get_uint(p, "channels", &v) && v == 3);
  EXPECT_TRUE(gst_structure_get_uint(p, "width", &v) && v == 224);
  double top_db = 0;
  EXPECT_TRUE(gst_structure_get_double(p, "top-db", &top_db) && top_db == 80.0);
  EXPECT_STREQ(gst_structure_get_string(p, "colormap"), "magma");
  EXPECT_STREQ(gst_structure_get_string(p, "normalization"), "imagenet");
  EXPECT_STREQ(gst_structure_get_string(p, "mean"), "0.485,0.456,0.406");
  EXPECT_STREQ(gst_structure_get_string(p, "input-scale"), "db");
  EXPECT_STREQ(gst_structure_get_string(p, "short-policy"), "pad");
  gst_structure_free(p);
  gst_harness_teardown(h);
}

// A sliding window leaves one window after its PTS: the LATENCY query says so.
TEST(Specresize, LatencyAddsOneWindow) {
  GstHarness* h = new_harness("window-frames=43");
  gst_harness_set_upstream_latency(h, 10 * GST_MSECOND);
  GstQuery* q = gst_query_new_latency();
  ASSERT_TRUE(gst_pad_peer_query(h->sinkpad, q));
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency(q, &live, &min, &max);
  EXPECT_EQ(min, 10 * GST_MSECOND + frame_time(43));
  gst_query_unref(q);
  gst_harness_teardown(h);
}

TEST(Specresize, InvalidPropertiesFailAtStateChange) {
  const std::pair<const char*, const char*> cases[] = {
      {"channels=2", "channels=2"},
      {"colormap=viridis", "channels=3"},
      {"hop-frames=10", "hop-frames=10"},
      {"normalization=mean-std", "mean"},
      {"normalization=mean-std mean=abc std=1", "mean='abc'"},
      {"window-frames=100 max-frames=50", "max-frames=50"},
  };
  for (auto [props, expected] : cases) {
    GError* err = nullptr;
    GstElement* e = gst_parse_launch((std::string("specresize ") + props).c_str(), &err);
    ASSERT_EQ(err, nullptr) << props;
    {
      ErrorBus bus(e);
      EXPECT_EQ(gst_element_set_state(e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE) << props;
      const std::string error = bus.errors();
      EXPECT_NE(error.find(expected), std::string::npos) << props << ": " << error;
      gst_element_set_state(e, GST_STATE_NULL);
    }
    gst_object_unref(e);
  }
}

// ---- real pipelines ----------------------------------------------------------

namespace {

struct PipelineRun {
  guint64 mel_frames = 0;
  std::vector<GstBuffer*> images;
  std::string caps;
  std::string error;
  ~PipelineRun() { unref_all(images); }
};

GstFlowReturn on_mel(GstElement* sink, PipelineRun* run) {
  GstSample* sample = nullptr;
  g_signal_emit_by_name(sink, "pull-sample", &sample);
  if (!sample) return GST_FLOW_EOS;
  GstCaps* caps = gst_sample_get_caps(sample);
  gint mels = 0;
  const char* dims = gst_structure_get_string(gst_caps_get_structure(caps, 0), "dimensions");
  mels = dims ? std::atoi(dims) : 0;
  if (mels > 0) run->mel_frames += gst_buffer_get_size(gst_sample_get_buffer(sample)) / (sizeof(float) * guint(mels));
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

GstFlowReturn on_image(GstElement* sink, PipelineRun* run) {
  GstSample* sample = nullptr;
  g_signal_emit_by_name(sink, "pull-sample", &sample);
  if (!sample) return GST_FLOW_EOS;
  run->images.push_back(gst_buffer_ref(gst_sample_get_buffer(sample)));
  gchar* caps = gst_caps_to_string(gst_sample_get_caps(sample));
  run->caps = caps;
  g_free(caps);
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

void run_pipeline(const std::string& desc, PipelineRun* run) {
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &err);
  if (err) {
    run->error = err->message;
    g_error_free(err);
    if (pipeline) gst_object_unref(pipeline);
    return;
  }
  for (auto [name, cb] : {std::pair{"mel", G_CALLBACK(on_mel)}, std::pair{"img", G_CALLBACK(on_image)}}) {
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), name);
    if (!sink) continue;
    g_object_set(sink, "emit-signals", TRUE, "sync", FALSE, nullptr);
    g_signal_connect(sink, "new-sample", cb, run);
    gst_object_unref(sink);
  }
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  run->error = genre::test::wait_for_eos(pipeline);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}

// 100 buffers of 1024 samples at 22050 Hz: about 4.6 s of a 440 Hz tone. The
// frame-counting branch has an unbounded queue: in per-clip mode the image
// sink prerolls only at EOS, and a full queue would stall the tee before that.
const std::string kSource =
    "audiotestsrc wave=sine freq=440 num-buffers=100 samplesperbuffer=1024 ! "
    "audio/x-raw,rate=22050,channels=1 ! audioconvert ! melspec ! tee name=t "
    "t. ! queue max-size-time=0 max-size-buffers=0 max-size-bytes=0 ! appsink name=mel "
    "t. ! queue ! ";

}  // namespace

TEST(SpecresizePipeline, WholeClipImage) {
  PipelineRun run;
  run_pipeline(kSource + "specresize channels=3 colormap=viridis ! appsink name=img", &run);
  ASSERT_EQ(run.error, "");
  ASSERT_GT(run.mel_frames, 150u);
  ASSERT_EQ(run.images.size(), 1u);
  EXPECT_NE(run.caps.find("dimensions=(string)224:224:3:1"), std::string::npos) << run.caps;
  EXPECT_EQ(gst_buffer_get_size(run.images[0]), 3u * 224u * 224u * sizeof(float));
  GenreWindowMeta* meta = window_meta(run.images[0]);
  ASSERT_NE(meta, nullptr);
  EXPECT_TRUE(meta->whole_clip);
  EXPECT_EQ(meta->window_frames, run.mel_frames);
  EXPECT_EQ(GST_BUFFER_PTS(run.images[0]), 0u);
  EXPECT_EQ(GST_BUFFER_DURATION(run.images[0]), frame_time(run.mel_frames));
  // Every value is a viridis colour (in [0,1]) and the image is not flat.
  const auto img = floats_of(run.images[0]);
  float lo = 1, hi = 0;
  for (float v : img) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_GE(lo, 0.0f);
  EXPECT_LE(hi, 1.0f);
  EXPECT_GT(hi - lo, 0.5f);
}

TEST(SpecresizePipeline, SlidingWindows) {
  PipelineRun run;
  run_pipeline(kSource + "specresize window-frames=64 hop-frames=32 width=128 height=128 ! appsink name=img", &run);
  ASSERT_EQ(run.error, "");
  const guint64 T = run.mel_frames, W = 64, H = 32;
  const guint64 full = 1 + (T - W) / H;
  const guint64 covered = (full - 1) * H + W;
  ASSERT_EQ(run.images.size(), full + (T > covered ? 1 : 0)) << "T=" << T;
  for (size_t i = 0; i < run.images.size(); ++i) {
    EXPECT_EQ(GST_BUFFER_PTS(run.images[i]), frame_time(i * H)) << i;
    EXPECT_EQ(GST_BUFFER_OFFSET(run.images[i]), i);
    EXPECT_EQ(window_meta(run.images[i])->window_index, i);
  }
  EXPECT_NE(run.caps.find("dimensions=(string)128:128:1:1"), std::string::npos) << run.caps;
}
