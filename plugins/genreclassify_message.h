// What genreclassify tells the application: the `genre` bus message per
// window and at EOS (in the style of GStreamer's level and spectrum elements).
#pragma once

#include <gst/gst.h>

#include "infer/verdict_tracker.h"

namespace genre {

// Times of a window (or of a whole stream) in the forms level's messages give.
struct MessageTimes {
  GstClockTime timestamp = GST_CLOCK_TIME_NONE;     // buffer PTS
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GstClockTime duration = GST_CLOCK_TIME_NONE;
};

// "genre" structure for one window: timestamps, window, top-k labels/scores/fma-ids,
// macrogenre, the running verdict, skipped, silent=FALSE, final=FALSE.
GstStructure* window_message_structure(const infer::WindowResult& r, const MessageTimes& t, guint64 window,
                                       guint64 skipped);
// The same fields for a window without signal (below silence-floor): silent=TRUE, empty
// labels/scores/fma-ids, "" verdict and macrogenres, confident=FALSE.
GstStructure* silent_window_message_structure(const MessageTimes& t, guint64 window, guint64 skipped);

// "genre" structure of the whole-stream verdict at EOS: final=TRUE, windows (classified),
// silent-windows (left out), silent=FALSE.
GstStructure* final_message_structure(const infer::StreamVerdict& v, const MessageTimes& t, guint64 skipped);
// At EOS of a stream whose every window was silent: final=TRUE, windows=0, silent=TRUE,
// silent-windows, no verdict (empty labels, "" verdict).
GstStructure* silent_final_message_structure(guint64 silent_windows, const MessageTimes& t, guint64 skipped);

}  // namespace genre
