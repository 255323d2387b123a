#include "fma/genres.h"

#include "fma/csv_reader.h"
#include "fma/field_parse.h"

#include <stdexcept>

namespace genre::fma {

extern const char* const kFmaGenresCsv;  // generated from data/fma_genres.csv

GenreTable GenreTable::load(const std::string& path) { return from_rows(read_csv_file(path), path); }

GenreTable GenreTable::builtin() {
  const std::string origin = "data/fma_genres.csv (built in)";
  return from_rows(read_csv_text(kFmaGenresCsv, origin), origin);
}

GenreTable GenreTable::from_rows(const std::vector<std::vector<std::string>>& rows, const std::string& origin) {
  if (rows.empty()) throw std::runtime_error(origin + ": empty genres table");
  const auto& header = rows[0];
  auto column = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    throw std::runtime_error(origin + ": genres table has no column \"" + name + "\"");
  };
  const size_t c_id = column("genre_id"), c_n = column("#tracks"), c_parent = column("parent"),
               c_title = column("title"), c_top = column("top_level");
  GenreTable t;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() == 1 && row[0].empty()) continue;  // blank line
    const std::string where = origin + " row " + std::to_string(r + 1);
    if (row.size() < header.size())
      throw std::runtime_error(where + ": " + std::to_string(row.size()) + " fields, expected " +
                               std::to_string(header.size()));
    Genre g;
    g.id = parse_int_field(row[c_id], where, "genre_id");
    g.n_tracks = parse_int_field(row[c_n], where, "#tracks");
    g.parent = parse_int_field(row[c_parent], where, "parent");
    g.title = row[c_title];
    g.top_level = parse_int_field(row[c_top], where, "top_level");
    if (g.id <= 0) throw std::runtime_error(where + ": genre_id must be positive");
    if (!t.genres_.emplace(g.id, g).second)
      throw std::runtime_error(where + ": duplicate genre_id " + std::to_string(g.id));
  }
  for (const auto& [id, g] : t.genres_) {
    if (g.parent != 0 && !t.genres_.count(g.parent))
      throw std::runtime_error(origin + ": genre " + std::to_string(id) + " (" + g.title + ") has parent " +
                               std::to_string(g.parent) + " which is not in the table");
    t.top_level_of(id);  // detects cycles
  }
  return t;
}

const Genre* GenreTable::find(int id) const {
  auto it = genres_.find(id);
  return it == genres_.end() ? nullptr : &it->second;
}

const Genre& GenreTable::at(int id) const {
  const Genre* g = find(id);
  if (!g) throw std::out_of_range("genre id " + std::to_string(id) + " is not in genres.csv");
  return *g;
}

std::optional<int> GenreTable::id_by_title(const std::string& title) const {
  for (const auto& [id, g] : genres_)
    if (g.title == title) return id;
  return std::nullopt;
}

int GenreTable::top_level_of(int id) const {
  int cur = id;
  for (size_t steps = 0; steps <= genres_.size(); ++steps) {
    const Genre& g = at(cur);
    if (g.parent == 0) return g.id;
    cur = g.parent;
  }
  throw std::runtime_error("genre " + std::to_string(id) + ": parent chain has a cycle");
}

std::vector<int> GenreTable::top_level_ids() const {
  std::vector<int> ids;
  for (const auto& [id, g] : genres_)
    if (g.parent == 0) ids.push_back(id);
  return ids;
}

}  // namespace genre::fma
