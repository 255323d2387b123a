// Which FMA genre each label of a user's dataset stands for (folder names of
// GTZAN, Ballroom or a music library): a CSV `label,fma_genre_id` (other
// columns and lines starting with '#' ignored). The GTZAN map is shipped in
// data/gtzan_fma_genres.csv and compiled in.
#pragma once

#include "fma/genres.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace genre::fma {

struct GenreMap {
  std::map<std::string, int> fma_id;  // label -> FMA genre id
  std::string source;                 // "gtzan (built in)" or the file path
};

// Throws std::runtime_error naming the origin and row for a missing column, an
// empty label, a label listed twice or an id that is not in `genres`.
GenreMap parse_genre_map(const std::vector<std::vector<std::string>>& rows, const GenreTable& genres,
                         const std::string& origin);
GenreMap load_genre_map(const std::string& path, const GenreTable& genres);
GenreMap gtzan_genre_map(const GenreTable& genres);

// --genre-map auto: the GTZAN map when every label is one of its labels (a
// GTZAN tree or part of one), otherwise none.
bool labels_are_gtzan(const std::set<std::string>& labels, const GenreTable& genres);

}  // namespace genre::fma
