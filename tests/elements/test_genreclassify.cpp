// genreclassify through GstHarness with probe bundles (the logits are pixels
// of each image, tests/infer/test_bundles.h), and real live pipelines
// `audiotestsrc is-live=true ! ... ! melspec ! specresize ! genreclassify`.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "genreclassify_meta.h"
#include "gst_test_util.h"
#include "infer/classifier.h"
#include "test_bundles.h"

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
  // The next `genre` message (a copy of its structure), or nullptr after `timeout`.
  GstStructure* next_genre(GstClockTime timeout = 30 * GST_SECOND) {
    const gint64 until = g_get_monotonic_time() + gint64(timeout / 1000);
    for (;;) {
      const gint64 left = until - g_get_monotonic_time();
      if (left <= 0) return nullptr;
      GstMessage* msg = gst_bus_timed_pop_filtered(bus_, GstClockTime(left) * 1000,
                                                   GstMessageType(GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR));
      if (!msg) return nullptr;
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError* err = nullptr;
        gst_message_parse_error(msg, &err, nullptr);
        errors_ += std::string(err->message) + "\n";
        g_error_free(err);
        gst_message_unref(msg);
        continue;
      }
      const GstStructure* s = gst_message_get_structure(msg);
      GstStructure* copy = s && gst_structure_has_name(s, "genre") ? gst_structure_copy(s) : nullptr;
      gst_message_unref(msg);
      if (copy) return copy;
    }
  }
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
    while (GstMessage* msg = gst_bus_pop_filtered(bus_, GST_MESSAGE_ERROR)) {
      GError* err = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      errors_ += std::string(err->message) + " | " + (debug ? debug : "") + "\n";
      g_error_free(err);
      g_free(debug);
      gst_message_unref(msg);
    }
    return errors_;
  }
  // Errors until one arrives or `timeout` passes.
  std::string wait_error(GstClockTime timeout = 30 * GST_SECOND) {
    if (errors().empty()) {
      GstMessage* msg = gst_bus_timed_pop_filtered(bus_, timeout, GST_MESSAGE_ERROR);
      if (msg) {
        GError* err = nullptr;
        gchar* debug = nullptr;
        gst_message_parse_error(msg, &err, &debug);
        errors_ += std::string(err->message) + " | " + (debug ? debug : "") + "\n";
        g_error_free(err);
        g_free(debug);
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

std::string str_field(const GstStructure* s, const char* name) {
  const char* v = gst_structure_get_string(s, name);
  return v ? v : "(absent)";
}

double double_field(const GstStructure* s, const char* name) {
  double v = NAN;
  gst_structure_get_double(s, name, &v);
  return v;
}

guint64 uint64_field(const GstStructure* s, const char* name) {
  guint64 v = G_MAXUINT64;
  gst_structure_get_uint64(s, name, &v);
  return v;
}

bool bool_field(const GstStructure* s, const char* name) {
  gboolean v = FALSE;
  EXPECT_TRUE(gst_structure_get_boolean(s, name, &v)) << name;
  return v;
}

std::vector<std::string> string_array(const GstStructure* s, const char* name) {
  std::vector<std::string> out;
  const GValue* a = gst_structure_get_value(s, name);
  if (!a || !GST_VALUE_HOLDS_ARRAY(a)) return out;
  for (guint i = 0; i < gst_value_array_get_size(a); ++i) out.emplace_back(g_value_get_string(gst_value_array_get_value(a, i)));
  return out;
}

std::vector<double> double_array(const GstStructure* s, const char* name) {
  std::vector<double> out;
  const GValue* a = gst_structure_get_value(s, name);
  if (!a || !GST_VALUE_HOLDS_ARRAY(a)) return out;
  for (guint i = 0; i < gst_value_array_get_size(a); ++i) out.push_back(g_value_get_double(gst_value_array_get_value(a, i)));
  return out;
}

std::vector<int> int_array(const GstStructure* s, const char* name) {
  std::vector<int> out;
  const GValue* a = gst_structure_get_value(s, name);
  if (!a || !GST_VALUE_HOLDS_ARRAY(a)) return out;
  for (guint i = 0; i < gst_value_array_get_size(a); ++i) out.push_back(g_value_get_int(gst_value_array_get_value(a, i)));
  return out;
}

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
    h_ = gst_harness_new_with_element(e, "sink", "src");
    gst_object_unref(e);
    bus_ = std::make_unique<MessageBus>(h_->element);
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

  GstStructure* s = bus_->next_genre();
  ASSERT_NE(s, nullptr) << bus_->errors();
  const auto p = softmax(logits);  // Jazz, Pop, Rock, Blues
  EXPECT_EQ(uint64_field(s, "timestamp"), 2 * GST_SECOND);
  EXPECT_EQ(uint64_field(s, "running-time"), 12 * GST_SECOND);
  EXPECT_EQ(uint64_field(s, "stream-time"), 102 * GST_SECOND);
  EXPECT_EQ(uint64_field(s, "duration"), 3 * GST_SECOND);
  EXPECT_EQ(uint64_field(s, "window"), 0u);
  EXPECT_EQ(string_array(s, "labels"), (std::vector<std::string>{"Jazz", "Pop", "Rock"}));
  const auto scores = double_array(s, "scores");
  ASSERT_EQ(scores.size(), 3u);
  EXPECT_NEAR(scores[0], p[1], 1e-6);
  EXPECT_NEAR(scores[1], p[2], 1e-6);
  EXPECT_NEAR(scores[2], p[0], 1e-6);
  EXPECT_EQ(int_array(s, "fma-ids"), (std::vector<int>{4, 10, 12}));
  EXPECT_EQ(str_field(s, "macrogenre"), "Roots");  // Jazz + Blues > Rock + Pop
  EXPECT_NEAR(double_field(s, "macrogenre-score"), p[1] + p[3], 1e-6);
  EXPECT_EQ(str_field(s, "verdict"), "Jazz");
  EXPECT_NEAR(double_field(s, "verdict-score"), p[1], 1e-6);
  EXPECT_EQ(str_field(s, "verdict-macrogenre"), "Roots");
  EXPECT_TRUE(bool_field(s, "confident"));
  EXPECT_EQ(uint64_field(s, "skipped"), 0u);
  EXPECT_FALSE(bool_field(s, "final"));
  gst_structure_free(s);

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
      GstStructure* s = bus_->next_genre();
      ASSERT_NE(s, nullptr) << c.props << " window " << w << ": " << bus_->errors();
      const size_t best = argmax(state);
      EXPECT_EQ(str_field(s, "verdict"), kFine[best]) << c.props << " window " << w;
      EXPECT_NEAR(double_field(s, "verdict-score"), state[best], 1e-5) << c.props << " window " << w;
      gst_structure_free(s);
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
  GstStructure* last = nullptr;
  int messages = 0;
  while (GstStructure* s = bus_->next_genre(10 * GST_SECOND)) {
    ++messages;
    if (last) gst_structure_free(last);
    last = s;
    if (bool_field(s, "final")) break;
  }
  ASSERT_EQ(messages, 4) << bus_->errors();
  ASSERT_NE(last, nullptr);
  EXPECT_TRUE(bool_field(last, "final"));
  EXPECT_EQ(uint64_field(last, "windows"), 3u);
  const size_t best = argmax(mean);
  EXPECT_EQ(str_field(last, "verdict"), kFine[best]);  // Rock: mean 0.6x vs Jazz
  EXPECT_NEAR(double_field(last, "verdict-score"), mean[best], 1e-5);
  const auto labels = string_array(last, "labels");
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0], "Rock");
  EXPECT_EQ(labels[1], "Jazz");
  EXPECT_NEAR(double_array(last, "scores")[1], mean[1], 1e-5);
  EXPECT_EQ(uint64_field(last, "timestamp"), 5 * GST_SECOND);
  EXPECT_EQ(uint64_field(last, "duration"), 5 * GST_SECOND);  // 5 s .. 7 s + 3 s
  EXPECT_EQ(str_field(last, "macrogenre"), "Band");
  gst_structure_free(last);

  // Rock (window 1), Jazz (window 3), then the stream's Rock at EOS.
  EXPECT_EQ(genre_tags_until_eos(h), (std::vector<std::string>{"Rock", "Jazz", "Rock"}));
  EXPECT_EQ(gst_harness_buffers_received(h), 3u);
}

TEST_F(GenreClassifyTest, MinConfidenceSilencesUncertainVerdicts) {
  GstHarness* h = harness(bundle("probe.pt"), "smoothing=none min-confidence=0.9 emit-tags=true");
  gst_harness_push(h, window_buffer({1.0f, 0.0f, 0.0f, 0.0f}, 0));  // Rock ~0.48: uncertain
  GstStructure* s = bus_->next_genre();
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(bool_field(s, "confident"));
  EXPECT_EQ(str_field(s, "verdict"), "Rock");
  gst_structure_free(s);
  gst_harness_push_event(h, gst_event_new_eos());
  EXPECT_TRUE(genre_tags_until_eos(h).empty());
}

TEST_F(GenreClassifyTest, MessagesAndTagsCanBeTurnedOff) {
  GstHarness* h = harness(bundle("probe.pt"), "post-messages=false emit-tags=false");
  gst_harness_push(h, window_buffer({3.0f, 0.0f, 0.0f, 0.0f}, 0));
  gst_harness_push_event(h, gst_event_new_eos());
  EXPECT_TRUE(genre_tags_until_eos(h).empty());
  EXPECT_EQ(bus_->next_genre(GST_SECOND / 2), nullptr);
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
      GstStructure* s = bus_->next_genre();
      ASSERT_NE(s, nullptr) << "run " << run << " window " << w << ": " << bus_->errors();
      EXPECT_EQ(uint64_field(s, "timestamp"), guint64(w) * GST_SECOND);
      scores[run].push_back(double_array(s, "scores"));
      gst_structure_free(s);
    }
  }
  for (int w = 0; w < 7; ++w)
    for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(scores[0][size_t(w)][k], scores[1][size_t(w)][k], 1e-6);
}

// batch=3 (not leaky): windows wait for a full batch; upstream's events in
// between do not cut it, and still reach downstream.
TEST_F(GenreClassifyTest, ABatchWaitsUntilFullAcrossEvents) {
  GstHarness* h = harness(bundle("probe.pt"), "batch=3 emit-tags=false");
  gst_harness_push(h, window_buffer({3, 0, 0, 0}, 0));
  GstTagList* bitrate = gst_tag_list_new(GST_TAG_BITRATE, 128000u, nullptr);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_tag(bitrate)));
  gst_harness_push(h, window_buffer({0, 3, 0, 0}, GST_SECOND));
  EXPECT_EQ(bus_->next_genre(GST_SECOND / 2), nullptr) << "two of three windows: the batch waits";
  EXPECT_EQ(gst_harness_buffers_received(h), 0u);
  gst_harness_push(h, window_buffer({0, 0, 3, 0}, 2 * GST_SECOND));
  for (const char* want : {"Rock", "Jazz", "Pop"}) {
    GstStructure* s = bus_->next_genre();
    ASSERT_NE(s, nullptr) << bus_->errors();
    EXPECT_EQ(string_array(s, "labels")[0], want);
    gst_structure_free(s);
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
  GstStructure* s = bus_->next_genre(5 * GST_SECOND);
  ASSERT_NE(s, nullptr) << "the drained window was classified";
  EXPECT_EQ(str_field(s, "verdict"), "Blues");
  gst_structure_free(s);
  EXPECT_EQ(gst_harness_buffers_received(h), 1u);
}

// FLUSH and a new segment restart both verdicts; a DISCONT only the running one.
TEST_F(GenreClassifyTest, FlushSegmentAndDiscontResetTheVerdict) {
  GstHarness* h = harness(bundle("probe.pt"), "smoothing=mean");
  auto verdict_after = [&](const std::vector<float>& logits, GstClockTime pts, bool discont) {
    GstBuffer* b = window_buffer(logits, pts);
    if (discont) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DISCONT);
    gst_harness_push(h, b);
    GstStructure* s = bus_->next_genre();
    EXPECT_NE(s, nullptr) << bus_->errors();
    std::string v = s ? str_field(s, "verdict") : "";
    if (s) gst_structure_free(s);
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
  GstStructure* s = bus_->next_genre();
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(bool_field(s, "final"));
  EXPECT_EQ(uint64_field(s, "windows"), 1u) << "the flush dropped the earlier windows";
  EXPECT_EQ(str_field(s, "verdict"), "Jazz");
  gst_structure_free(s);
}

TEST_F(GenreClassifyTest, MatchingPreprocessingIsAccepted) {
  GstHarness* h = harness(bundle("probe.pt"));
  nlohmann::json pre = probe_preprocessing();
  pre["genre/specresize-params"]["hop-frames"] = 1;  // the hop may differ
  push_params(pre);
  gst_harness_push(h, window_buffer({1, 0, 0, 0}, 0));
  GstStructure* s = bus_->next_genre();
  ASSERT_NE(s, nullptr) << bus_->errors();
  gst_structure_free(s);
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
    GstStructure* s = bus_->next_genre();
    ASSERT_NE(s, nullptr) << "round " << round << ": " << bus_->errors();
    EXPECT_EQ(str_field(s, "verdict"), "Pop");
    gst_structure_free(s);
    GstBuffer* b = gst_harness_pull(h);
    ASSERT_NE(b, nullptr);
    gst_buffer_unref(b);
    ASSERT_EQ(gst_element_set_state(h->element, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
    ASSERT_EQ(gst_element_set_state(h->element, GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
    gst_harness_set_src_caps_str(h, kImageCaps);
  }
}

// leaky=true with a model slower than the windows arrive: windows that waited
// longer than max-delay pass unclassified and are counted; every buffer still comes out, in order.
TEST_F(GenreClassifyTest, LeakySkipsWindowsWhenInferenceFallsBehind) {
  ProbeBundleSpec spec;
  spec.behaviour = ProbeBehaviour::Slow;
  // Natively tens of ms per window against a 20 ms max-delay: the first window is
  // classified even when a loaded machine wakes the inference thread late (a 1 ms
  // max-delay made that a race), the ones queued behind its pass are skipped.
  // Under valgrind a few ms per window against 1 ms.
  spec.slow_matmuls = RUNNING_ON_VALGRIND ? 5 : 3000;
  GstHarness* h = harness(bundle("slow.pt", spec), RUNNING_ON_VALGRIND ? "leaky=true max-delay=1000000"
                                                                       : "leaky=true max-delay=20000000");
  constexpr int kWindows = 12;
  for (int w = 0; w < kWindows; ++w) ASSERT_EQ(gst_harness_push(h, window_buffer({1, 0, 0, 0}, w * GST_SECOND)), GST_FLOW_OK);
  gst_harness_push_event(h, gst_event_new_eos());
  int with_meta = 0;
  for (int w = 0; w < kWindows; ++w) {
    GstBuffer* b = gst_harness_pull(h);
    ASSERT_NE(b, nullptr) << "window " << w;
    EXPECT_EQ(GST_BUFFER_PTS(b), guint64(w) * GST_SECOND) << "order kept";
    if (scores_meta(b)) ++with_meta;
    gst_buffer_unref(b);
  }
  guint64 skipped = 0;
  g_object_get(h->element, "skipped", &skipped, nullptr);
  EXPECT_GE(skipped, 1u);
  // Natively the first window is classified; under valgrind even waking the
  // inference thread can take longer than 1 ms, so every window may be skipped.
  EXPECT_GE(with_meta, RUNNING_ON_VALGRIND ? 0 : 1);
  EXPECT_EQ(guint64(with_meta) + skipped, guint64(kWindows));
  int messages = 0;
  bool final_seen = false;
  while (GstStructure* s = bus_->next_genre(5 * GST_SECOND)) {
    const bool final = bool_field(s, "final");
    if (final) {
      final_seen = true;
      EXPECT_EQ(uint64_field(s, "skipped"), skipped);
      EXPECT_EQ(uint64_field(s, "windows"), guint64(with_meta));
    }
    gst_structure_free(s);
    if (final) break;
    ++messages;
  }
  EXPECT_EQ(messages, with_meta);
  EXPECT_EQ(final_seen, with_meta > 0) << "a final verdict exactly when a window was classified";
}

TEST_F(GenreClassifyTest, NotLeakyClassifiesEveryWindow) {
  ProbeBundleSpec spec;
  spec.behaviour = ProbeBehaviour::Slow;
  spec.slow_matmuls = RUNNING_ON_VALGRIND ? 5 : 400;
  GstHarness* h = harness(bundle("slow.pt", spec), "leaky=false");
  for (int w = 0; w < 6; ++w) ASSERT_EQ(gst_harness_push(h, window_buffer({1, 0, 0, 0}, w * GST_SECOND)), GST_FLOW_OK);
  for (int w = 0; w < 6; ++w) {
    GstBuffer* b = gst_harness_pull(h);
    ASSERT_NE(b, nullptr);
    EXPECT_NE(scores_meta(b), nullptr);
    gst_buffer_unref(b);
  }
  guint64 skipped = 1;
  g_object_get(h->element, "skipped", &skipped, nullptr);
  EXPECT_EQ(skipped, 0u);
}

// ---- live pipelines --------------------------------------------------------------------------

namespace {

struct LiveRun {
  int messages = 0;
  guint64 skipped = 0;
  std::vector<guint64> windows;  // the window field of each message
  std::string error;
};

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
      const GstStructure* s = gst_message_get_structure(msg);
      if (gst_structure_has_name(s, "genre")) {
        gboolean final = FALSE;
        gst_structure_get_boolean(s, "final", &final);
        gst_structure_get_uint64(s, "skipped", &run.skipped);
        if (!final) {
          ++run.messages;
          guint64 w = 0;
          gst_structure_get_uint64(s, "window", &w);
          run.windows.push_back(w);
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
// window is skipped and the windows are consecutive.
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
  const LiveRun run = run_live(middle, "model=\"" + model + "\" leaky=true", seconds);
  EXPECT_EQ(run.error, "");
  // ~ (seconds - 1) / 0.5 windows; startup takes some of the time.
  EXPECT_GE(run.messages, RUNNING_ON_VALGRIND ? 2 : 3);
  EXPECT_EQ(run.skipped, 0u);
  for (size_t i = 0; i < run.windows.size(); ++i) EXPECT_EQ(run.windows[i], i) << "GenreWindowMeta indices";
}

// Starved: a window every frame (~43 per second) at tens of ms per window on one
// thread: windows wait longer than max-delay (0.2 s) and the skips are counted.
TEST_F(GenreClassifyTest, LivePipelineStarvedCountsSkips) {
  // Under valgrind melspec and specresize alone fall far behind 43 windows per second of live audio.
  if (RUNNING_ON_VALGRIND) GTEST_SKIP() << "a real-time load test: meaningless under valgrind";
  const std::string middle = "melspec sample-rate=22050 n-mels=16 ! specresize window-frames=22 hop-frames=1 width=8 height=4";
  ProbeBundleSpec spec;
  spec.preprocessing = genre::test::capture_preprocessing(middle);
  spec.behaviour = ProbeBehaviour::Slow;
  spec.slow_matmuls = 3000;
  const std::string model = bundle("starved.pt", spec);
  const LiveRun run = run_live(middle, "model=\"" + model + "\" leaky=true threads=1 max-delay=200000000", 2.0);
  EXPECT_EQ(run.error, "");
  EXPECT_GT(run.skipped, 0u);
  EXPECT_GT(run.messages, 0);
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
  GstStructure* s = bus_->next_genre();
  ASSERT_NE(s, nullptr) << bus_->errors();
  gst_structure_free(s);
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

TEST_F(GenreClassifyTest, LatencyAddsMaxDelayWhenLeaky) {
  GstHarness* h = harness(bundle("probe.pt"), "leaky=true max-delay=250000000");
  LatencyAnswer a = query_latency(h, {100 * GST_MSECOND, 500 * GST_MSECOND});
  ASSERT_TRUE(a.answered);
  EXPECT_TRUE(a.live);
  EXPECT_EQ(a.min, 350 * GST_MSECOND);
  EXPECT_EQ(a.max, 750 * GST_MSECOND);
  a = query_latency(h, {100 * GST_MSECOND, GST_CLOCK_TIME_NONE});  // unlimited upstream stays unlimited
  EXPECT_EQ(a.min, 350 * GST_MSECOND);
  EXPECT_EQ(a.max, GST_CLOCK_TIME_NONE);
}

// leaky=false: the first window of a batch waits for batch - 1 more, one every
// 1/framerate; new caps with another rate post a LATENCY message.
TEST_F(GenreClassifyTest, LatencyAddsTheBatchingDelayWhenNotLeaky) {
  GstHarness* h = harness(bundle("probe.pt"), "batch=4");  // caps: framerate=1/1
  EXPECT_TRUE(bus_->latency_posted());
  LatencyAnswer a = query_latency(h, {100 * GST_MSECOND, 500 * GST_MSECOND});
  ASSERT_TRUE(a.answered);
  EXPECT_EQ(a.min, 3100 * GST_MSECOND);
  EXPECT_EQ(a.max, 3500 * GST_MSECOND);
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

// A real live pipeline: its latency is that of the same pipeline without
// genreclassify plus max-delay.
TEST_F(GenreClassifyTest, LivePipelineLatencyIncludesMaxDelay) {
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
  const GstClockTime without = pipeline_latency("");
  const GstClockTime with = pipeline_latency(" ! genreclassify leaky=true max-delay=300000000 model=\"" + model + "\"");
  ASSERT_TRUE(GST_CLOCK_TIME_IS_VALID(without));
  EXPECT_EQ(with, without + 300 * GST_MSECOND);
}

// ---- silence ------------------------------------------------------------------------------

namespace {

struct FileRun {
  std::vector<GstStructure*> windows;  // the window messages, in order
  GstStructure* final = nullptr;
  std::string error;
  ~FileRun() {
    for (GstStructure* s : windows) gst_structure_free(s);
    if (final) gst_structure_free(final);
  }
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
    } else if (type == GST_MESSAGE_ELEMENT && gst_structure_has_name(gst_message_get_structure(msg), "genre")) {
      GstStructure* s = gst_structure_copy(gst_message_get_structure(msg));
      if (bool_field(s, "final"))
        run->final = s;
      else
        run->windows.push_back(s);
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
  ASSERT_NE(run.final, nullptr);
  guint64 silent = 0, sounding = 0;
  for (const GstStructure* s : run.windows) {
    if (bool_field(s, "silent")) {
      ++silent;
      EXPECT_TRUE(string_array(s, "labels").empty());
      EXPECT_EQ(str_field(s, "verdict"), "");
      EXPECT_FALSE(bool_field(s, "confident"));
    } else {
      ++sounding;
      EXPECT_EQ(string_array(s, "labels").size(), 4u);
    }
  }
  EXPECT_GE(silent, 3u);
  EXPECT_GE(sounding, 2u);
  EXPECT_FALSE(bool_field(run.final, "silent"));
  EXPECT_EQ(uint64_field(run.final, "windows"), sounding);
  EXPECT_EQ(uint64_field(run.final, "silent-windows"), silent);
  EXPECT_NE(str_field(run.final, "verdict"), "");
}

TEST_F(GenreClassifyTest, AnAllSilentStreamEndsWithoutAVerdict) {
  ProbeBundleSpec spec;
  spec.preprocessing = genre::test::capture_preprocessing(kSilenceMiddle);
  const std::string model = bundle("probe.pt", spec);
  FileRun run;
  run_file("audiotestsrc wave=silence num-buffers=200", kSilenceMiddle, model, &run);
  ASSERT_EQ(run.error, "");
  ASSERT_FALSE(run.windows.empty());
  for (const GstStructure* s : run.windows) EXPECT_TRUE(bool_field(s, "silent"));
  ASSERT_NE(run.final, nullptr) << "the stream still ends with a final message";
  EXPECT_TRUE(bool_field(run.final, "silent"));
  EXPECT_EQ(uint64_field(run.final, "windows"), 0u);
  EXPECT_EQ(uint64_field(run.final, "silent-windows"), run.windows.size());
  EXPECT_EQ(str_field(run.final, "verdict"), "");
  EXPECT_TRUE(string_array(run.final, "labels").empty());

  // Quiet is not silent: a tone 40 dB below full scale is classified.
  FileRun quiet;
  run_file("audiotestsrc wave=sine volume=0.01 num-buffers=200", kSilenceMiddle, model, &quiet);
  ASSERT_EQ(quiet.error, "");
  for (const GstStructure* s : quiet.windows) EXPECT_FALSE(bool_field(s, "silent"));
  // And the floor is a property: at -1000 dB nothing is silent.
  FileRun never;
  run_file("audiotestsrc wave=silence num-buffers=100", kSilenceMiddle, model, &never, "silence-floor=-1000");
  ASSERT_EQ(never.error, "");
  ASSERT_NE(never.final, nullptr);
  EXPECT_FALSE(bool_field(never.final, "silent"));
}
