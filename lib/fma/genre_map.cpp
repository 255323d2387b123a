#include "fma/genre_map.h"

#include "fma/csv_reader.h"
#include "fma/field_parse.h"

#include <stdexcept>

namespace genre::fma {

extern const char* const kGtzanGenreMapCsv;  // generated from data/gtzan_fma_genres.csv

GenreMap parse_genre_map(const std::vector<std::vector<std::string>>& rows, const GenreTable& genres,
                         const std::string& origin) {
  size_t r = 0;
  auto comment = [&](size_t i) { return !rows[i].empty() && !rows[i][0].empty() && rows[i][0][0] == '#'; };
  while (r < rows.size() && comment(r)) ++r;
  if (r == rows.size()) throw std::runtime_error(origin + ": empty genre map (need a label,fma_genre_id header)");
  const auto& h = rows[r];
  auto col = [&](const char* name) {
    for (size_t i = 0; i < h.size(); ++i)
      if (h[i] == name) return i;
    throw std::runtime_error(origin + " row " + std::to_string(r + 1) + ": genre map has no column \"" +
                             std::string(name) + "\" (need label,fma_genre_id)");
  };
  const size_t c_label = col("label"), c_id = col("fma_genre_id");
  GenreMap m;
  m.source = origin;
  for (++r; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if ((row.size() == 1 && row[0].empty()) || comment(r)) continue;
    const std::string where = origin + " row " + std::to_string(r + 1);
    if (row.size() <= std::max(c_label, c_id)) throw std::runtime_error(where + ": too few fields");
    const std::string& label = row[c_label];
    if (label.empty()) throw std::runtime_error(where + ": empty label");
    const int id = parse_int_field(row[c_id], where, "fma_genre_id");
    if (!genres.find(id)) throw std::runtime_error(where + ": fma_genre_id " + std::to_string(id) + " is not an FMA genre");
    if (!m.fma_id.emplace(label, id).second) throw std::runtime_error(where + ": label \"" + label + "\" is listed twice");
  }
  return m;
}

GenreMap load_genre_map(const std::string& path, const GenreTable& genres) {
  return parse_genre_map(read_csv_file(path), genres, path);
}

GenreMap gtzan_genre_map(const GenreTable& genres) {
  const std::string origin = "data/gtzan_fma_genres.csv (built in)";
  GenreMap m = parse_genre_map(read_csv_text(kGtzanGenreMapCsv, origin), genres, origin);
  m.source = "gtzan";
  return m;
}

bool labels_are_gtzan(const std::set<std::string>& labels, const GenreTable& genres) {
  if (labels.empty()) return false;
  const GenreMap gtzan = gtzan_genre_map(genres);
  for (const auto& l : labels)
    if (!gtzan.fma_id.count(l)) return false;
  return true;
}

}  // namespace genre::fma
