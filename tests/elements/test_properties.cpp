// Every writable property of every element, given a value outside its range or
// a malformed one: GObject refuses it with a warning naming the property (or
// gst_parse_launch with COULD_NOT_SET_PROPERTY), the element keeps its
// previous value and still starts. Values inside the ranges that are invalid
// together are the elements' own errors, tested with each element.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

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

// Out-of-range values one past each end of the spec's range, where the type can hold them.
std::vector<GValue> out_of_range(GParamSpec* p) {
  std::vector<GValue> out;
  auto add = [&](GType t, auto set) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, t);
    set(&v);
    out.push_back(v);
  };
  if (G_IS_PARAM_SPEC_UINT(p)) {
    auto* s = G_PARAM_SPEC_UINT(p);
    if (s->minimum > 0) add(G_TYPE_UINT, [&](GValue* v) { g_value_set_uint(v, s->minimum - 1); });
    if (s->maximum < G_MAXUINT) add(G_TYPE_UINT, [&](GValue* v) { g_value_set_uint(v, s->maximum + 1); });
  } else if (G_IS_PARAM_SPEC_INT(p)) {
    auto* s = G_PARAM_SPEC_INT(p);
    if (s->minimum > G_MININT) add(G_TYPE_INT, [&](GValue* v) { g_value_set_int(v, s->minimum - 1); });
    if (s->maximum < G_MAXINT) add(G_TYPE_INT, [&](GValue* v) { g_value_set_int(v, s->maximum + 1); });
  } else if (G_IS_PARAM_SPEC_UINT64(p)) {
    auto* s = G_PARAM_SPEC_UINT64(p);
    if (s->minimum > 0) add(G_TYPE_UINT64, [&](GValue* v) { g_value_set_uint64(v, s->minimum - 1); });
    if (s->maximum < G_MAXUINT64) add(G_TYPE_UINT64, [&](GValue* v) { g_value_set_uint64(v, s->maximum + 1); });
  } else if (G_IS_PARAM_SPEC_DOUBLE(p)) {
    auto* s = G_PARAM_SPEC_DOUBLE(p);
    if (s->minimum > -G_MAXDOUBLE)
      add(G_TYPE_DOUBLE, [&](GValue* v) { g_value_set_double(v, s->minimum - 1.0 - std::abs(s->minimum)); });
    if (s->maximum < G_MAXDOUBLE)
      add(G_TYPE_DOUBLE, [&](GValue* v) { g_value_set_double(v, s->maximum + 1.0 + std::abs(s->maximum)); });
  }
  return out;
}

std::string value_text(GObject* o, GParamSpec* p) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, G_PARAM_SPEC_VALUE_TYPE(p));
  g_object_get_property(o, p->name, &v);
  gchar* s = gst_value_serialize(&v);
  std::string out = s ? s : "(null)";
  g_free(s);
  g_value_unset(&v);
  return out;
}

}  // namespace

TEST(ElementProperties, OutOfRangeValuesAreRefusedAndChangeNothing) {
  int tried = 0;
  for (const std::string& name : elements_to_test()) {
    GstElement* e = gst_element_factory_make(name.c_str(), nullptr);
    ASSERT_NE(e, nullptr) << name;
    guint n = 0;
    GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &n);
    for (guint i = 0; i < n; ++i) {
      GParamSpec* p = specs[i];
      if (!(p->flags & G_PARAM_WRITABLE) || (p->flags & G_PARAM_CONSTRUCT_ONLY)) continue;
      for (GValue& v : out_of_range(p)) {
        const std::string before = value_text(G_OBJECT(e), p);
        WarningCapture warnings;
        g_object_set_property(G_OBJECT(e), p->name, &v);
        const std::string w = warnings.take();
        EXPECT_NE(w.find("out of range for property '" + std::string(p->name) + "'"), std::string::npos)
            << name << "." << p->name << ": " << w;
        EXPECT_EQ(value_text(G_OBJECT(e), p), before) << name << "." << p->name;
        g_value_unset(&v);
        ++tried;
      }
    }
    g_free(specs);
    gst_object_unref(e);
  }
  EXPECT_GT(tried, 10);
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
