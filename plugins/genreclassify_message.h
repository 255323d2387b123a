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
// macrogenre, the running verdict, skipped, final=FALSE.
GstStructure* window_message_structure(const infer::WindowResult& r, const MessageTimes& t, guint64 window,
                                       guint64 skipped);

// "genre" structure of the whole-stream verdict at EOS: final=TRUE, windows.
GstStructure* final_message_structure(const infer::StreamVerdict& v, const MessageTimes& t, guint64 skipped);

}  // namespace genre
