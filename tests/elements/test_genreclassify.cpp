// genreclassify through GstHarness with probe bundles (the logits are pixels
// of each image, tests/infer/test_bundles.h), and real live pipelines
// `audiotestsrc is-live=true ! ... ! melspec ! specresize ! genreclassify`.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "genre_message.h"
#include "genreclassify_meta.h"
#include "gst_test_util.h"
#include "infer/classifier.h"
#include "test_bundles.h"
#include "window_meta.h"

using genre::GenreMessage;
using genre::test::ErrorBus;
using genre::test::ProbeBehaviour;
using genre::test::ProbeBundleSpec;
namespace fs = std::filesystem;

namespace {

// The probe images: 1x4x8, target logits in row 0, macro logits in row 1, row 2 column 0 the Throws trigger.
constexpr int kW = 8, kH = 4;
const char* kImageCaps =
    "other/tensors, format=(string)static, num_tensors=(int)1, types=(string)float32, "
    "dimensions=(string)8:4:1:1, framerate=(fraction)1/1";
const std::vector<std::string> kFine = {"Rock", "Jazz", "Pop", "Blues"};  // Band, Roots, Band, Roots
const std::vector<int> kFmaIds = {12, 4, 10, 3};

// What the bundle says the upstream elements did (a subset of the real fields suffices).
nlohmann::json probe_preprocessing() {
  return {{"genre/melspec-params", {{"sample-rate", 22050}, {"n-mels", 4}, {"hop-length", 512}}},
          {"genre/specresize-params", {{"window-frames", 129}, {"hop-frames", 43}, {"max-frames", 0},
                                       {"width", kW}, {"height", kH}, {"normalization", "minmax"}}}};
}

GstEvent* params_event(const char* name, const nlohmann::json& fields) {
  GstStructure* s = gst_structure_new_empty(name);
  for (const auto& [key, v] : fields.items()) {
    if (v.is_string()) gst_structure_set(s, key.c_str(), G_TYPE_STRING, v.get<std::string>().c_str(), nullptr);
    else if (v.is_number_integer()) gst_structure_set(s, key.c_str(), G_TYPE_UINT, v.get<guint>(), nullptr);
    else if (v.is_number()) gst_structure_set(s, key.c_str(), G_TYPE_DOUBLE, v.get<double>(), nullptr);
    else if (v.is_boolean()) gst_structure_set(s, key.c_str(), G_TYPE_BOOLEAN, gboolean(v.get<bool>()), nullptr);
  }
  return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

std::vector<float> image(const std::vector<float>& logits) {
  std::vector<float> img(kW * kH, -2.0f);
  for (size_t i = 0; i < logits.size(); ++i) img[i] = logits[i];
  return img;
}

GstBuffer* window_buffer(const std::vector<float>& logits, GstClockTime pts, bool trigger = false) {
  std::vector<float> img = image(logits);
  if (trigger) img[2 * kW] = 1000.0f;
  GstBuffer* buf = gst_buffer_new_memdup(img.data(), img.size() * sizeof(float));
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = 3 * GST_SECOND;
  return buf;
}

std::vector<double> softmax(const std::vector<float>& z) {
  double sum = 0;
  for (float v : z) sum += std::exp(double(v));
  std::vector<double> p;
  for (float v : z) p.push_back(std::exp(double(v)) / sum);
  return p;
}

// The plugin registers GenreScoresMeta; the test looks its API type up by name,
// as an application that does not link the plugin would.
GenreScoresMeta* scores_meta(GstBuffer* buf) {
  const GType api = g_type_from_name("GenreScoresMetaAPI");
  return api ? reinterpret_cast<GenreScoresMeta*>(gst_buffer_get_meta(buf, api)) : nullptr;
}

size_t argmax(const std::vector<double>& v) { return size_t(std::max_element(v.begin(), v.end()) - v.begin()); }

// A bus on one element for the test: its `genre` element messages in order, and its errors.
class MessageBus {
 public:
  explicit MessageBus(GstElement* element) : element_(GST_ELEMENT(gst_object_ref(element))), bus_(gst_bus_new()) {
    gst_element_set_bus(element_, bus_);
  }
  ~MessageBus() {
    gst_element_set_bus(element_, nullptr);
    gst_bus_set_flushing(bus_, TRUE);
    gst_object_unref(bus_);
    gst_object_unref(element_);
  }
  // The next `genre` message, or nullopt after `timeout`.
  std::optional<GenreMessage> next_genre(GstClockTime timeout = 30 * GST_SECOND) {
    const gint64 until = g_get_monotonic_time() + gint64(timeout / 1000);
    for (;;) {
      const gint64 left = until - g_get_monotonic_time();
      if (left <= 0) return std::nullopt;
      GstMessage* msg = gst_bus_timed_pop_filtered(bus_, GstClockTime(left) * 1000,
                                                   GstMessageType(GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR));
      if (!msg) return std::nullopt;
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError* err = nullptr;
        gst_message_parse_error(msg, &err, nullptr);
        errors_ += std::string(err->message) + "\n";
        g_error_free(err);
        gst_message_unref(msg);
        continue;
      }
      std::optional<GenreMessage> m = GenreMessage::parse(gst_message_get_structure(msg));
      gst_message_unref(msg);
      if (m) return m;
    }
  }
  // Warnings posted so far, one per line.
  std::string warnings() { return genre::test::pop_message_texts(bus_, GST_MESSAGE_WARNING); }
  // Whether a LATENCY message has been posted since the last call.
  bool latency_posted() {
    bool posted = false;
    while (GstMessage* msg = gst_bus_pop_filtered(bus_, GST_MESSAGE_LATENCY)) {
      posted = true;
      gst_message_unref(msg);
    }
    return posted;
  }
  // Errors posted so far ("message | debug" per line).
  std::string errors() {
    errors_ += genre::test::pop_message_texts(bus_, GST_MESSAGE_ERROR);
    return errors_;
  }
  // Errors until one arrives or `timeout` passes.
  std::string wait_error(GstClockTime timeout = 30 * GST_SECOND) {
    if (errors().empty()) {
      GstMessage* msg = gst_bus_timed_pop_filtered(bus_, timeout, GST_MESSAGE_ERROR);
      if (msg) {
        errors_ += genre::test::message_text(msg) + "\n";
        gst_message_unref(msg);
      }
    }
    return errors();
  }

 private:
  GstElement* element_;
  GstBus* bus_;
  std::string errors_;
};

std::vector<std::string> labels(const GenreMessage& m) {
  std::vector<std::string> out;
  for (const auto& c : m.top) out.push_back(c.name);
  return out;
}

std::vector<double> scores_of(const GenreMessage& m) {
  std::vector<double> out;
  for (const auto& c : m.top) out.push_back(c.score);
  return out;
}

std::vector<int> fma_ids(const GenreMessage& m) {
  std::vector<int> out;
  for (const auto& c : m.top) out.push_back(c.fma_genre_id);
  return out;
}

std::string name_of(const std::optional<genre::infer::RankedClass>& c) { return c ? c->name : ""; }

// Genre tag events the harness's sink received, in order, up to EOS (or what is there).
std::vector<std::string> genre_tags_until_eos(GstHarness* h) {
  std::vector<std::string> tags;
  for (;;) {
    GstEvent* ev = gst_harness_pull_event(h);  // waits; EOS always comes last
    if (!ev) break;
    const GstEventType type = GST_EVENT_TYPE(ev);
    if (type == GST_EVENT_TAG) {
      GstTagList* list = nullptr;
      gst_event_parse_tag(ev, &list);
      gchar* genre = nullptr;
      if (gst_tag_list_get_string(list, GST_TAG_GENRE, &genre)) tags.emplace_back(genre);
      g_free(genre);
    }
    gst_event_unref(ev);
    if (type == GST_EVENT_EOS) break;
  }
  return tags;
}

// An error with its domain and code, as an application sees it.
struct PostedError {
  GQuark domain = 0;
  int code = 0;
  std::string source;
  std::string text;
};

PostedError pop_error(GstBus* bus, GstClockTime timeout) {
  PostedError out;
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, timeout, GstMessageType(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
  if (!msg) {
    out.text = "timeout";
    return out;
  }
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(msg, &err, &debug);
    out.domain = err->domain;
    out.code = err->code;
    out.source = GST_OBJECT_NAME(GST_MESSAGE_SRC(msg));
    out.text = std::string(err->message) + " | " + (debug ? debug : "");
    g_error_free(err);
    g_free(debug);
  }
  gst_message_unref(msg);
  return out;
}

// The error an element posts when it fails to reach PAUSED with this model.
PostedError model_load_error(const std::string& model) {
  GstElement* e = gst_element_factory_make("genreclassify", nullptr);
  g_object_set(e, "model", model.c_str(), nullptr);
  gst_util_set_object_arg(G_OBJECT(e), "device", "cpu");
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(e, bus);
  const bool failed = gst_element_set_state(e, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE;
  PostedError out = pop_error(bus, 0);
  if (!failed) out.text = "the state change succeeded: " + out.text;
  gst_element_set_state(e, GST_STATE_NULL);
  gst_element_set_bus(e, nullptr);
  gst_bus_set_flushing(bus, TRUE);
  gst_object_unref(bus);
  gst_object_unref(e);
  return out;
}

// Answers upstream LATENCY queries as a live source with this latency would.
struct UpstreamLatency {
  GstClockTime min, max;
};

GstPadProbeReturn answer_latency(GstPad*, GstPadProbeInfo* info, gpointer data) {
  GstQuery* q = GST_PAD_PROBE_INFO_QUERY(info);
  if (GST_QUERY_TYPE(q) != GST_QUERY_LATENCY) return GST_PAD_PROBE_OK;
  const auto* up = static_cast<const UpstreamLatency*>(data);
  gst_query_set_latency(q, TRUE, up->min, up->max);
  return GST_PAD_PROBE_HANDLED;
}

struct LatencyAnswer {
  bool answered = false;
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;
};

// The LATENCY query as the sink after the element asks it.
LatencyAnswer query_latency(GstHarness* h, UpstreamLatency upstream) {
  const gulong probe = gst_pad_add_probe(h->srcpad, GST_PAD_PROBE_TYPE_QUERY_UPSTREAM, answer_latency, &upstream,
                                         nullptr);
  GstQuery* q = gst_query_new_latency();
  LatencyAnswer a;
  a.answered = gst_pad_peer_query(h->sinkpad, q);
  gst_query_parse_latency(q, &a.live, &a.min, &a.max);
  gst_query_unref(q);
  gst_pad_remove_probe(h->srcpad, probe);
  return a;
}

class GenreClassifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("genre-classify-element-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (h_) gst_harness_teardown(h_);
    fs::remove_all(dir_);
  }

  std::string bundle(const std::string& name, ProbeBundleSpec spec = ProbeBundleSpec{}) {
    if (spec.preprocessing.empty()) spec.preprocessing = probe_preprocessing();
    const std::string path = (dir_ / name).string();
    genre::test::write_probe_bundle(path, spec);
    return path;
  }

  // A playing harness around a genreclassify with `props` ("top-k=3 smoothing=mean"), caps set.
  GstHarness* harness(const std::string& model, const std::string& props = "") {
    GstElement* e = gst_parse_launch(("genreclassify model=\"" + model + "\" " + props).c_str(), nullptr);
    EXPECT_NE(e, nullptr);
    bus_ = std::make_unique<MessageBus>(e);  // before the harness starts it: start() may warn
    h_ = gst_harness_new_with_element(e, "sink", "src");
    gst_object_unref(e);
    gst_harness_set_src_caps_str(h_, kImageCaps);
    return h_;
  }

  void push_params(const nlohmann::json& pre) {
    for (const auto& [name, fields] : pre.items())
      ASSERT_TRUE(gst_harness_push_event(h_, params_event(name.c_str(), fields))) << name;
  }

  fs::path dir_;
  GstHarness* h_ = nullptr;
  std::unique_ptr<MessageBus> bus_;
};

}  // namespace

TEST_F(GenreClassifyTest, WindowMessageFieldsAndTimestamps) {
  GstHarness* h = harness(bundle("probe.pt"), "top-k=3 smoothing=none");
  // Segment: running-time = pts + 10 s (base), stream-time = pts + 100 s (time).
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  seg.base = 10 * GST_SECOND;
  seg.time = 100 * GST_SECOND;
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_segment(&seg)));
  const std::vector<float> logits = {0.5f, 2.0f, 1.0f, -1.0f};
  ASSERT_EQ(gst_harness_push(h, window_buffer(logits, 2 * GST_SECOND)), GST_FLOW_OK);

  auto s = bus_->next_genre();
  ASSERT_TRUE(s) << bus_->errors();
  const auto p = softmax(logits);  // Jazz, Pop, Rock, Blues
  EXPECT_EQ(s->times.timestamp, 2 * GST_SECOND);
  EXPECT_EQ(s->times.running_time, 12 * GST_SECOND);
  EXPECT_EQ(s->times.stream_time, 102 * GST_SECOND);
  EXPECT_EQ(s->times.duration, 3 * GST_SECOND);
  EXPECT_EQ(s->window, 0u);
  EXPECT_EQ(labels(*s), (std::vector<std::string>{"Jazz", "Pop", "Rock"}));
  const auto scores = scores_of(*s);
  ASSERT_EQ(scores.size(), 3u);
  EXPECT_NEAR(scores[0], p[1], 1e-6);
  EXPECT_NEAR(scores[1], p[2], 1e-6);
  EXPECT_NEAR(scores[2], p[0], 1e-6);
  EXPECT_EQ(fma_ids(*s), (std::vector<int>{4, 10, 12}));
  EXPECT_EQ(name_of(s->macro), "Roots");  // Jazz + Blues > Rock + Pop
  EXPECT_NEAR(s->macro->score, p[1] + p[3], 1e-6);
  EXPECT_EQ(s->verdict.name, "Jazz");
  EXPECT_NEAR(s->verdict.score, p[1], 1e-6);
  EXPECT_EQ(name_of(s->verdict_macro), "Roots");
  EXPECT_TRUE(s->confident);
  EXPECT_EQ(s->skipped, 0u);
  EXPECT_FALSE(s->final);

  // The buffer itself passes unchanged.
  GstBuffer* out = gst_harness_pull(h);
  ASSERT_NE(out, nullptr);
  const auto img = image(logits);
  GstMapInfo map;
  gst_buffer_map(out, &map, GST_MAP_READ);
  ASSERT_EQ(map.size, img.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(map.data, img.data(), map.size), 0);
  gst_buffer_unmap(out, &map);
  EXPECT_EQ(GST_BUFFER_PTS(out), 2 * GST_SECOND);
  gst_buffer_unref(out);
}

TEST_F(GenreClassifyTest, ScoresMetaOnEveryClassifiedBuffer) {
  GstHarness* h = harness(bundle("probe.pt"));
  const std::vector<float> logits = {3.0f, 0.0f, 1.0f, 0.5f};
  gst_harness_push(h, window_buffer(logits, 0));
  GstBuffer* out = gst_harness_pull(h);
  ASSERT_NE(out, nullptr);
  GenreScoresMeta* m = scores_meta(out);
  ASSERT_NE(m, nullptr);
  const auto p = softmax(logits);
  ASSERT_EQ(m->n_scores, 4u);
  for (guint i = 0; i < 4; ++i) EXPECT_NEAR(m->scores[i], p[i], 1e-6);
  ASSERT_EQ(m->n_macro_scores, 2u);
  EXPECT_NEAR(m->macro_scores[0], p[0] + p[2], 1e-6);
  EXPECT_NEAR(m->macro_scores[1], p[1] + p[3], 1e-6);
  EXPECT_EQ(m->top_class, 0);
  EXPECT_STREQ(m->label, "Rock");
  EXPECT_EQ(m->macro_class, 0);
  EXPECT_STREQ(m->macrogenre, "Band");
  EXPECT_EQ(m->window, 0u);
  // A copy of the buffer carries a copy of the meta.
  GstBuffer* copy = gst_buffer_copy(out);
  GenreScoresMeta* mc = scores_meta(copy);
  ASSERT_NE(mc, nullptr);
  EXPECT_NE(mc->scores, m->scores);
  EXPECT_FLOAT_EQ(mc->scores[2], m->scores[2]);
  EXPECT_STREQ(mc->label, "Rock");
  gst_buffer_unref(copy);
  gst_buffer_unref(out);
}

// The running verdict over five windows, for mean and two EMA alphas, against
// the arithmetic done here on softmaxes computed here.
TEST_F(GenreClassifyTest, SmoothingArithmetic) {
  const std::vector<std::vector<float>> windows = {
      {2.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 1.5f, 0.0f, 0.0f}, {0.0f, 2.5f, 0.5f, 0.0f},
      {1.0f, 1.0f, 0.0f, 3.0f}, {0.0f, 0.0f, 0.0f, 0.0f}};
  const std::string model = bundle("probe.pt");
  struct Case { const char* props; const char* how; double alpha; };
  for (const Case& c : {Case{"smoothing=mean", "mean", 0.0}, Case{"smoothing=ema ema-alpha=0.5", "ema", 0.5},
                        Case{"smoothing=ema ema-alpha=0.2", "ema", 0.2}}) {
    if (h_) {
      gst_harness_teardown(h_);
      bus_.reset();
    }
    GstHarness* h = harness(model, c.props);
    std::vector<double> state(4, 0.0);
    for (size_t w = 0; w < windows.size(); ++w) {
      const auto p = softmax(windows[w]);
      for (size_t k = 0; k < 4; ++k) {
        if (w == 0) state[k] = p[k];
        else if (std::string(c.how) == "mean") state[k] = (state[k] * double(w) + p[k]) / double(w + 1);
        else state[k] = c.alpha * p[k] + (1 - c.alpha) * state[k];
      }
      gst_harness_push(h, window_buffer(windows[w], w * GST_SECOND));
      auto s = bus_->next_genre();
      ASSERT_TRUE(s) << c.props << " window " << w << ": " << bus_->errors();
      const size_t best = argmax(state);
      EXPECT_EQ(s->verdict.name, kFine[best]) << c.props << " window " << w;
      EXPECT_NEAR(s->verdict.score, state[best], 1e-5) << c.props << " window " << w;
    }
  }
}

// The final message: the mean of every window (not the smoothed verdict), the
// stream's time span, final=TRUE; tags when the verdict changes and at EOS.
TEST_F(GenreClassifyTest, EosVerdictAndTags) {
  GstHarness* h = harness(bundle("probe.pt"), "smoothing=none top-k=2");
  const std::vector<std::vector<float>> windows = {
      {3.0f, 0.0f, 0.0f, 0.0f}, {3.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 4.0f, 0.0f, 0.0f}};
  for (size_t w = 0; w < windows.size(); ++w) gst_harness_push(h, window_buffer(windows[w], (5 + w) * GST_SECOND));
  gst_harness_push_event(h, gst_event_new_eos());
  std::vector<double> mean(4, 0.0);
  for (const auto& w : windows) {
    const auto p = softmax(w);
    for (size_t k = 0; k < 4; ++k) mean[k] += p[k] / double(windows.size());
  }
  std::optional<GenreMessage> last;
  int messages = 0;
  while (auto s = bus_->next_genre(10 * GST_SECOND)) {
    ++messages;
    last = s;
    if (s->final) break;
  }
  ASSERT_EQ(messages, 4) << bus_->errors();
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->final);
  EXPECT_EQ(last->windows, 3u);
  const size_t best = argmax(mean);
  EXPECT_EQ(last->verdict.name, kFine[best]);  // Rock: mean 0.6x vs Jazz
  EXPECT_NEAR(last->verdict.score, mean[best], 1e-5);
  EXPECT_EQ(labels(*last), (std::vector<std::string>{"Rock", "Jazz"}));
  EXPECT_NEAR(scores_of(*last)[1], mean[1], 1e-5);
  EXPECT_EQ(last->times.timestamp, 5 * GST_SECOND);
  EXPECT_EQ(last->times.duration, 5 * GST_SECOND);  // 5 s .. 7 s + 3 s
  EXPECT_EQ(name_of(last->macro), "Band");

  // Rock (window 1), Jazz (window 3), then the stream's Rock at EOS.
  EXPECT_EQ(genre_tags_until_eos(h), (std::vector<std::string>{"Rock", "Jazz", "Rock"}));
  EXPECT_EQ(gst_harness_buffers_received(h), 3u);
}

TEST_F(GenreClassifyTest, MinConfidenceSilencesUncertainVerdicts) {
  GstHarness* h = harness(bundle("probe.pt"), "smoothing=none min-confidence=0.9 emit-tags=true");
  gst_harness_push(h, window_buffer({1.0f, 0.0f, 0.0f, 0.0f}, 0));  // Rock ~0.48: uncertain
  auto s = bus_->next_genre();
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->confident);
  EXPECT_EQ(s->verdict.name, "Rock");
  gst_harness_push_event(h, gst_event_new_eos());
  EXPECT_TRUE(genre_tags_until_eos(h).empty());
}

TEST_F(GenreClassifyTest, MessagesAndTagsCanBeTurnedOff) {
  GstHarness* h = harness(bundle("probe.pt"), "post-messages=false emit-tags=false");
  gst_harness_push(h, window_buffer({3.0f, 0.0f, 0.0f, 0.0f}, 0));
  gst_harness_push_event(h, gst_event_new_eos());
  EXPECT_TRUE(genre_tags_until_eos(h).empty());
  EXPECT_FALSE(bus_->next_genre(GST_SECOND / 2));
  EXPECT_EQ(gst_harness_buffers_received(h), 1u);
}

TEST_F(GenreClassifyTest, BatchesGiveTheSameScores) {
  const std::string model = bundle("probe.pt");
  std::vector<std::vector<double>> scores[2];
  for (int run = 0; run < 2; ++run) {
    if (h_) {
      gst_harness_teardown(h_);
      bus_.reset();
    }
    GstHarness* h = harness(model, run == 0 ? "batch=1 top-k=4" : "batch=3 top-k=4");
    for (int w = 0; w < 7; ++w)
      gst_harness_push(h, window_buffer({float(w % 3), float(w % 2), 0.5f, float(w) / 7}, w * GST_SECOND));
    gst_harness_push_event(h, gst_event_new_eos());  // the last, partial batch goes at EOS
    for (int w = 0; w < 7; ++w) {
      auto s = bus_->next_genre();
      ASSERT_TRUE(s) << "run " << run << " window " << w << ": " << bus_->errors();
      EXPECT_EQ(s->times.timestamp, guint64(w) * GST_SECOND);
      scores[run].push_back(scores_of(*s));
    }
  }
  for (int w = 0; w < 7; ++w)
    for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(scores[0][size_t(w)][k], scores[1][size_t(w)][k], 1e-6);
}

// batch=3: windows wait for a full batch; upstream's events in
// between do not cut it, and still reach downstream.
TEST_F(GenreClassifyTest, ABatchWaitsUntilFullAcrossEvents) {
  GstHarness* h = harness(bundle("probe.pt"), "batch=3 emit-tags=false");
  gst_harness_push(h, window_buffer({3, 0, 0, 0}, 0));
  GstTagList* bitrate = gst_tag_list_new(GST_TAG_BITRATE, 128000u, nullptr);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_tag(bitrate)));
  gst_harness_push(h, window_buffer({0, 3, 0, 0}, GST_SECOND));
  EXPECT_FALSE(bus_->next_genre(GST_SECOND / 2)) << "two of three windows: the batch waits";
  EXPECT_EQ(gst_harness_buffers_received(h), 0u);
  gst_harness_push(h, window_buffer({0, 0, 3, 0}, 2 * GST_SECOND));
  for (const char* want : {"Rock", "Jazz", "Pop"}) {
    auto s = bus_->next_genre();
    ASSERT_TRUE(s) << bus_->errors();
    EXPECT_EQ(labels(*s)[0], want);
  }
  GstBuffer* b0 = gst_harness_pull(h);
  bool bitrate_tag = false;
  while (GstEvent* ev = gst_harness_try_pull_event(h)) {
    if (GST_EVENT_TYPE(ev) == GST_EVENT_TAG) {
      GstTagList* list = nullptr;
      gst_event_parse_tag(ev, &list);
      guint rate = 0;
      bitrate_tag |= gst_tag_list_get_uint(list, GST_TAG_BITRATE, &rate) && rate == 128000u;
    }
    gst_event_unref(ev);
  }
  EXPECT_TRUE(bitrate_tag);
  GstBuffer* b1 = gst_harness_pull(h);
  GstBuffer* b2 = gst_harness_pull(h);
  ASSERT_TRUE(b0 && b1 && b2);
  EXPECT_EQ(GST_BUFFER_PTS(b0), 0u);
  EXPECT_EQ(GST_BUFFER_PTS(b1), GST_SECOND);
  EXPECT_EQ(GST_BUFFER_PTS(b2), 2 * GST_SECOND);
  gst_buffer_unref(b0);
  gst_buffer_unref(b1);
  gst_buffer_unref(b2);
}

// A drain query (serialized) sends a partial batch on instead of deadlocking behind it.
TEST_F(GenreClassifyTest, ADrainQueryFlushesAPartialBatch) {
  GstHarness* h = harness(bundle("probe.pt"), "batch=4");
  gst_harness_push(h, window_buffer({0, 0, 0, 3}, 0));
  GstQuery* drain = gst_query_new_drain();
  EXPECT_TRUE(gst_pad_peer_query(h->srcpad, drain));
  gst_query_unref(drain);
  auto s = bus_->next_genre(5 * GST_SECOND);
  ASSERT_TRUE(s) << "the drained window was classified";
  EXPECT_EQ(s->verdict.name, "Blues");
  EXPECT_EQ(gst_harness_buffers_received(h), 1u);
}

// FLUSH and a new segment restart both verdicts; a DISCONT only the running one.
TEST_F(GenreClassifyTest, FlushSegmentAndDiscontResetTheVerdict) {
  GstHarness* h = harness(bundle("probe.pt"), "smoothing=mean");
  auto verdict_after = [&](const std::vector<float>& logits, GstClockTime pts, bool discont) {
    GstBuffer* b = window_buffer(logits, pts);
    if (discont) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DISCONT);
    gst_harness_push(h, b);
    auto s = bus_->next_genre();
    EXPECT_TRUE(s) << bus_->errors();
    std::string v = s ? s->verdict.name : "";
    return v;
  };
  const std::vector<float> rock = {4, 0, 0, 0}, jazz = {0, 1.5f, 0, 0};
  EXPECT_EQ(verdict_after(rock, 0, false), "Rock");
  EXPECT_EQ(verdict_after(rock, GST_SECOND, false), "Rock");
  EXPECT_EQ(verdict_after(jazz, 2 * GST_SECOND, false), "Rock");  // the mean still says Rock
  EXPECT_EQ(verdict_after(jazz, 3 * GST_SECOND, true), "Jazz");   // DISCONT: running mean restarts

  gst_harness_push_event(h, gst_event_new_flush_start());
  gst_harness_push_event(h, gst_event_new_flush_stop(TRUE));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  gst_harness_push_event(h, gst_event_new_segment(&seg));
  EXPECT_EQ(verdict_after(jazz, 0, false), "Jazz");
  gst_harness_push_event(h, gst_event_new_eos());
  auto s = bus_->next_genre();
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->final);
  EXPECT_EQ(s->windows, 1u) << "the flush dropped the earlier windows";
  EXPECT_EQ(s->verdict.name, "Jazz");
}

TEST_F(GenreClassifyTest, MatchingPreprocessingIsAccepted) {
  GstHarness* h = harness(bundle("probe.pt"));
  nlohmann::json pre = probe_preprocessing();
  pre["genre/specresize-params"]["hop-frames"] = 1;  // the hop may differ
  push_params(pre);
  gst_harness_push(h, window_buffer({1, 0, 0, 0}, 0));
  auto s = bus_->next_genre();
  ASSERT_TRUE(s) << bus_->errors();
  EXPECT_EQ(bus_->errors(), "");
}

TEST_F(GenreClassifyTest, PreprocessingMismatchIsAnErrorNamingTheParameter) {
  const std::string model = bundle("probe.pt");
  nlohmann::json melspec = probe_preprocessing()["genre/melspec-params"];
  melspec["n-mels"] = 128;
  nlohmann::json spec = probe_preprocessing()["genre/specresize-params"];
  spec["window-frames"] = 43;
  struct Case { const char* name; nlohmann::json fields; std::vector<std::string> expect; };
  for (const Case& c : {Case{"genre/melspec-params", melspec, {"melspec n-mels=128", "expects n-mels=4"}},
                        Case{"genre/specresize-params", spec, {"window-frames=43", "window-frames=129"}}}) {
    if (h_) {
      gst_harness_teardown(h_);
      bus_.reset();
    }
    GstHarness* h = harness(model);
    gst_harness_push_event(h, params_event(c.name, c.fields));  // sticky: stored even when refused
    const std::string e = bus_->wait_error();
    for (const std::string& want : c.expect) EXPECT_NE(e.find(want), std::string::npos) << e;
  }
}

TEST_F(GenreClassifyTest, ImageShapeMismatchIsAnError) {
  const std::string model = bundle("probe.pt");
  GstElement* e = gst_element_factory_make("genreclassify", nullptr);
  g_object_set(e, "model", model.c_str(), nullptr);
  h_ = gst_harness_new_with_element(e, "sink", "src");
  gst_object_unref(e);
  bus_ = std::make_unique<MessageBus>(h_->element);
  GstCaps* caps = gst_caps_from_string(
      "other/tensors, format=(string)static, num_tensors=(int)1, types=(string)float32, "
      "dimensions=(string)16:4:3:1, framerate=(fraction)0/1");
  gst_harness_push_event(h_, gst_event_new_stream_start("s"));
  gst_harness_push_event(h_, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  const std::string err = bus_->wait_error();
  EXPECT_NE(err.find("16:4:3:1"), std::string::npos) << err;
  EXPECT_NE(err.find("model takes 8:4:1:1"), std::string::npos) << err;
  EXPECT_NE(err.find("width=8 height=4 channels=1"), std::string::npos) << err;
}

TEST_F(GenreClassifyTest, AFailingForwardPassIsAnErrorNotACrash) {
  ProbeBundleSpec spec;
  spec.behaviour = ProbeBehaviour::Throws;
  GstHarness* h = harness(bundle("throws.pt", spec));
  gst_harness_push(h, window_buffer({1, 0, 0, 0}, 0, true));
  const std::string e = bus_->wait_error();
  EXPECT_NE(e.find("Inference failed"), std::string::npos) << e;
  EXPECT_NE(e.find("deliberate failure"), std::string::npos) << e;
  // Upstream learns it from the flow return.
  GstFlowReturn ret = GST_FLOW_OK;
  for (int i = 0; i < 100 && ret == GST_FLOW_OK; ++i) {
    ret = gst_harness_push(h, window_buffer({1, 0, 0, 0}, GST_SECOND));
    if (ret == GST_FLOW_OK) g_usleep(10000);
  }
  EXPECT_EQ(ret, GST_FLOW_ERROR);
}

// Loading happens at READY->PAUSED: every bad model is a failed state change
// with an error that says what is wrong, never a crash.
TEST_F(GenreClassifyTest, BadModelsFailTheStateChangeWithAClearError) {
  const std::string good = bundle("good.pt");
  const std::string truncated = (dir_ / "truncated.pt").string();
  {
    std::ifstream in(good, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(truncated, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() * 2 / 3));
  }
  const std::string corrupt = (dir_ / "corrupt.pt").string();
  {
    std::ofstream out(corrupt, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(char((i * 7919) & 0xff));
  }
  const std::string plain = (dir_ / "plain.pt").string();
  genre::test::write_plain_torchscript(plain);
  struct Case { std::string model, device, expect; };
  std::vector<Case> cases = {
      {"", "cpu", "No model bundle set"},
      {(dir_ / "missing.pt").string(), "cpu", "no such model file"},
      {truncated, "cpu", "truncated or corrupt"},
      {corrupt, "cpu", "truncated or corrupt"},
      {plain, "cpu", "not a genre model bundle"},
  };
  if (!genre::infer::cuda_available()) cases.push_back({good, "cuda", "device=cuda"});
  for (const Case& c : cases) {
    GstElement* e = gst_element_factory_make("genreclassify", nullptr);
    g_object_set(e, "model", c.model.c_str(), nullptr);
    gst_util_set_object_arg(G_OBJECT(e), "device", c.device.c_str());
    ErrorBus errors(e);
    EXPECT_EQ(gst_element_set_state(e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE) << c.model;
    const std::string text = errors.errors();
    EXPECT_NE(text.find(c.expect), std::string::npos) << c.model << ": " << text;
    gst_element_set_state(e, GST_STATE_NULL);
    gst_object_unref(e);
  }
}

TEST_F(GenreClassifyTest, APipelineReusedThroughReadyKeepsWorking) {
  GstHarness* h = harness(bundle("probe.pt"));
  for (int round = 0; round < 2; ++round) {
    gst_harness_push(h, window_buffer({0, 0, 3, 0}, 0));
    auto s = bus_->next_genre();
    ASSERT_TRUE(s) << "round " << round << ": " << bus_->errors();
    EXPECT_EQ(s->verdict.name, "Pop");
    GstBuffer* b = gst_harness_pull(h);
    ASSERT_NE(b, nullptr);
    gst_buffer_unref(b);
    ASSERT_EQ(gst_element_set_state(h->element, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
    ASSERT_EQ(gst_element_set_state(h->element, GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
    gst_harness_set_src_caps_str(h, kImageCaps);
  }
}

// leaky and max-delay are deprecated no-ops: leaky=true warns at start, naming the
// leaky queue that replaces it, and a model slower than the windows still classifies
// every window, in order (the element never skips; a queue in front would drop).
TEST_F(GenreClassifyTest, LeakyIsADeprecatedNoOpThatSaysWhatToUseInstead) {
  ProbeBundleSpec spec;
  spec.behaviour = ProbeBehaviour::Slow;
  spec.slow_matmuls = RUNNING_ON_VALGRIND ? 5 : 400;
  GstHarness* h = harness(bundle("slow.pt", spec), "leaky=true max-delay=1000000");
  const std::string warnings = bus_->warnings();
  EXPECT_NE(warnings.find("leaky property is deprecated and has no effect"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("queue leaky=downstream max-size-time=1000000"), std::string::npos) << warnings;
  constexpr int kWindows = 6;
  for (int w = 0; w < kWindows; ++w)
    ASSERT_EQ(gst_harness_push(h, window_buffer({1, 0, 0, 0}, w * GST_SECOND)), GST_FLOW_OK);
  for (int w = 0; w < kWindows; ++w) {
    GstBuffer* b = gst_harness_pull(h);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(GST_BUFFER_PTS(b), guint64(w) * GST_SECOND) << "order kept";
    EXPECT_NE(scores_meta(b), nullptr) << "window " << w;
    gst_buffer_unref(b);
  }
  guint64 skipped = 1;
  g_object_get(h->element, "skipped", &skipped, nullptr);
  EXPECT_EQ(skipped, 0u);
}

TEST_F(GenreClassifyTest, WithoutLeakyThereIsNoWarning) {
  harness(bundle("probe.pt"));
  EXPECT_EQ(bus_->warnings(), "");
}

// ---- live pipelines --------------------------------------------------------------------------

namespace {

struct LiveRun {
  int messages = 0;
  guint64 skipped = 0;
  std::vector<guint64> windows;  // the window field of each message
  std::string error;
};

// What genre-classify --live puts in front of genreclassify: never blocks the source, drops the oldest window
// once `ns` of them wait.
std::string leaky_queue(GstClockTime ns) {
  return " ! queue leaky=downstream max-size-buffers=0 max-size-bytes=0 max-size-time=" + std::to_string(ns);
}

// Runs `audiotestsrc is-live=true ! ... ! genreclassify` for `seconds`, then EOS.
LiveRun run_live(const std::string& middle, const std::string& classify_props, double seconds) {
  const std::string desc = "audiotestsrc is-live=true wave=pink-noise samplesperbuffer=1024 ! audioconvert ! "
                           "audioresample ! " + middle + " ! genreclassify name=c " + classify_props +
                           " ! fakesink sync=false";
  LiveRun run;
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &error);
  if (!pipeline || error) {
    run.error = error ? error->message : "parse failed";
    if (error) g_error_free(error);
    if (pipeline) gst_object_unref(pipeline);
    return run;
  }
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  const gint64 stop_at = g_get_monotonic_time() + gint64(seconds * 1e6);
  bool eos_sent = false;
  for (;;) {
    const gint64 now = g_get_monotonic_time();
    if (!eos_sent && now >= stop_at) {
      gst_element_send_event(pipeline, gst_event_new_eos());
      eos_sent = true;
    }
    GstMessage* msg = gst_bus_timed_pop_filtered(bus, 100 * GST_MSECOND,
        GstMessageType(GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
    if (!msg) {
      if (eos_sent && g_get_monotonic_time() > stop_at + 60 * gint64(1e6)) {
        run.error = "no EOS";
        break;
      }
      continue;
    }
    const GstMessageType type = GST_MESSAGE_TYPE(msg);
    if (type == GST_MESSAGE_ERROR) {
      GError* err = nullptr;
      gst_message_parse_error(msg, &err, nullptr);
      run.error = err->message;
      g_error_free(err);
    } else if (type == GST_MESSAGE_ELEMENT) {
      if (std::optional<GenreMessage> m = GenreMessage::parse(gst_message_get_structure(msg))) {
        run.skipped = m->skipped;
        if (!m->final) {
          ++run.messages;
          run.windows.push_back(m->window);
        }
      }
    }
    gst_message_unref(msg);
    if (type == GST_MESSAGE_ERROR || type == GST_MESSAGE_EOS) break;
  }
  GstElement* c = gst_bin_get_by_name(GST_BIN(pipeline), "c");
  guint64 skipped = 0;
  g_object_get(c, "skipped", &skipped, nullptr);
  run.skipped = std::max(run.skipped, skipped);
  gst_object_unref(c);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return run;
}

}  // namespace

// The small CNN of the reference study (build_model) on 64x64 images of 1 s
// windows (43 frames at 22050/512) every 0.5 s: it keeps up easily, so no
// window is dropped by the leaky queue in front and the windows are consecutive.
TEST_F(GenreClassifyTest, LivePipelineKeepsUpAtTheExpectedLoad) {
  const std::string middle = "melspec sample-rate=22050 n-mels=32 frames-per-buffer=4 ! "
                             "specresize window-frames=43 hop-frames=22 width=64 height=64";
  ProbeBundleSpec spec;
  spec.preprocessing = genre::test::capture_preprocessing(middle);
  ASSERT_TRUE(spec.preprocessing.contains("genre/specresize-params")) << spec.preprocessing.dump();
  spec.height = spec.width = 64;
  const std::string model = (dir_ / "cnn.pt").string();
  genre::test::write_model_bundle(model, "cnn", spec);
  const double seconds = RUNNING_ON_VALGRIND ? 4.0 : 3.0;
  const LiveRun run = run_live(middle + leaky_queue(GST_SECOND), "model=\"" + model + "\"", seconds);
  EXPECT_EQ(run.error, "");
  // ~ (seconds - 1) / 0.5 windows; startup takes some of the time.
  EXPECT_GE(run.messages, RUNNING_ON_VALGRIND ? 2 : 3);
  EXPECT_EQ(run.skipped, 0u);
  for (size_t i = 0; i < run.windows.size(); ++i) EXPECT_EQ(run.windows[i], i) << "GenreWindowMeta indices";
}

// Starved: a window every frame (~43 per second) at tens of ms per window on one
// thread: the leaky queue in front (0.2 s) drops windows, the source never waits, and
// genreclassify counts the drops from the gaps in the window indices.
TEST_F(GenreClassifyTest, LivePipelineStarvedCountsSkips) {
  // Under valgrind melspec and specresize alone fall far behind 43 windows per second of live audio.
  if (RUNNING_ON_VALGRIND) GTEST_SKIP() << "a real-time load test: meaningless under valgrind";
  const std::string middle = "melspec sample-rate=22050 n-mels=16 ! specresize window-frames=22 hop-frames=1 width=8 height=4";
  ProbeBundleSpec spec;
  spec.preprocessing = genre::test::capture_preprocessing(middle);
  spec.behaviour = ProbeBehaviour::Slow;
  spec.slow_matmuls = 3000;
  const std::string model = bundle("starved.pt", spec);
  const LiveRun run = run_live(middle + leaky_queue(200 * GST_MSECOND), "model=\"" + model + "\" threads=1", 2.0);
  EXPECT_EQ(run.error, "");
  EXPECT_GT(run.skipped, 0u);
  ASSERT_GT(run.messages, 0);
  // Every window between the first and the last classified one was either classified or counted.
  EXPECT_EQ(run.windows.back() - run.windows.front() + 1, guint64(run.messages) + run.skipped);
}

// The same live pipeline with a bundle trained on other spectrograms stops with an error naming the parameter.
TEST_F(GenreClassifyTest, LivePipelineWithMismatchedPreprocessingStops) {
  ProbeBundleSpec spec;
  spec.preprocessing = genre::test::capture_preprocessing(
      "melspec sample-rate=22050 n-mels=16 ! specresize window-frames=22 width=8 height=4");
  const std::string model = bundle("mismatch.pt", spec);
  const LiveRun run = run_live("melspec sample-rate=16000 n-mels=16 ! specresize window-frames=22 width=8 height=4",
                               "model=\"" + model + "\"", 2.0);
  EXPECT_NE(run.error.find("sample-rate=16000"), std::string::npos) << run.error;
  EXPECT_NE(run.error.find("sample-rate=22050"), std::string::npos) << run.error;
}

// ---- bad input: models, shapes, params -----------------------------------------------------

// Every kind of unusable model is RESOURCE/OPEN_READ (or NOT_FOUND without one)
// at READY->PAUSED, naming the file and what is wrong with it.
TEST_F(GenreClassifyTest, UnusableModelsAreResourceErrorsNamingTheProblem) {
  ProbeBundleSpec wrong_logits;
  wrong_logits.behaviour = ProbeBehaviour::WrongShape;
  ProbeBundleSpec too_small;  // the bundle declares 2x2 images: the model cannot give its 4 classes from them
  too_small.height = too_small.width = 2;
  const std::string plain = (dir_ / "plain.pt").string();
  genre::test::write_plain_torchscript(plain);
  struct Case { std::string model; int code; std::vector<std::string> expect; };
  const std::vector<Case> cases = {
      {"", GST_RESOURCE_ERROR_NOT_FOUND, {"No model bundle set"}},
      {bundle("wrong.pt", wrong_logits), GST_RESOURCE_ERROR_OPEN_READ, {"output has shape [1, 3]", "expected [1, 4]"}},
      {bundle("small.pt", too_small), GST_RESOURCE_ERROR_OPEN_READ, {"expected [1, 4]"}},
      {plain, GST_RESOURCE_ERROR_OPEN_READ, {"not a genre model bundle"}},
      {dir_.string(), GST_RESOURCE_ERROR_OPEN_READ, {"Could not load the model bundle", dir_.string()}},
  };
  for (const Case& c : cases) {
    const PostedError e = model_load_error(c.model);
    EXPECT_EQ(e.domain, GST_RESOURCE_ERROR) << c.model << ": " << e.text;
    EXPECT_EQ(e.code, c.code) << c.model << ": " << e.text;
    for (const std::string& want : c.expect) EXPECT_NE(e.text.find(want), std::string::npos) << c.model << ": " << e.text;
  }
}

// A bundle for 128x128 images in a pipeline that makes 224x224 ones: a
// negotiation error from genreclassify that says which specresize settings fit.
TEST_F(GenreClassifyTest, PipelineWithTheWrongImageSizeIsANegotiationError) {
  ProbeBundleSpec spec;
  spec.preprocessing = genre::test::capture_preprocessing("melspec sample-rate=22050 ! specresize width=128 height=128");
  spec.height = spec.width = 128;
  const std::string model = bundle("r128.pt", spec);
  GstElement* p = gst_parse_launch(("audiotestsrc num-buffers=40 samplesperbuffer=1024 ! audio/x-raw,rate=22050,channels=1 "
                                    "! melspec sample-rate=22050 ! specresize width=224 height=224 ! genreclassify name=c "
                                    "model=\"" + model + "\" ! fakesink").c_str(), nullptr);
  ASSERT_NE(p, nullptr);
  gst_element_set_state(p, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(p);
  const PostedError e = pop_error(bus, 60 * GST_SECOND);
  gst_object_unref(bus);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  EXPECT_EQ(e.domain, GST_CORE_ERROR) << e.text;
  EXPECT_EQ(e.code, GST_CORE_ERROR_NEGOTIATION) << e.text;
  EXPECT_EQ(e.source, "c") << e.text;
  EXPECT_NE(e.text.find("The images are 224:224:1:1 (width:height:channels:batch), but the model takes 128:128:1:1"),
            std::string::npos) << e.text;
  EXPECT_NE(e.text.find("set specresize width=128 height=128 channels=1"), std::string::npos) << e.text;
}

// Fraction- and array-valued params compare as values: the same JSON the
// dataset (and so the bundle) recorded through datasetsink, no false mismatch.
TEST_F(GenreClassifyTest, FractionAndArrayParamsMatchTheBundle) {
  ProbeBundleSpec spec;
  spec.preprocessing = probe_preprocessing();
  spec.preprocessing["genre/specresize-params"]["image-rate"] = {43, 2};
  spec.preprocessing["genre/specresize-params"]["crop"] = {0, 4, 0, 8};
  GstHarness* h = harness(bundle("fraction.pt", spec));
  push_params({{"genre/melspec-params", probe_preprocessing()["genre/melspec-params"]}});
  GstEvent* ev = params_event("genre/specresize-params", probe_preprocessing()["genre/specresize-params"]);
  GstStructure* st = gst_event_writable_structure(ev);
  gst_structure_set(st, "image-rate", GST_TYPE_FRACTION, 43, 2, nullptr);
  GValue crop = G_VALUE_INIT, v = G_VALUE_INIT;
  gst_value_array_init(&crop, 4);
  g_value_init(&v, G_TYPE_INT);
  for (int x : {0, 4, 0, 8}) {
    g_value_set_int(&v, x);
    gst_value_array_append_value(&crop, &v);
  }
  g_value_unset(&v);
  gst_structure_take_value(st, "crop", &crop);
  ASSERT_TRUE(gst_harness_push_event(h, ev));
  gst_harness_push(h, window_buffer({1, 0, 0, 0}, 0));
  auto s = bus_->next_genre();
  ASSERT_TRUE(s) << bus_->errors();
  EXPECT_EQ(bus_->errors(), "");

  // And a different fraction is a mismatch naming the field.
  gst_harness_teardown(h_);
  h_ = nullptr;
  bus_.reset();
  h = harness(bundle("fraction2.pt", spec));
  GstEvent* other = params_event("genre/specresize-params", probe_preprocessing()["genre/specresize-params"]);
  gst_structure_set(gst_event_writable_structure(other), "image-rate", GST_TYPE_FRACTION, 43, 4, nullptr);
  gst_harness_push_event(h, other);
  const std::string e = bus_->wait_error();
  EXPECT_NE(e.find("image-rate"), std::string::npos) << e;
}

// ---- latency ------------------------------------------------------------------------------

// The deprecated leaky and max-delay hold nothing: the latency is upstream's.
TEST_F(GenreClassifyTest, DeprecatedLeakyAddsNoLatency) {
  GstHarness* h = harness(bundle("probe.pt"), "leaky=true max-delay=250000000");
  LatencyAnswer a = query_latency(h, {100 * GST_MSECOND, 500 * GST_MSECOND});
  ASSERT_TRUE(a.answered);
  EXPECT_TRUE(a.live);
  EXPECT_EQ(a.min, 100 * GST_MSECOND);
  EXPECT_EQ(a.max, 500 * GST_MSECOND);
}

// The first window of a batch waits for batch - 1 more, one every 1/framerate; new
// caps with another rate post a LATENCY message; unlimited upstream stays unlimited.
TEST_F(GenreClassifyTest, LatencyAddsTheBatchingDelay) {
  GstHarness* h = harness(bundle("probe.pt"), "batch=4");  // caps: framerate=1/1
  EXPECT_TRUE(bus_->latency_posted());
  LatencyAnswer a = query_latency(h, {100 * GST_MSECOND, 500 * GST_MSECOND});
  ASSERT_TRUE(a.answered);
  EXPECT_EQ(a.min, 3100 * GST_MSECOND);
  EXPECT_EQ(a.max, 3500 * GST_MSECOND);
  a = query_latency(h, {100 * GST_MSECOND, GST_CLOCK_TIME_NONE});
  EXPECT_EQ(a.min, 3100 * GST_MSECOND);
  EXPECT_EQ(a.max, GST_CLOCK_TIME_NONE);
  gst_harness_set_src_caps_str(h, "other/tensors, format=(string)static, num_tensors=(int)1, types=(string)float32, "
                                  "dimensions=(string)8:4:1:1, framerate=(fraction)2/1");
  EXPECT_TRUE(bus_->latency_posted());
  a = query_latency(h, {100 * GST_MSECOND, 500 * GST_MSECOND});
  EXPECT_EQ(a.min, 1600 * GST_MSECOND);
  EXPECT_EQ(a.max, 2000 * GST_MSECOND);
  // Whole-clip images (no framerate) have no window rate: nothing to add, nothing posted.
  gst_harness_set_src_caps_str(h, "other/tensors, format=(string)static, num_tensors=(int)1, types=(string)float32, "
                                  "dimensions=(string)8:4:1:1, framerate=(fraction)0/1");
  EXPECT_TRUE(bus_->latency_posted());  // 1.5 s -> 0
  a = query_latency(h, {100 * GST_MSECOND, 500 * GST_MSECOND});
  EXPECT_EQ(a.min, 100 * GST_MSECOND);
  EXPECT_EQ(a.max, 500 * GST_MSECOND);
}

TEST_F(GenreClassifyTest, LatencyOfOneWindowBatchesIsUpstreams) {
  GstHarness* h = harness(bundle("probe.pt"));
  EXPECT_FALSE(bus_->latency_posted());
  const LatencyAnswer a = query_latency(h, {100 * GST_MSECOND, 500 * GST_MSECOND});
  ASSERT_TRUE(a.answered);
  EXPECT_EQ(a.min, 100 * GST_MSECOND);
  EXPECT_EQ(a.max, 500 * GST_MSECOND);
}

// A real live pipeline with the leaky queue genre-classify --live uses: its latency is
// that of the same pipeline without genreclassify plus batch - 1 window intervals.
TEST_F(GenreClassifyTest, LivePipelineLatencyIncludesTheBatchingDelay) {
  const std::string middle = "melspec sample-rate=22050 n-mels=16 frames-per-buffer=4 ! "
                             "specresize window-frames=22 hop-frames=11 width=8 height=4";
  ProbeBundleSpec spec;
  spec.preprocessing = genre::test::capture_preprocessing(middle);
  const std::string model = bundle("live.pt", spec);
  const auto pipeline_latency = [&](const std::string& classify) {
    GstElement* p = gst_parse_launch(("audiotestsrc is-live=true samplesperbuffer=441 ! "
                                      "audio/x-raw,rate=22050,channels=1 ! " + middle + classify +
                                      " ! fakesink name=out sync=true").c_str(), nullptr);
    EXPECT_NE(p, nullptr);
    GstClockTime min = GST_CLOCK_TIME_NONE, max = 0;
    gboolean live = FALSE;
    if (gst_element_set_state(p, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE &&
        gst_element_get_state(p, nullptr, nullptr, 30 * GST_SECOND) == GST_STATE_CHANGE_SUCCESS) {
      // Once caps reach the sink every element has its format and so its own latency.
      GstElement* out = gst_bin_get_by_name(GST_BIN(p), "out");
      GstPad* pad = gst_element_get_static_pad(out, "sink");
      for (int i = 0; i < 3000 && !gst_pad_has_current_caps(pad); ++i) g_usleep(20000);
      EXPECT_TRUE(gst_pad_has_current_caps(pad));
      gst_object_unref(pad);
      gst_object_unref(out);
      GstQuery* q = gst_query_new_latency();
      if (gst_element_query(p, q)) gst_query_parse_latency(q, &live, &min, &max);
      gst_query_unref(q);
    }
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
    EXPECT_TRUE(live);
    return min;
  };
  const std::string queue = leaky_queue(GST_SECOND);
  const GstClockTime without = pipeline_latency(queue);
  const GstClockTime with = pipeline_latency(queue + " ! genreclassify batch=3 model=\"" + model + "\"");
  ASSERT_TRUE(GST_CLOCK_TIME_IS_VALID(without));
  // A window every 11 frames of 512 samples at 22050 Hz.
  EXPECT_EQ(with, without + 2 * gst_util_uint64_scale_int(GST_SECOND, 11 * 512, 22050));
}

// ---- silence ------------------------------------------------------------------------------

namespace {

struct FileRun {
  std::vector<GenreMessage> windows;  // the window messages, in order
  std::optional<GenreMessage> final;
  std::string error;
};

// `source ! audioconvert ! audioresample ! MIDDLE ! genreclassify ! fakesink` to EOS.
void run_file(const std::string& source, const std::string& middle, const std::string& model, FileRun* run,
              const std::string& classify_props = "") {
  const std::string desc = source + " ! audioconvert ! audioresample ! " + middle + " ! genreclassify model=\"" +
                           model + "\" " + classify_props + " ! fakesink sync=false";
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &error);
  ASSERT_TRUE(pipeline && !error) << (error ? error->message : "parse failed");
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  for (;;) {
    GstMessage* msg = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND,
        GstMessageType(GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
    if (!msg) {
      run->error = "timeout";
      break;
    }
    const GstMessageType type = GST_MESSAGE_TYPE(msg);
    if (type == GST_MESSAGE_ERROR) {
      GError* err = nullptr;
      gst_message_parse_error(msg, &err, nullptr);
      run->error = err->message;
      g_error_free(err);
    } else if (type == GST_MESSAGE_ELEMENT) {
      if (std::optional<GenreMessage> m = GenreMessage::parse(gst_message_get_structure(msg))) {
        if (m->final)
          run->final = m;
        else
          run->windows.push_back(*m);
      }
    }
    gst_message_unref(msg);
    if (type == GST_MESSAGE_ERROR || type == GST_MESSAGE_EOS) break;
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

// 9 s of digital silence at 22050 Hz with a 10 ms 1 kHz burst every 3 s, as a 16-bit WAV.
// (audiotestsrc wave=ticks would do, but GStreamer 1.22 leaves samples before each tick
// uninitialised: melspec rightly refuses the garbage.)
void write_ticks_wav(const std::string& path) {
  const int rate = 22050, seconds = 9;
  std::vector<int16_t> pcm(size_t(rate * seconds), 0);
  for (int tick = 0; tick < seconds; tick += 3)
    for (int i = 0; i < rate / 100; ++i)
      pcm[size_t(tick * rate + i)] = int16_t(26000 * std::sin(2 * M_PI * 1000.0 * i / rate));
  auto u32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [](uint16_t v) { return std::string(reinterpret_cast<const char*>(&v), 2); };
  const uint32_t bytes = uint32_t(pcm.size() * 2);
  std::ofstream out(path, std::ios::binary);
  out << "RIFF" << u32(36 + bytes) << "WAVEfmt " << u32(16) << u16(1) << u16(1) << u32(rate) << u32(rate * 2)
      << u16(2) << u16(16) << "data" << u32(bytes);
  out.write(reinterpret_cast<const char*>(pcm.data()), std::streamsize(bytes));
}

// 1 s windows of 32 mel bands; the probe reads its logits from the image.
const char* kSilenceMiddle = "melspec sample-rate=22050 n-mels=32 ! specresize window-frames=43 width=8 height=4";

}  // namespace

// Silence is not a genre: a silent stretch gives silent windows without scores, left out of
// the whole-stream verdict; sound around it is classified as before.
TEST_F(GenreClassifyTest, SilentWindowsAreMarkedAndLeftOutOfTheVerdict) {
  ProbeBundleSpec spec;
  spec.preprocessing = genre::test::capture_preprocessing(kSilenceMiddle);
  ASSERT_FALSE(spec.preprocessing.empty());
  const std::string model = bundle("probe.pt", spec);
  FileRun run;
  // 9 s of digital silence with a 10 ms tick every 3 s: windows around a tick sound, the others are silent.
  const std::string ticks = (dir_ / "ticks.wav").string();
  write_ticks_wav(ticks);
  run_file("filesrc location=\"" + ticks + "\" ! wavparse", kSilenceMiddle, model, &run);
  ASSERT_EQ(run.error, "");
  ASSERT_TRUE(run.final);
  guint64 silent = 0, sounding = 0;
  for (const GenreMessage& s : run.windows) {
    if (s.silent) {
      ++silent;
      EXPECT_TRUE(s.top.empty());
      EXPECT_EQ(s.verdict.name, "");
      EXPECT_FALSE(s.confident);
    } else {
      ++sounding;
      EXPECT_EQ(s.top.size(), 4u);
    }
  }
  EXPECT_GE(silent, 3u);
  EXPECT_GE(sounding, 2u);
  EXPECT_FALSE(run.final->silent);
  EXPECT_EQ(run.final->windows, sounding);
  EXPECT_EQ(run.final->silent_windows, silent);
  EXPECT_NE(run.final->verdict.name, "");
}

TEST_F(GenreClassifyTest, AnAllSilentStreamEndsWithoutAVerdict) {
  ProbeBundleSpec spec;
  spec.preprocessing = genre::test::capture_preprocessing(kSilenceMiddle);
  const std::string model = bundle("probe.pt", spec);
  FileRun run;
  run_file("audiotestsrc wave=silence num-buffers=200", kSilenceMiddle, model, &run);
  ASSERT_EQ(run.error, "");
  ASSERT_FALSE(run.windows.empty());
  for (const GenreMessage& s : run.windows) EXPECT_TRUE(s.silent);
  ASSERT_TRUE(run.final) << "the stream still ends with a final message";
  EXPECT_TRUE(run.final->silent);
  EXPECT_EQ(run.final->windows, 0u);
  EXPECT_EQ(run.final->silent_windows, run.windows.size());
  EXPECT_EQ(run.final->verdict.name, "");
  EXPECT_TRUE(run.final->top.empty());

  // Quiet is not silent: a tone 40 dB below full scale is classified.
  FileRun quiet;
  run_file("audiotestsrc wave=sine volume=0.01 num-buffers=200", kSilenceMiddle, model, &quiet);
  ASSERT_EQ(quiet.error, "");
  for (const GenreMessage& s : quiet.windows) EXPECT_FALSE(s.silent);
  // And the floor is a property: at -1000 dB nothing is silent.
  FileRun never;
  run_file("audiotestsrc wave=silence num-buffers=100", kSilenceMiddle, model, &never, "silence-floor=-1000");
  ASSERT_EQ(never.error, "");
  ASSERT_TRUE(never.final);
  EXPECT_FALSE(never.final->silent);
}

// ---- skipped: windows lost in front of the element ---------------------------------------------

namespace {

// A window with specresize's GenreWindowMeta (the `genre` plugin registers it; loading specresize loads it).
GstBuffer* indexed_window(const std::vector<float>& logits, guint64 index) {
  GstElement* loads_plugin = gst_element_factory_make("specresize", nullptr);
  if (loads_plugin) gst_object_unref(loads_plugin);
  const GstMetaInfo* info = gst_meta_get_info("GenreWindowMeta");
  EXPECT_NE(info, nullptr);
  GstBuffer* buf = window_buffer(logits, index * GST_SECOND);
  if (!info) return buf;
  auto* wm = reinterpret_cast<GenreWindowMeta*>(gst_buffer_add_meta(buf, info, nullptr));
  wm->window_index = index;
  wm->level_db = 0.0f;  // loud: classified
  return buf;
}

}  // namespace

// Indices 0, 1, 4, 5: a leaky queue dropped 2 and 3. Both are counted in skipped (messages
// and property), and the running verdict restarts at the gap as at a DISCONT.
TEST_F(GenreClassifyTest, GapsInTheWindowIndexAreCountedAsSkipped) {
  GstHarness* h = harness(bundle("probe.pt"), "smoothing=mean");
  const std::vector<float> rock = {4, 0, 0, 0}, jazz = {0, 1.5f, 0, 0};
  struct Step { guint64 index; std::vector<float> logits; guint64 skipped; const char* verdict; };
  for (const Step& step : {Step{0, rock, 0, "Rock"}, Step{1, rock, 0, "Rock"}, Step{4, jazz, 2, "Jazz"},
                           Step{5, rock, 2, "Rock"}}) {
    ASSERT_EQ(gst_harness_push(h, indexed_window(step.logits, step.index)), GST_FLOW_OK);
    auto s = bus_->next_genre();
    ASSERT_TRUE(s) << bus_->errors();
    EXPECT_EQ(s->window, step.index);
    EXPECT_EQ(s->skipped, step.skipped) << "window " << step.index;
    EXPECT_EQ(s->verdict.name, step.verdict) << "window " << step.index;
  }
  guint64 skipped = 0;
  g_object_get(h->element, "skipped", &skipped, nullptr);
  EXPECT_EQ(skipped, 2u);
  // A new segment starts a new clip: its index 0 is no gap.
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_segment(&seg)));
  ASSERT_EQ(gst_harness_push(h, indexed_window(rock, 0)), GST_FLOW_OK);
  auto s = bus_->next_genre();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->skipped, 2u);
}

// ---- the genre message: one build, one parse ------------------------------------------------------

// The structure applications see (gst-launch-1.0 -m prints it): every field in the documented order.
TEST(GenreMessageTest, TheStructureHasTheDocumentedFieldsInOrder) {
  genre::MessageTimes t;
  t.timestamp = GST_SECOND;
  genre::infer::WindowResult r;
  r.top = {{0, "Rock", 12, 0.75f}, {1, "Jazz", 4, 0.25f}};
  r.macro = genre::infer::RankedClass{0, "Band", -1, 0.8f};
  r.verdict = r.top[0];
  r.confident = true;
  auto field_names = [](GstStructure* s) {
    std::vector<std::string> names;
    for (int i = 0; i < gst_structure_n_fields(s); ++i) names.emplace_back(gst_structure_nth_field_name(s, guint(i)));
    gst_structure_free(s);
    return names;
  };
  const std::vector<std::string> head = {"timestamp", "stream-time", "running-time", "duration"};
  const std::vector<std::string> middle = {"labels", "scores", "fma-ids", "macrogenre", "macrogenre-score", "verdict",
                                           "verdict-score", "verdict-macrogenre", "verdict-macrogenre-score",
                                           "decoding", "confident", "skipped"};
  std::vector<std::string> window = head;
  window.push_back("window");
  window.insert(window.end(), middle.begin(), middle.end());
  window.insert(window.end(), {"silent", "final"});
  std::vector<std::string> final = head;
  final.push_back("windows");
  final.insert(final.end(), middle.begin(), middle.end());
  final.insert(final.end(), {"silent-windows", "silent", "final"});
  EXPECT_EQ(field_names(GenreMessage::for_window(r, t, 3, 1).to_structure()), window);
  EXPECT_EQ(field_names(GenreMessage::for_silent_window(t, 3, 1, genre::infer::Decoding::Crm).to_structure()), window);
  genre::infer::StreamVerdict v;
  v.windows = 2;
  v.top = r.top;
  EXPECT_EQ(field_names(GenreMessage::for_stream(v, t, 0).to_structure()), final);
  EXPECT_EQ(field_names(GenreMessage::for_silent_stream(4, t, 0, genre::infer::Decoding::Argmax).to_structure()), final);
}

TEST(GenreMessageTest, ParseGivesBackWhatWasBuilt) {
  genre::MessageTimes t{GST_SECOND, 2 * GST_SECOND, 3 * GST_SECOND, 4 * GST_SECOND};
  genre::infer::WindowResult r;
  r.top = {{0, "Rock", 12, 0.75f}, {1, "Jazz", 4, 0.25f}};
  r.macro = genre::infer::RankedClass{0, "Band", -1, 0.8f};
  r.verdict = r.top[1];
  r.verdict_macro = genre::infer::RankedClass{1, "Roots", -1, 0.6f};
  r.decoding = genre::infer::Decoding::Crm;
  r.confident = true;
  GstStructure* s = GenreMessage::for_window(r, t, 7, 2).to_structure();
  const std::optional<GenreMessage> m = GenreMessage::parse(s);
  gst_structure_free(s);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->final);
  EXPECT_FALSE(m->silent);
  EXPECT_EQ(m->times.stream_time, 2 * GST_SECOND);
  EXPECT_EQ(m->times.running_time, 3 * GST_SECOND);
  EXPECT_EQ(m->times.duration, 4 * GST_SECOND);
  EXPECT_EQ(m->window, 7u);
  EXPECT_EQ(m->skipped, 2u);
  EXPECT_EQ(labels(*m), (std::vector<std::string>{"Rock", "Jazz"}));
  EXPECT_EQ(fma_ids(*m), (std::vector<int>{12, 4}));
  EXPECT_FLOAT_EQ(m->top[1].score, 0.25f);
  EXPECT_EQ(name_of(m->macro), "Band");
  EXPECT_EQ(m->verdict.name, "Jazz");
  EXPECT_EQ(name_of(m->verdict_macro), "Roots");
  EXPECT_FLOAT_EQ(m->verdict_macro->score, 0.6f);
  EXPECT_EQ(m->decoding, genre::infer::Decoding::Crm);
  EXPECT_TRUE(m->confident);

  GstStructure* silent = GenreMessage::for_silent_stream(5, t, 1, genre::infer::Decoding::Crm).to_structure();
  const std::optional<GenreMessage> f = GenreMessage::parse(silent);
  gst_structure_free(silent);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->final);
  EXPECT_TRUE(f->silent);
  EXPECT_EQ(f->silent_windows, 5u);
  EXPECT_EQ(f->windows, 0u);
  EXPECT_TRUE(f->top.empty());
  EXPECT_FALSE(f->macro);
  EXPECT_EQ(f->verdict.name, "");
  EXPECT_EQ(f->decoding, genre::infer::Decoding::Crm);
}

// Not a genre message, or one missing or mistyping a field: nullopt, never a half-read message.
TEST(GenreMessageTest, ParseRefusesOtherStructures) {
  genre::infer::StreamVerdict v;
  v.top = {{0, "Rock", 12, 1.0f}};
  GstStructure* good = GenreMessage::for_stream(v, {}, 0).to_structure();
  EXPECT_TRUE(GenreMessage::parse(good));
  EXPECT_FALSE(GenreMessage::parse(nullptr));
  GstStructure* renamed = gst_structure_copy(good);
  gst_structure_set_name(renamed, "level");
  EXPECT_FALSE(GenreMessage::parse(renamed));
  for (const char* field : {"windows", "silent-windows", "labels", "verdict", "decoding", "skipped", "final"}) {
    GstStructure* missing = gst_structure_copy(good);
    gst_structure_remove_field(missing, field);
    EXPECT_FALSE(GenreMessage::parse(missing)) << field;
    gst_structure_free(missing);
  }
  GstStructure* mistyped = gst_structure_copy(good);
  gst_structure_set(mistyped, "windows", G_TYPE_INT, 3, nullptr);
  EXPECT_FALSE(GenreMessage::parse(mistyped));
  GstStructure* unknown_decoding = gst_structure_copy(good);
  gst_structure_set(unknown_decoding, "decoding", G_TYPE_STRING, "beam", nullptr);
  EXPECT_FALSE(GenreMessage::parse(unknown_decoding));
  gst_structure_free(unknown_decoding);
  GstStructure* short_scores = gst_structure_copy(good);
  GValue empty = G_VALUE_INIT;
  gst_value_array_init(&empty, 0);
  gst_structure_take_value(short_scores, "scores", &empty);
  EXPECT_FALSE(GenreMessage::parse(short_scores)) << "labels and scores of different lengths";
  for (GstStructure* s : {good, renamed, mistyped, short_scores}) gst_structure_free(s);
}

// A flush drops the windows of a partial batch, not the sticky events that came after
// them: downstream still gets the params (and the window is not classified).
TEST_F(GenreClassifyTest, AFlushKeepsHeldStickyEventsAndDropsHeldWindows) {
  GstHarness* h = harness(bundle("probe.pt"), "batch=3");
  gst_harness_push(h, window_buffer({3, 0, 0, 0}, 0));
  ASSERT_TRUE(gst_harness_push_event(h, params_event("genre/melspec-params",
                                                     probe_preprocessing()["genre/melspec-params"])));
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_flush_start()));
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  bool params = false;
  while (GstEvent* ev = gst_harness_try_pull_event(h)) {
    const GstStructure* s = gst_event_get_structure(ev);
    params |= GST_EVENT_TYPE(ev) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY && s &&
              gst_structure_has_name(s, "genre/melspec-params");
    gst_event_unref(ev);
  }
  EXPECT_TRUE(params);
  EXPECT_EQ(gst_harness_buffers_received(h), 0u);
  EXPECT_FALSE(bus_->next_genre(GST_SECOND / 2)) << "the flushed window is not classified";
}

// ---- decoding=crm -------------------------------------------------------------------------------

namespace {

// The probe bundle's tree without genre_tree: the class lists' two levels. Rock and Pop are Band,
// Jazz and Blues Roots: siblings 2 apart, other macrogenres 4.
const int kDistance[4][4] = {{0, 4, 2, 4}, {4, 0, 4, 2}, {2, 4, 0, 4}, {4, 2, 4, 0}};
const std::vector<std::string> kMacroOf = {"Band", "Roots", "Band", "Roots"};

// The class of least expected distance, worked out here: argmin_j sum_i p_i d(i, j).
size_t least_expected_distance(const std::vector<double>& p) {
  size_t best = 0;
  double best_risk = 1e300;
  for (size_t j = 0; j < 4; ++j) {
    double risk = 0;
    for (size_t i = 0; i < 4; ++i) risk += p[i] * kDistance[i][j];
    if (risk < best_risk) best = j, best_risk = risk;
  }
  return best;
}

// Logits whose softmax is `p` (0 becomes a logit of -30, e^-30 of the rest).
std::vector<float> logits_of(const std::vector<double>& p) {
  std::vector<float> z;
  for (double v : p) z.push_back(v > 0 ? float(std::log(v)) : -30.0f);
  return z;
}

}  // namespace

// Four windows: the arg max says Jazz, Jazz, Rock, Blues. crm (the most of macro probability plus
// own probability on this tree) changes windows 0 (Jazz 0.40 -> Rock: Band 0.60 + 0.32) and 3
// (Blues 0.38 -> Rock: Band 0.62 + 0.34), no other; the labels stay the probability ranking.
TEST_F(GenreClassifyTest, CrmChangesTheVerdictExactlyWhereExpected) {
  const std::vector<std::vector<double>> windows = {
      {0.32, 0.40, 0.28, 0.0}, {0.1, 0.7, 0.1, 0.1}, {0.5, 0.1, 0.3, 0.1}, {0.34, 0.0, 0.28, 0.38}};
  const std::string model = bundle("probe.pt");
  std::vector<std::string> argmax_verdicts;
  for (const char* how : {"argmax", "crm"}) {
    if (h_) {
      gst_harness_teardown(h_);
      bus_.reset();
    }
    GstHarness* h = harness(model, std::string("smoothing=none top-k=4 decoding=") + how);
    std::vector<std::string> expected_tags;
    for (size_t w = 0; w < windows.size(); ++w) {
      ASSERT_EQ(gst_harness_push(h, window_buffer(logits_of(windows[w]), w * GST_SECOND)), GST_FLOW_OK);
      auto m = bus_->next_genre();
      ASSERT_TRUE(m) << how << " window " << w << ": " << bus_->errors();
      EXPECT_EQ(genre::infer::to_string(m->decoding), std::string(how));
      const auto p = softmax(logits_of(windows[w]));
      EXPECT_EQ(m->top.front().name, kFine[argmax(p)]) << "the labels are the probability ranking";
      const size_t expected = std::string(how) == "crm" ? least_expected_distance(p) : argmax(p);
      EXPECT_EQ(m->verdict.name, kFine[expected]) << how << " window " << w;
      EXPECT_NEAR(m->verdict.score, p[expected], 1e-5) << "the verdict's score is its probability";
      if (std::string(how) == "argmax") {
        argmax_verdicts.push_back(m->verdict.name);
      } else {
        EXPECT_EQ(name_of(m->verdict_macro), kMacroOf[expected]) << "window " << w;
        const bool changed = m->verdict.name != argmax_verdicts[w];
        EXPECT_EQ(changed, w == 0 || w == 3) << "window " << w << ": crm " << m->verdict.name;
      }
      if (expected_tags.empty() || expected_tags.back() != kFine[expected]) expected_tags.push_back(kFine[expected]);
    }
    gst_harness_push_event(h, gst_event_new_eos());
    std::vector<double> mean(4, 0.0);  // (1.26, 1.2, 0.96, 0.58) / 4: Rock by both
    for (const auto& w : windows)
      for (size_t k = 0; k < 4; ++k) mean[k] += softmax(logits_of(w))[k] / double(windows.size());
    std::optional<GenreMessage> final;
    while (auto m = bus_->next_genre(10 * GST_SECOND))
      if (m->final) {
        final = m;
        break;
      }
    ASSERT_TRUE(final) << bus_->errors();
    const size_t expected = std::string(how) == "crm" ? least_expected_distance(mean) : argmax(mean);
    EXPECT_EQ(final->verdict.name, kFine[expected]) << how;
    EXPECT_EQ(genre::infer::to_string(final->decoding), std::string(how));
    expected_tags.push_back(kFine[expected]);
    EXPECT_EQ(genre_tags_until_eos(h), expected_tags) << how << ": tags carry the decoded verdict";
  }
}

// Whatever the windows, under crm the macrogenre verdict is the fine verdict's macrogenre, in the
// running and the whole-stream verdicts; the arg max's are not always (window 0 here).
TEST_F(GenreClassifyTest, CrmMacroVerdictIsAlwaysTheFineVerdictsMacrogenre) {
  std::mt19937 rng(16);
  std::uniform_real_distribution<float> logit(-3.0f, 3.0f);
  std::vector<std::vector<float>> windows = {logits_of({0.32, 0.40, 0.28, 0.0})};
  for (int w = 0; w < 40; ++w) windows.push_back({logit(rng), logit(rng), logit(rng), logit(rng)});
  const std::string model = bundle("probe.pt");
  for (const char* how : {"argmax", "crm"}) {
    if (h_) {
      gst_harness_teardown(h_);
      bus_.reset();
    }
    GstHarness* h = harness(model, std::string("smoothing=ema ema-alpha=0.4 decoding=") + how);
    for (size_t w = 0; w < windows.size(); ++w) gst_harness_push(h, window_buffer(windows[w], w * GST_SECOND));
    gst_harness_push_event(h, gst_event_new_eos());
    int messages = 0, disagree = 0;
    bool final = false;
    while (auto m = bus_->next_genre(10 * GST_SECOND)) {
      ++messages;
      const auto fine = std::find(kFine.begin(), kFine.end(), m->verdict.name);
      ASSERT_NE(fine, kFine.end()) << m->verdict.name;
      if (name_of(m->verdict_macro) != kMacroOf[size_t(fine - kFine.begin())]) ++disagree;
      if ((final = m->final)) break;
    }
    EXPECT_TRUE(final) << bus_->errors();
    EXPECT_EQ(messages, int(windows.size()) + 1);
    if (std::string(how) == "crm")
      EXPECT_EQ(disagree, 0);
    else
      EXPECT_GT(disagree, 0) << "the arg max's levels disagree at least in window 0";
  }
}

// The bundle's genre_tree decides, not only its class lists: with Pop under Rock, Jazz 0.45 |
// Pop 0.30 | Rock 0.25 is Rock (expected distance 2.10 against Jazz's 2.50); with the two-level
// tree it stays Jazz (2.20 against Rock's 2.40).
TEST_F(GenreClassifyTest, CrmUsesTheBundlesGenreTree) {
  ProbeBundleSpec deep;
  deep.fine_parent = {-1, -1, 0, -1};
  const std::vector<float> z = logits_of({0.25, 0.45, 0.30, 0.0});
  for (const auto& [name, spec, verdict] : {std::tuple{"flat.pt", ProbeBundleSpec{}, "Jazz"},
                                            std::tuple{"deep.pt", deep, "Rock"}}) {
    if (h_) {
      gst_harness_teardown(h_);
      bus_.reset();
    }
    GstHarness* h = harness(bundle(name, spec), "decoding=crm");
    gst_harness_push(h, window_buffer(z, 0));
    auto m = bus_->next_genre();
    ASSERT_TRUE(m) << name << ": " << bus_->errors();
    EXPECT_EQ(m->verdict.name, verdict) << name;
    EXPECT_EQ(name_of(m->verdict_macro), verdict == std::string("Rock") ? "Band" : "Roots") << name;
  }
}

// A multi-label bundle's sigmoid scores are no distribution to take an expected cost over:
// decoding=crm fails at start, or at the next window when set while playing.
TEST_F(GenreClassifyTest, CrmOnAMultiLabelBundleIsAnError) {
  ProbeBundleSpec spec;
  spec.multi_label = true;
  const std::string model = bundle("multi.pt", spec);
  GstElement* e = gst_element_factory_make("genreclassify", nullptr);
  g_object_set(e, "model", model.c_str(), nullptr);
  gst_util_set_object_arg(G_OBJECT(e), "device", "cpu");
  gst_util_set_object_arg(G_OBJECT(e), "decoding", "crm");
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(e, bus);
  EXPECT_EQ(gst_element_set_state(e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  const PostedError err = pop_error(bus, 0);
  EXPECT_EQ(err.domain, GST_LIBRARY_ERROR);
  EXPECT_NE(err.text.find("multi-label"), std::string::npos) << err.text;
  gst_element_set_state(e, GST_STATE_NULL);
  gst_element_set_bus(e, nullptr);
  gst_bus_set_flushing(bus, TRUE);
  gst_object_unref(bus);
  gst_object_unref(e);

  GstHarness* h = harness(model);
  ASSERT_EQ(gst_harness_push(h, window_buffer({3, 0, 0, 0}, 0)), GST_FLOW_OK);
  ASSERT_TRUE(bus_->next_genre());
  gst_util_set_object_arg(G_OBJECT(h->element), "decoding", "crm");
  EXPECT_EQ(gst_harness_push(h, window_buffer({3, 0, 0, 0}, GST_SECOND)), GST_FLOW_ERROR);
  EXPECT_NE(bus_->wait_error().find("multi-label"), std::string::npos);
}
