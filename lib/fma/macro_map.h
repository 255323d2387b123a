// Which macrogenre each FMA genre belongs to: the study's hand-made 12-group
// table (shipped in data/macrogenres.csv and compiled in), a user's CSV file
// of the same shape, or FMA's own top-level ancestors.
#pragma once

#include "fma/genres.h"

#include <map>
#include <string>
#include <vector>

namespace genre::fma {

struct MacroMap {
  std::vector<std::string> names;       // macro classes in index order
  std::vector<int> fma_ids;             // FMA genre id of each macro class, -1 for hand-made groups
  std::map<int, int> genre_to_macro;    // FMA genre id -> macro index
  std::string source;                   // "annex", "top-level" or the file path
};

// CSV with a header holding at least `macrogenre` and `fma_genre_id` (other
// columns ignored, as in data/macrogenres.csv). Macro order = first appearance.
// Throws std::runtime_error naming the origin and row for an id not in
// `genres`, a genre listed twice, or a missing column.
// With skip_unknown, rows whose genre is not in `genres` are ignored instead
// (the built-in table against a reduced genres.csv such as fma-synth's).
MacroMap parse_macro_csv(const std::vector<std::vector<std::string>>& rows, const GenreTable& genres,
                         const std::string& origin, bool skip_unknown = false);
MacroMap load_macro_csv(const std::string& path, const GenreTable& genres);
// The shipped 12-group table (data/macrogenres.csv, embedded at build time);
// genres absent from `genres` are skipped, all 12 macro classes are kept.
MacroMap annex_macro_map(const GenreTable& genres);
const char* annex_macro_csv_text();
// Every genre -> its top-level ancestor; macro classes are the top-level genres by ascending id.
MacroMap top_level_macro_map(const GenreTable& genres);
// fma-convert's --macro: "annex", "top-level" or a CSV file path.
MacroMap select_macro_map(const std::string& choice, const GenreTable& genres);

}  // namespace genre::fma
