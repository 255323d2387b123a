// The `genre` bus message genreclassify posts per window and at EOS (in the
// style of GStreamer's level and spectrum elements), built and parsed here
// only: the element builds it, applications (genre-classify, the tests) parse it.
#pragma once

#include <gst/gst.h>

#include <optional>
#include <vector>

#include "infer/verdict_tracker.h"

namespace genre {

// Times of a window (or of a whole stream) in the forms level's messages give.
struct MessageTimes {
  GstClockTime timestamp = GST_CLOCK_TIME_NONE;     // buffer PTS
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GstClockTime duration = GST_CLOCK_TIME_NONE;
};

// One `genre` message. Per window: timestamps, window, the top-k labels/scores/fma-ids,
// macrogenre, the running verdict, decoding, confident, skipped, silent, final=FALSE. At EOS
// (final=TRUE): the whole-stream verdict, windows (classified) and silent-windows instead
// of window. A silent message (no signal above silence-floor) has no labels and "" verdicts.
// labels, scores and macrogenre describe the probabilities (the window's, or at EOS the mean);
// verdict and verdict-macrogenre are decoded as `decoding` ("argmax" or "crm",
// genreclassify's property) says.
struct GenreMessage {
  MessageTimes times;
  bool final = false;
  bool silent = false;
  guint64 window = 0;          // per window: its index (GenreWindowMeta), else its number in the stream
  guint64 windows = 0;         // final: windows classified
  guint64 silent_windows = 0;  // final: windows left out as silent
  std::vector<infer::RankedClass> top;  // best first; index = rank (the structure carries no class index)
  std::optional<infer::RankedClass> macro;
  infer::RankedClass verdict;  // name and score; "" and 0 when silent
  std::optional<infer::RankedClass> verdict_macro;
  infer::Decoding decoding = infer::Decoding::Argmax;  // how verdict and verdict_macro were made
  bool confident = false;
  guint64 skipped = 0;  // windows lost in front of the element (gaps in the window index)

  static GenreMessage for_window(const infer::WindowResult& r, const MessageTimes& t, guint64 window,
                                 guint64 skipped);
  static GenreMessage for_silent_window(const MessageTimes& t, guint64 window, guint64 skipped,
                                        infer::Decoding decoding);
  static GenreMessage for_stream(const infer::StreamVerdict& v, const MessageTimes& t, guint64 skipped);
  static GenreMessage for_silent_stream(guint64 silent_windows, const MessageTimes& t, guint64 skipped,
                                        infer::Decoding decoding);

  // A "genre" structure; a macrogenre that is absent is "" and 0, so every message has the same fields.
  GstStructure* to_structure() const;
  // nullopt unless `s` is a "genre" structure with every field of its kind, typed as to_structure writes it.
  static std::optional<GenreMessage> parse(const GstStructure* s);
};

}  // namespace genre
