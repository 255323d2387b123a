#include "fma/macro_map.h"

#include "fma/csv_reader.h"
#include "fma/field_parse.h"

#include <stdexcept>

namespace genre::fma {

extern const char* const kMacroAnnexCsv;  // generated from data/macrogenres.csv

MacroMap parse_macro_csv(const std::vector<std::vector<std::string>>& rows, const GenreTable& genres,
                         const std::string& origin, bool skip_unknown) {
  if (rows.empty()) throw std::runtime_error(origin + ": empty macrogenre table");
  const auto& h = rows[0];
  auto col = [&](const char* name) {
    for (size_t i = 0; i < h.size(); ++i)
      if (h[i] == name) return i;
    throw std::runtime_error(origin + ": macrogenre table has no column \"" + std::string(name) +
                             "\" (need macrogenre,fma_genre_id)");
  };
  const size_t c_macro = col("macrogenre"), c_id = col("fma_genre_id");
  size_t c_class = h.size();  // optional
  for (size_t i = 0; i < h.size(); ++i)
    if (h[i] == "fine_class") c_class = i;
  MacroMap m;
  auto macro_index = [&m](const std::string& name) {
    for (size_t i = 0; i < m.names.size(); ++i)
      if (m.names[i] == name) return static_cast<int>(i);
    m.names.push_back(name);
    m.fma_ids.push_back(-1);
    return static_cast<int>(m.names.size() - 1);
  };
  m.source = origin;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() == 1 && row[0].empty()) continue;
    const std::string where = origin + " row " + std::to_string(r + 1);
    if (row.size() <= std::max(c_macro, c_id)) throw std::runtime_error(where + ": too few fields");
    const std::string& name = row[c_macro];
    if (name.empty()) throw std::runtime_error(where + ": empty macrogenre name");
    if (row[c_id].empty() && c_class < h.size()) {  // a class without an FMA id, by name
      const std::string cls = c_class < row.size() ? row[c_class] : "";
      if (cls.empty()) throw std::runtime_error(where + ": neither fma_genre_id nor fine_class is given");
      if (!m.class_to_macro.emplace(cls, macro_index(name)).second)
        throw std::runtime_error(where + ": class \"" + cls + "\" is listed in two macrogenres");
      continue;
    }
    const int id = parse_int_field(row[c_id], where, "fma_genre_id");
    if (!genres.find(id) && skip_unknown) {
      macro_index(name);  // still create the macro class so indices stay stable
      continue;
    }
    if (!genres.find(id)) throw std::runtime_error(where + ": fma_genre_id " + std::to_string(id) + " is not in genres.csv");
    const int index = macro_index(name);
    if (!m.genre_to_macro.emplace(id, index).second)
      throw std::runtime_error(where + ": genre " + std::to_string(id) + " is listed in two macrogenres");
  }
  // A macro named exactly like an FMA genre it contains keeps that id (e.g. "Rock" = 12).
  for (size_t i = 0; i < m.names.size(); ++i)
    if (auto id = genres.id_by_title(m.names[i]); id && m.genre_to_macro.count(*id) &&
                                                  m.genre_to_macro.at(*id) == static_cast<int>(i))
      m.fma_ids[i] = *id;
  return m;
}

int MacroMap::macro_of(int fma_genre_id, const std::string& class_name) const {
  if (fma_genre_id >= 0)
    if (auto it = genre_to_macro.find(fma_genre_id); it != genre_to_macro.end()) return it->second;
  if (auto it = class_to_macro.find(class_name); it != class_to_macro.end()) return it->second;
  return -1;
}

std::string macro_csv_text(const std::vector<MacroRow>& rows) {
  std::string out = "macrogenre,fma_genre_id,fine_class\n";
  for (const MacroRow& r : rows)
    out += csv_quote(r.macrogenre) + "," + (r.fma_genre_id >= 0 ? std::to_string(r.fma_genre_id) : "") + "," +
           csv_quote(r.fine_class) + "\n";
  return out;
}

MacroMap load_macro_csv(const std::string& path, const GenreTable& genres) {
  return parse_macro_csv(read_csv_file(path), genres, path);
}

const char* annex_macro_csv_text() { return kMacroAnnexCsv; }

MacroMap annex_macro_map(const GenreTable& genres) {
  const std::string origin = "data/macrogenres.csv (built in)";
  MacroMap m = parse_macro_csv(read_csv_text(kMacroAnnexCsv, origin), genres, origin, true);
  m.source = "annex";
  return m;
}

MacroMap top_level_macro_map(const GenreTable& genres) {
  MacroMap m;
  m.source = "top-level";
  std::map<int, int> top_index;
  for (int id : genres.top_level_ids()) {
    top_index[id] = static_cast<int>(m.names.size());
    m.names.push_back(genres.at(id).title);
    m.fma_ids.push_back(id);
  }
  for (const auto& [id, g] : genres.all()) m.genre_to_macro[id] = top_index.at(genres.top_level_of(id));
  return m;
}

MacroMap select_macro_map(const std::string& choice, const GenreTable& genres) {
  if (choice == "annex") return annex_macro_map(genres);
  if (choice == "top-level") return top_level_macro_map(genres);
  return load_macro_csv(choice, genres);
}

}  // namespace genre::fma
