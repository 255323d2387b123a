#include "genre_message.h"

#include <string>

namespace genre {

namespace {

constexpr const char* kName = "genre";

// ---- building ----

void set_ranked(GstStructure* s, const std::vector<infer::RankedClass>& top) {
  GValue labels = G_VALUE_INIT, scores = G_VALUE_INIT, ids = G_VALUE_INIT;
  gst_value_array_init(&labels, guint(top.size()));
  gst_value_array_init(&scores, guint(top.size()));
  gst_value_array_init(&ids, guint(top.size()));
  for (const infer::RankedClass& c : top) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_STRING);
    g_value_set_string(&v, c.name.c_str());
    gst_value_array_append_and_take_value(&labels, &v);
    g_value_init(&v, G_TYPE_DOUBLE);
    g_value_set_double(&v, double(c.score));
    gst_value_array_append_and_take_value(&scores, &v);
    g_value_init(&v, G_TYPE_INT);
    g_value_set_int(&v, c.fma_genre_id);
    gst_value_array_append_and_take_value(&ids, &v);
  }
  gst_structure_take_value(s, "labels", &labels);
  gst_structure_take_value(s, "scores", &scores);
  gst_structure_take_value(s, "fma-ids", &ids);
}

void set_macro(GstStructure* s, const char* name_field, const char* score_field,
               const std::optional<infer::RankedClass>& m) {
  gst_structure_set(s, name_field, G_TYPE_STRING, m ? m->name.c_str() : "", score_field, G_TYPE_DOUBLE,
                    m ? double(m->score) : 0.0, nullptr);
}

// ---- parsing: each reader says whether the field is there with the type to_structure gives it ----

bool read(const GstStructure* s, const char* field, guint64* out) { return gst_structure_get_uint64(s, field, out); }

bool read(const GstStructure* s, const char* field, bool* out) {
  gboolean v = FALSE;
  if (!gst_structure_get_boolean(s, field, &v)) return false;
  *out = v;
  return true;
}

bool read(const GstStructure* s, const char* field, std::string* out) {
  const char* v = gst_structure_get_string(s, field);
  if (!v) return false;
  *out = v;
  return true;
}

bool read(const GstStructure* s, const char* field, float* out) {
  double v = 0;
  if (!gst_structure_get_double(s, field, &v)) return false;
  *out = float(v);
  return true;
}

bool read(const GstStructure* s, const char* field, infer::Decoding* out) {
  std::string text;
  if (!read(s, field, &text)) return false;
  const std::optional<infer::Decoding> d = infer::decoding_from_string(text);
  if (d) *out = *d;
  return d.has_value();
}

// The values of an array field, each of `type`; nullptr when absent or mistyped.
const GValue* array_of(const GstStructure* s, const char* field, GType type, guint size) {
  const GValue* a = gst_structure_get_value(s, field);
  if (!a || !GST_VALUE_HOLDS_ARRAY(a) || gst_value_array_get_size(a) != size) return nullptr;
  for (guint i = 0; i < size; ++i)
    if (!G_VALUE_HOLDS(gst_value_array_get_value(a, i), type)) return nullptr;
  return a;
}

bool read_ranked(const GstStructure* s, std::vector<infer::RankedClass>* top) {
  const GValue* labels = gst_structure_get_value(s, "labels");
  if (!labels || !GST_VALUE_HOLDS_ARRAY(labels)) return false;
  const guint n = gst_value_array_get_size(labels);
  const GValue* names = array_of(s, "labels", G_TYPE_STRING, n);
  const GValue* scores = array_of(s, "scores", G_TYPE_DOUBLE, n);
  const GValue* ids = array_of(s, "fma-ids", G_TYPE_INT, n);
  if (!names || !scores || !ids) return false;
  for (guint i = 0; i < n; ++i) {
    infer::RankedClass c;
    c.index = int(i);
    c.name = g_value_get_string(gst_value_array_get_value(names, i));
    c.score = float(g_value_get_double(gst_value_array_get_value(scores, i)));
    c.fma_genre_id = g_value_get_int(gst_value_array_get_value(ids, i));
    top->push_back(c);
  }
  return true;
}

// "" names no macrogenre (a bundle without them, or a silent message).
bool read_macro(const GstStructure* s, const char* name_field, const char* score_field,
                std::optional<infer::RankedClass>* out) {
  infer::RankedClass c;
  if (!read(s, name_field, &c.name) || !read(s, score_field, &c.score)) return false;
  if (!c.name.empty()) *out = c;
  return true;
}

}  // namespace

// Each in the field order of GenreMessage: times, final, silent, window, windows, silent_windows,
// top, macro, verdict, verdict_macro, decoding, confident, skipped.
GenreMessage GenreMessage::for_window(const infer::WindowResult& r, const MessageTimes& t, guint64 window,
                                      guint64 skipped) {
  return {t, false, false, window, 0, 0, r.top, r.macro, r.verdict, r.verdict_macro,
          r.decoding, r.confident, skipped};
}

GenreMessage GenreMessage::for_silent_window(const MessageTimes& t, guint64 window, guint64 skipped,
                                             infer::Decoding decoding) {
  return {t, false, true, window, 0, 0, {}, std::nullopt, {}, std::nullopt, decoding, false, skipped};
}

GenreMessage GenreMessage::for_stream(const infer::StreamVerdict& v, const MessageTimes& t, guint64 skipped) {
  return {t, true, false, 0, v.windows, v.silent_windows, v.top, v.macro, v.verdict, v.verdict_macro, v.decoding,
          v.confident, skipped};
}

GenreMessage GenreMessage::for_silent_stream(guint64 silent_windows, const MessageTimes& t, guint64 skipped,
                                             infer::Decoding decoding) {
  return {t, true, true, 0, 0, silent_windows, {}, std::nullopt, {}, std::nullopt, decoding, false, skipped};
}

GstStructure* GenreMessage::to_structure() const {
  GstStructure* s = gst_structure_new_empty(kName);
  gst_structure_set(s, "timestamp", G_TYPE_UINT64, times.timestamp, "stream-time", G_TYPE_UINT64, times.stream_time,
                    "running-time", G_TYPE_UINT64, times.running_time, "duration", G_TYPE_UINT64, times.duration,
                    nullptr);
  gst_structure_set(s, final ? "windows" : "window", G_TYPE_UINT64, final ? windows : window, nullptr);
  set_ranked(s, top);
  set_macro(s, "macrogenre", "macrogenre-score", macro);
  gst_structure_set(s, "verdict", G_TYPE_STRING, verdict.name.c_str(), "verdict-score", G_TYPE_DOUBLE,
                    double(verdict.score), nullptr);
  set_macro(s, "verdict-macrogenre", "verdict-macrogenre-score", verdict_macro);
  gst_structure_set(s, "decoding", G_TYPE_STRING, infer::to_string(decoding), nullptr);
  gst_structure_set(s, "confident", G_TYPE_BOOLEAN, gboolean(confident), "skipped", G_TYPE_UINT64, skipped, nullptr);
  if (final) gst_structure_set(s, "silent-windows", G_TYPE_UINT64, silent_windows, nullptr);
  gst_structure_set(s, "silent", G_TYPE_BOOLEAN, gboolean(silent), "final", G_TYPE_BOOLEAN, gboolean(final), nullptr);
  return s;
}

std::optional<GenreMessage> GenreMessage::parse(const GstStructure* s) {
  if (!s || !gst_structure_has_name(s, kName)) return std::nullopt;
  GenreMessage m;
  const bool ok = read(s, "final", &m.final) && read(s, "silent", &m.silent) &&
                  read(s, "timestamp", &m.times.timestamp) && read(s, "stream-time", &m.times.stream_time) &&
                  read(s, "running-time", &m.times.running_time) && read(s, "duration", &m.times.duration) &&
                  (m.final ? read(s, "windows", &m.windows) && read(s, "silent-windows", &m.silent_windows)
                           : read(s, "window", &m.window)) &&
                  read_ranked(s, &m.top) && read_macro(s, "macrogenre", "macrogenre-score", &m.macro) &&
                  read(s, "verdict", &m.verdict.name) && read(s, "verdict-score", &m.verdict.score) &&
                  read_macro(s, "verdict-macrogenre", "verdict-macrogenre-score", &m.verdict_macro) &&
                  read(s, "decoding", &m.decoding) && read(s, "confident", &m.confident) &&
                  read(s, "skipped", &m.skipped);
  if (!ok) return std::nullopt;
  return m;
}

}  // namespace genre
