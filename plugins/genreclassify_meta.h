// GenreScoresMeta: what genreclassify made of one window, on the window's own
// buffer (the image passes through unchanged). Scores are the model's
// probabilities over the bundle's target classes in class-index order
// (softmax, or sigmoid for multi-label models) and over its macrogenres.
// Applications read it in a pad probe after genreclassify:
//   GenreScoresMeta* m = gst_buffer_get_genre_scores_meta(buf);
// or, without linking the plugin, with the API type looked up by name:
//   (GenreScoresMeta*)gst_buffer_get_meta(buf, g_type_from_name("GenreScoresMetaAPI"))
// Silent windows (below silence-floor) carry none.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  GstMeta meta;
  guint64 window;          // the window's index in its clip (GenreWindowMeta), else its number in the stream
  guint n_scores;          // the model's target classes
  gfloat* scores;          // n_scores probabilities, class-index order
  guint n_macro_scores;    // 0 when the model has no macrogenres
  gfloat* macro_scores;    // n_macro_scores probabilities, macro class-index order
  gint top_class;          // index of the best class
  gchar* label;            // its name
  gint macro_class;        // index of the best macrogenre, -1 when none
  gchar* macrogenre;       // its name, NULL when none
} GenreScoresMeta;

GType genre_scores_meta_api_get_type(void);
#define GENRE_SCORES_META_API_TYPE (genre_scores_meta_api_get_type())

const GstMetaInfo* genre_scores_meta_get_info(void);
#define GENRE_SCORES_META_INFO (genre_scores_meta_get_info())

#define gst_buffer_get_genre_scores_meta(b) \
  ((GenreScoresMeta*)gst_buffer_get_meta((b), GENRE_SCORES_META_API_TYPE))

// Adds a meta holding copies of the arrays and names (NULL names allowed).
GenreScoresMeta* gst_buffer_add_genre_scores_meta(GstBuffer* buffer, guint64 window, const gfloat* scores,
                                                  guint n_scores, const gfloat* macro_scores, guint n_macro_scores,
                                                  gint top_class, const gchar* label, gint macro_class,
                                                  const gchar* macrogenre);

G_END_DECLS
