#include "genreclassify_meta.h"

#include <cstring>

GType genre_scores_meta_api_get_type(void) {
  static GType type = 0;
  static const gchar* tags[] = {nullptr};  // not tied to memory, format or rate
  if (g_once_init_enter(&type)) {
    GType t = gst_meta_api_type_register("GenreScoresMetaAPI", tags);
    g_once_init_leave(&type, t);
  }
  return type;
}

static gboolean scores_meta_init(GstMeta* meta, gpointer, GstBuffer*) {
  auto* m = reinterpret_cast<GenreScoresMeta*>(meta);
  m->window = 0;
  m->n_scores = 0;
  m->scores = nullptr;
  m->n_macro_scores = 0;
  m->macro_scores = nullptr;
  m->top_class = -1;
  m->label = nullptr;
  m->macro_class = -1;
  m->macrogenre = nullptr;
  return TRUE;
}

static void scores_meta_free(GstMeta* meta, GstBuffer*) {
  auto* m = reinterpret_cast<GenreScoresMeta*>(meta);
  g_free(m->scores);
  g_free(m->macro_scores);
  g_free(m->label);
  g_free(m->macrogenre);
}

static gboolean scores_meta_transform(GstBuffer* dest, GstMeta* meta, GstBuffer*, GQuark type, gpointer) {
  if (!GST_META_TRANSFORM_IS_COPY(type)) return FALSE;
  auto* s = reinterpret_cast<GenreScoresMeta*>(meta);
  return gst_buffer_add_genre_scores_meta(dest, s->window, s->scores, s->n_scores, s->macro_scores,
                                          s->n_macro_scores, s->top_class, s->label, s->macro_class,
                                          s->macrogenre) != nullptr;
}

const GstMetaInfo* genre_scores_meta_get_info(void) {
  static const GstMetaInfo* info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo* mi = gst_meta_register(GENRE_SCORES_META_API_TYPE, "GenreScoresMeta", sizeof(GenreScoresMeta),
                                              scores_meta_init, scores_meta_free, scores_meta_transform);
    g_once_init_leave(&info, mi);
  }
  return info;
}

GenreScoresMeta* gst_buffer_add_genre_scores_meta(GstBuffer* buffer, guint64 window, const gfloat* scores,
                                                  guint n_scores, const gfloat* macro_scores, guint n_macro_scores,
                                                  gint top_class, const gchar* label, gint macro_class,
                                                  const gchar* macrogenre) {
  auto* m = reinterpret_cast<GenreScoresMeta*>(gst_buffer_add_meta(buffer, GENRE_SCORES_META_INFO, nullptr));
  if (!m) return nullptr;
  m->window = window;
  m->n_scores = n_scores;
  m->scores = n_scores ? static_cast<gfloat*>(g_memdup2(scores, n_scores * sizeof(gfloat))) : nullptr;
  m->n_macro_scores = n_macro_scores;
  m->macro_scores =
      n_macro_scores ? static_cast<gfloat*>(g_memdup2(macro_scores, n_macro_scores * sizeof(gfloat))) : nullptr;
  m->top_class = top_class;
  m->label = g_strdup(label);
  m->macro_class = macro_class;
  m->macrogenre = g_strdup(macrogenre);
  return m;
}
