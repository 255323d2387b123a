// FMA's genres.csv: genre_id,#tracks,parent,title,top_level (parent 0 = a root).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace genre::fma {

struct Genre {
  int id = 0;
  int n_tracks = 0;   // FMA's own count over the full archive
  int parent = 0;     // 0 for a top-level genre
  std::string title;
  int top_level = 0;  // id of the top-level ancestor
};

class GenreTable {
 public:
  // Throws std::runtime_error naming the file, line and column on a missing
  // column, a non-integer id, a duplicate id or a parent that is not in the table.
  static GenreTable load(const std::string& path);
  // FMA's official genres.csv shipped in data/fma_genres.csv, compiled in: for
  // datasets without fma_metadata (fma-convert --folders).
  static GenreTable builtin();
  static GenreTable from_rows(const std::vector<std::vector<std::string>>& rows, const std::string& origin);

  const Genre* find(int id) const;
  const Genre& at(int id) const;  // throws std::out_of_range naming the id
  std::optional<int> id_by_title(const std::string& title) const;
  // Top-level ancestor found by walking `parent` (FMA's own top_level column is
  // used only to cross-check; they agree in the official table).
  int top_level_of(int id) const;
  const std::map<int, Genre>& all() const { return genres_; }
  std::vector<int> top_level_ids() const;  // ascending

 private:
  std::map<int, Genre> genres_;
};

}  // namespace genre::fma
