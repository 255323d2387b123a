#include "window_meta.h"

#include <cmath>

GType genre_window_meta_api_get_type(void) {
  static GType type = 0;
  static const gchar* tags[] = {nullptr};  // not tied to memory, format or rate
  if (g_once_init_enter(&type)) {
    GType t = gst_meta_api_type_register("GenreWindowMetaAPI", tags);
    g_once_init_leave(&type, t);
  }
  return type;
}

static gboolean window_meta_init(GstMeta* meta, gpointer, GstBuffer*) {
  auto* m = reinterpret_cast<GenreWindowMeta*>(meta);
  m->window_index = 0;
  m->start = GST_CLOCK_TIME_NONE;
  m->end = GST_CLOCK_TIME_NONE;
  m->window_frames = 0;
  m->valid_frames = 0;
  m->whole_clip = FALSE;
  m->level_db = NAN;
  return TRUE;
}

static gboolean window_meta_transform(GstBuffer* dest, GstMeta* meta, GstBuffer*, GQuark type,
                                      gpointer) {
  if (!GST_META_TRANSFORM_IS_COPY(type)) return FALSE;
  auto* src = reinterpret_cast<GenreWindowMeta*>(meta);
  GenreWindowMeta* dst = gst_buffer_add_genre_window_meta(dest);
  if (!dst) return FALSE;
  dst->window_index = src->window_index;
  dst->start = src->start;
  dst->end = src->end;
  dst->window_frames = src->window_frames;
  dst->valid_frames = src->valid_frames;
  dst->whole_clip = src->whole_clip;
  dst->level_db = src->level_db;
  return TRUE;
}

const GstMetaInfo* genre_window_meta_get_info(void) {
  static const GstMetaInfo* info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo* mi = gst_meta_register(GENRE_WINDOW_META_API_TYPE, "GenreWindowMeta",
        sizeof(GenreWindowMeta), window_meta_init, nullptr, window_meta_transform);
    g_once_init_leave(&info, mi);
  }
  return info;
}

GenreWindowMeta* gst_buffer_add_genre_window_meta(GstBuffer* buffer) {
  return reinterpret_cast<GenreWindowMeta*>(
      gst_buffer_add_meta(buffer, GENRE_WINDOW_META_INFO, nullptr));
}
