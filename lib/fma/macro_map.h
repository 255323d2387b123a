// Which macrogenre each FMA genre belongs to: the study's hand-made 12-group
// table (shipped in data/macrogenres.csv and compiled in), a user's CSV file
// of the same shape (genre-train --macro auto writes one), or FMA's own
// top-level ancestors.
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
  std::map<std::string, int> class_to_macro;  // fine class name (rows without an FMA id) -> macro index
  std::string source;                   // "annex", "top-level" or the file path

  // The macro index of a fine class: by its FMA genre id when it has one the map lists, else
  // by its name among the rows without an id; -1 when the map does not cover it.
  int macro_of(int fma_genre_id, const std::string& class_name) const;
};

// CSV with a header holding at least `macrogenre` and `fma_genre_id` (other
// columns ignored, as in data/macrogenres.csv). Macro order = first appearance.
// An optional `fine_class` column names classes that have no FMA genre id (a
// folder dataset without a genre map): a row with an empty fma_genre_id puts
// the class of that exact name in its macrogenre.
// Throws std::runtime_error naming the origin and row for an id not in
// `genres`, a genre or class listed twice, a row naming neither, or a missing column.
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
// fma-convert's and genre-train's --macro: "annex", "top-level" or a CSV file path.
MacroMap select_macro_map(const std::string& choice, const GenreTable& genres);

// One row of a macro map file: a fine genre by FMA id (-1: none, then by class name).
struct MacroRow {
  std::string macrogenre;
  int fma_genre_id = -1;
  std::string fine_class;  // the class's name, for people (and the key when it has no id)
};
// The CSV text parse_macro_csv reads back: macrogenre,fma_genre_id,fine_class, fields quoted
// where needed; macro order = first appearance in `rows`.
std::string macro_csv_text(const std::vector<MacroRow>& rows);

}  // namespace genre::fma
