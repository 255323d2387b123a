// What the elements promise about their properties. GLib checks each value
// against its GParamSpec range; the elements refuse values GLib accepts but
// they cannot use (alone, together, or with the input's rate) with an error
// naming the property, when they start or when caps arrive. And gst-launch
// lines with malformed values are parse errors naming the property.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gst_test_util.h"

using genre::test::ErrorBus;

namespace {

// GLib warnings raised while it lives, as text.
class WarningCapture {
 public:
  WarningCapture() {
    id_ = g_log_set_handler("GLib-GObject", GLogLevelFlags(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL), on_log, this);
  }
  ~WarningCapture() { g_log_remove_handler("GLib-GObject", id_); }
  std::string take() {
    std::string t;
    t.swap(text_);
    return t;
  }

 private:
  static void on_log(const gchar*, GLogLevelFlags, const gchar* message, gpointer self) {
    static_cast<WarningCapture*>(self)->text_ += std::string(message) + "\n";
  }
  guint id_ = 0;
  std::string text_;
};

std::vector<std::string> elements_to_test() {
  std::vector<std::string> names = {"melspec", "specresize", "datasetsink"};
  if (GstElementFactory* f = gst_element_factory_find("genreclassify")) {
    names.emplace_back("genreclassify");
    gst_object_unref(f);
  }
  return names;
}

// A property setting GLib accepts (each value within its range) that the
// element refuses, at start (caps == nullptr) or when these caps arrive.
struct Refusal {
  const char* launch;    // the element with its properties, as gst-launch writes it
  const char* caps;      // nullptr: refused when the element starts
  const char* property;  // the error names it
};

const char* kMono22050 = "audio/x-raw, format=F32LE, layout=interleaved, channels=1, rate=22050";

const Refusal kRefusals[] = {
    // melspec: sizes within G_MAXINT but outside what the transform can do, or inconsistent
    {"melspec n-fft=1", nullptr, "n-fft"},
    {"melspec hop-length=0", nullptr, "hop-length"},
    {"melspec n-fft=1024 win-length=2048", nullptr, "win-length"},
    {"melspec n-mels=0", nullptr, "n-mels"},
    {"melspec power=0", nullptr, "power"},
    {"melspec fmin=6000 fmax=4000", nullptr, "fmin"},
    {"melspec amin=1e-300", nullptr, "amin"},  // a double GLib takes, below float32's smallest normal
    {"melspec sample-rate=16000 fmax=9000", nullptr, "fmax"},
    {"melspec sample-rate=22050 n-fft=256", nullptr, "n-mels"},  // empty mel filters
    // melspec: only the input's rate shows these
    {"melspec fmax=16000", kMono22050, "fmax"},
    {"melspec n-fft=256", kMono22050, "n-mels"},
    // specresize: values in range that do not go together
    {"specresize channels=2", nullptr, "channels"},
    {"specresize colormap=viridis", nullptr, "colormap=viridis"},
    {"specresize normalization=imagenet", nullptr, "normalization=imagenet"},
    {"specresize normalization=mean-std mean=-40", nullptr, "std"},
    {"specresize normalization=mean-std mean=abc std=20", nullptr, "mean"},
    {"specresize normalization=mean-std mean=-40 std=0", nullptr, "std"},
    {"specresize normalization=mean-std channels=3 mean=1,2 std=20", nullptr, "mean"},
    {"specresize mean=-40", nullptr, "mean/std"},
    {"specresize hop-frames=5", nullptr, "hop-frames"},
    {"specresize window-frames=100 max-frames=50", nullptr, "max-frames"},
};

// Every property of `e` as text, to compare before and after.
std::string all_values(GstElement* e) {
  std::string out;
  guint n = 0;
  GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &n);
  for (guint i = 0; i < n; ++i) {
    if (!(specs[i]->flags & G_PARAM_READABLE) || G_PARAM_SPEC_VALUE_TYPE(specs[i]) == GST_TYPE_OBJECT) continue;
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_PARAM_SPEC_VALUE_TYPE(specs[i]));
    g_object_get_property(G_OBJECT(e), specs[i]->name, &v);
    gchar* s = gst_value_serialize(&v);
    out += std::string(specs[i]->name) + "=" + (s ? s : "(null)") + " ";
    g_free(s);
    g_value_unset(&v);
  }
  g_free(specs);
  return out;
}

}  // namespace

// GLib takes each value (no warning; the element reads back what was set);
// the element refuses it, naming the property: a failed start, or a caps event
// that is not negotiated.
TEST(ElementProperties, ValuesInRangeThatTheElementCannotUseAreErrorsNamingTheProperty) {
  for (const Refusal& r : kRefusals) {
    SCOPED_TRACE(r.launch);
    WarningCapture warnings;
    GError* err = nullptr;
    GstElement* e = gst_parse_launch(r.launch, &err);
    ASSERT_EQ(err, nullptr) << err->message;
    ASSERT_NE(e, nullptr);
    gst_object_ref_sink(e);
    EXPECT_EQ(warnings.take(), "") << "GLib itself refused a value";
    // Read back as set: GLib kept the value, the element has to judge it.
    const std::string launch = r.launch;
    for (size_t at = launch.find(' '); at != std::string::npos; at = launch.find(' ', at + 1)) {
      const std::string word = launch.substr(at + 1, launch.find(' ', at + 1) - at - 1);
      const std::string name = word.substr(0, word.find('='));
      GParamSpec* p = g_object_class_find_property(G_OBJECT_GET_CLASS(e), name.c_str());
      ASSERT_NE(p, nullptr) << name;
      GValue set = G_VALUE_INIT, got = G_VALUE_INIT;
      g_value_init(&set, G_PARAM_SPEC_VALUE_TYPE(p));
      ASSERT_TRUE(gst_value_deserialize(&set, word.substr(word.find('=') + 1).c_str())) << word;
      g_value_init(&got, G_PARAM_SPEC_VALUE_TYPE(p));
      g_object_get_property(G_OBJECT(e), name.c_str(), &got);
      EXPECT_EQ(gst_value_compare(&set, &got), GST_VALUE_EQUAL) << word;
      g_value_unset(&set);
      g_value_unset(&got);
    }
    std::string errors;
    if (!r.caps) {
      ErrorBus bus(e);
      EXPECT_EQ(gst_element_set_state(e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
      errors = bus.errors();
      gst_element_set_state(e, GST_STATE_NULL);
      gst_object_unref(e);
    } else {
      GstHarness* h = gst_harness_new_with_element(e, "sink", "src");
      gst_object_unref(e);
      {
        ErrorBus bus(h->element);
        gst_harness_set_src_caps_str(h, r.caps);
        EXPECT_EQ(gst_harness_push(h, gst_buffer_new_wrapped(g_new0(guint8, 4096 * 4), 4096 * 4)),
                  GST_FLOW_NOT_NEGOTIATED);
        errors = bus.errors();
      }
      gst_harness_teardown(h);
    }
    EXPECT_NE(errors.find(r.property), std::string::npos) << errors;
  }
}

// The refusals leave the properties as they were set, and an element given
// usable values again starts.
TEST(ElementProperties, ARefusedStartChangesNothingAndUsableValuesStart) {
  GstElement* e = gst_parse_launch("melspec n-fft=1024 win-length=2048", nullptr);
  ASSERT_NE(e, nullptr);
  gst_object_ref_sink(e);
  const std::string before = all_values(e);
  {
    ErrorBus bus(e);
    EXPECT_EQ(gst_element_set_state(e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
    gst_element_set_state(e, GST_STATE_NULL);
    EXPECT_EQ(all_values(e), before);
    g_object_set(e, "win-length", 512u, nullptr);
    EXPECT_NE(gst_element_set_state(e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE) << bus.errors();
    gst_element_set_state(e, GST_STATE_NULL);
  }
  gst_object_unref(e);
}

// gst-launch lines: an unknown enum nick or a number that does not parse is
// GST_PARSE_ERROR_COULD_NOT_SET_PROPERTY naming the property.
TEST(ElementProperties, MalformedValuesInALaunchLineAreParseErrors) {
  int tried = 0;
  for (const std::string& name : elements_to_test()) {
    GstElement* e = gst_element_factory_make(name.c_str(), nullptr);
    guint n = 0;
    GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &n);
    for (guint i = 0; i < n; ++i) {
      GParamSpec* p = specs[i];
      if (!(p->flags & G_PARAM_WRITABLE)) continue;
      const GType t = G_PARAM_SPEC_VALUE_TYPE(p);
      const char* bad = G_TYPE_IS_ENUM(t) ? "no-such-choice"
                        : (t == G_TYPE_UINT || t == G_TYPE_INT || t == G_TYPE_UINT64 || t == G_TYPE_DOUBLE ||
                           t == G_TYPE_BOOLEAN) ? "12abc"
                                                : nullptr;
      if (!bad) continue;
      GError* err = nullptr;
      GstElement* parsed = gst_parse_launch((name + " " + p->name + "=" + bad).c_str(), &err);
      ASSERT_NE(err, nullptr) << name << "." << p->name << "=" << bad << " was accepted";
      EXPECT_TRUE(g_error_matches(err, GST_PARSE_ERROR, GST_PARSE_ERROR_COULD_NOT_SET_PROPERTY))
          << name << "." << p->name << ": " << err->message;
      EXPECT_NE(std::string(err->message).find(std::string("\"") + p->name + "\""), std::string::npos) << err->message;
      g_error_free(err);
      if (parsed) gst_object_unref(parsed);
      ++tried;
    }
    g_free(specs);
    gst_object_unref(e);
  }
  EXPECT_GT(tried, 20);
}
