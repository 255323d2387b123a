// What genre-classify prints: one record per file (text, JSON line or CSV
// row), per-window JSON lines, and the genre text it writes into tags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infer/verdict_tracker.h"

namespace genre::infer {

enum class OutputFormat { Text, Json, Csv };
// "text", "json", "csv"; throws InferError on anything else.
OutputFormat output_format_from_string(const std::string& text);

enum class GenreFormat { Fine, Macro, MacroFine };
GenreFormat genre_format_from_string(const std::string& text);  // "fine", "macro", "macro/fine"

struct FileResult {
  std::string input;  // the path or URI
  bool ok = false;
  std::string error;  // why it failed
  uint64_t windows = 0, skipped = 0;
  uint64_t silent_windows = 0;   // left out as silent (no signal above the silence floor)
  std::vector<RankedClass> top;  // the mean probabilities' top-k, best first
  RankedClass verdict;           // the whole-stream verdict, decoded (argmax: top.front())
  std::optional<RankedClass> macro;  // the macrogenre verdict, decoded the same way
  Decoding decoding = Decoding::Argmax;
  bool confident = true;
  // --write-tags: what happened to the file's tag ("" = not asked).
  std::string tag_action;  // "written", "unchanged", "dry run", "uncertain: left alone", "failed"
  std::string tag_old, tag_new, tag_detail;
  std::vector<std::string> tag_fields;  // the genre fields written: "ID3v2.4 TCON", "APE Genre", ...
};

struct WindowRecord {
  std::string input;
  double start_s = 0, duration_s = 0;  // -1 when unknown
  uint64_t window = 0;
  std::vector<RankedClass> top;
  std::optional<RankedClass> macro;
  RankedClass verdict;  // the smoothed running verdict, decoded
  Decoding decoding = Decoding::Argmax;
  bool confident = true;
  uint64_t skipped = 0;
  bool silent = false;  // no signal: no scores, no verdict
};

// The genre a tag gets: the fine verdict, its macrogenre, or "Macro/Fine".
// A model without macrogenres gives its verdict for every format.
std::string tag_genre(const FileResult& r, GenreFormat format);

std::string csv_header();
// One line, no newline.
std::string format_file(const FileResult& r, OutputFormat format);
std::string format_window(const WindowRecord& w, OutputFormat format);

}  // namespace genre::infer
