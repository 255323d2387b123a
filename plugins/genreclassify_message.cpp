#include "genreclassify_message.h"

namespace genre {

using nlohmann::json;

namespace {

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

void set_times(GstStructure* s, const MessageTimes& t) {
  gst_structure_set(s, "timestamp", G_TYPE_UINT64, t.timestamp, "stream-time", G_TYPE_UINT64, t.stream_time,
                    "running-time", G_TYPE_UINT64, t.running_time, "duration", G_TYPE_UINT64, t.duration, nullptr);
}

// Without macrogenres in the bundle: "" and 0, so every message has the same fields.
void set_macro(GstStructure* s, const char* name_field, const char* score_field,
               const std::optional<infer::RankedClass>& m) {
  gst_structure_set(s, name_field, G_TYPE_STRING, m ? m->name.c_str() : "", score_field, G_TYPE_DOUBLE,
                    m ? double(m->score) : 0.0, nullptr);
}

}  // namespace

GstStructure* window_message_structure(const infer::WindowResult& r, const MessageTimes& t, guint64 window,
                                       guint64 skipped) {
  GstStructure* s = gst_structure_new_empty("genre");
  set_times(s, t);
  gst_structure_set(s, "window", G_TYPE_UINT64, window, nullptr);
  set_ranked(s, r.top);
  set_macro(s, "macrogenre", "macrogenre-score", r.macro);
  gst_structure_set(s, "verdict", G_TYPE_STRING, r.verdict.name.c_str(), "verdict-score", G_TYPE_DOUBLE,
                    double(r.verdict.score), nullptr);
  set_macro(s, "verdict-macrogenre", "verdict-macrogenre-score", r.verdict_macro);
  gst_structure_set(s, "confident", G_TYPE_BOOLEAN, gboolean(r.confident), "skipped", G_TYPE_UINT64, skipped,
                    "silent", G_TYPE_BOOLEAN, FALSE, "final", G_TYPE_BOOLEAN, FALSE, nullptr);
  return s;
}

GstStructure* silent_window_message_structure(const MessageTimes& t, guint64 window, guint64 skipped) {
  GstStructure* s = gst_structure_new_empty("genre");
  set_times(s, t);
  gst_structure_set(s, "window", G_TYPE_UINT64, window, nullptr);
  set_ranked(s, {});
  set_macro(s, "macrogenre", "macrogenre-score", std::nullopt);
  gst_structure_set(s, "verdict", G_TYPE_STRING, "", "verdict-score", G_TYPE_DOUBLE, 0.0, nullptr);
  set_macro(s, "verdict-macrogenre", "verdict-macrogenre-score", std::nullopt);
  gst_structure_set(s, "confident", G_TYPE_BOOLEAN, FALSE, "skipped", G_TYPE_UINT64, skipped, "silent",
                    G_TYPE_BOOLEAN, TRUE, "final", G_TYPE_BOOLEAN, FALSE, nullptr);
  return s;
}

GstStructure* final_message_structure(const infer::StreamVerdict& v, const MessageTimes& t, guint64 skipped) {
  GstStructure* s = gst_structure_new_empty("genre");
  set_times(s, t);
  gst_structure_set(s, "windows", G_TYPE_UINT64, guint64(v.windows), nullptr);
  set_ranked(s, v.top);
  set_macro(s, "macrogenre", "macrogenre-score", v.macro);
  const infer::RankedClass& best = v.top.front();
  gst_structure_set(s, "verdict", G_TYPE_STRING, best.name.c_str(), "verdict-score", G_TYPE_DOUBLE,
                    double(best.score), nullptr);
  set_macro(s, "verdict-macrogenre", "verdict-macrogenre-score", v.macro);
  gst_structure_set(s, "confident", G_TYPE_BOOLEAN, gboolean(v.confident), "skipped", G_TYPE_UINT64, skipped,
                    "silent-windows", G_TYPE_UINT64, guint64(v.silent_windows), "silent", G_TYPE_BOOLEAN, FALSE,
                    "final", G_TYPE_BOOLEAN, TRUE, nullptr);
  return s;
}

GstStructure* silent_final_message_structure(guint64 silent_windows, const MessageTimes& t, guint64 skipped) {
  GstStructure* s = gst_structure_new_empty("genre");
  set_times(s, t);
  gst_structure_set(s, "windows", G_TYPE_UINT64, guint64(0), nullptr);
  set_ranked(s, {});
  set_macro(s, "macrogenre", "macrogenre-score", std::nullopt);
  gst_structure_set(s, "verdict", G_TYPE_STRING, "", "verdict-score", G_TYPE_DOUBLE, 0.0, nullptr);
  set_macro(s, "verdict-macrogenre", "verdict-macrogenre-score", std::nullopt);
  gst_structure_set(s, "confident", G_TYPE_BOOLEAN, FALSE, "skipped", G_TYPE_UINT64, skipped, "silent-windows",
                    G_TYPE_UINT64, silent_windows, "silent", G_TYPE_BOOLEAN, TRUE, "final", G_TYPE_BOOLEAN, TRUE,
                    nullptr);
  return s;
}

}  // namespace genre
