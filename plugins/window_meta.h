// GenreWindowMeta: where an image from `specresize` came from, for elements
// downstream (datasetsink builds sample keys "<track>_w<index>" from it).
// Times are relative to the start of the clip (the segment the frames came
// from), in nanoseconds.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  GstMeta meta;
  guint64 window_index;   // 0-based index of this window within its clip
  GstClockTime start;     // window start, relative to the clip start
  GstClockTime end;       // window end (start + window length in frames)
  guint window_frames;    // frames in a full window
  guint valid_frames;     // frames of real audio; < window_frames when padded or repeated
  gboolean whole_clip;    // TRUE in per-clip mode (window-frames=0)
  gfloat level_db;        // loudest mel value of the real frames, absolute dB (power, ref 1.0;
                          // digital silence -100); NAN when unknown. genreclassify's silence-floor.
} GenreWindowMeta;

GType genre_window_meta_api_get_type(void);
#define GENRE_WINDOW_META_API_TYPE (genre_window_meta_api_get_type())

const GstMetaInfo* genre_window_meta_get_info(void);
#define GENRE_WINDOW_META_INFO (genre_window_meta_get_info())

#define gst_buffer_get_genre_window_meta(b) \
  ((GenreWindowMeta*)gst_buffer_get_meta((b), GENRE_WINDOW_META_API_TYPE))

GenreWindowMeta* gst_buffer_add_genre_window_meta(GstBuffer* buffer);

G_END_DECLS
