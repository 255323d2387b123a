// The class lists a dataset is labelled with: fine genres and macrogenres,
// each with a dense index, a name and (where it has one) its FMA genre id.
// Shared by datasetsink (label lookup), the manifest, fma-convert (which builds
// it from genres.csv) and the training tool.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace genre::taxonomy {

struct ClassInfo {
  int index = 0;          // dense, 0-based, equal to the position in its list
  std::string name;       // e.g. "Indie-Rock"
  int fma_genre_id = -1;  // FMA genre_id, -1 where the class has none (a hand-made macrogenre)
};

struct Taxonomy {
  std::vector<ClassInfo> fine;
  std::vector<ClassInfo> macro;
  std::vector<int> fine_to_macro;  // macro index of each fine class, -1 if it has none

  // Lookup by exact name, then by decimal index ("12"). nullopt when absent.
  std::optional<int> fine_index(const std::string& name_or_index) const;
  std::optional<int> macro_index(const std::string& name_or_index) const;

  // Fine class whose fma_genre_id is the given FMA genre id. nullopt when absent.
  std::optional<int> fine_index_by_fma_id(int fma_genre_id) const;
  // Macro index of a fine class, -1 when it has none or the index is out of range.
  int macro_of(int fine_index) const;
  // Indices equal positions, names unique per list, fine_to_macro sized and in range.
  // Throws std::runtime_error naming `origin` and the problem.
  void validate(const std::string& origin) const;

  // JSON: {"fine": [{"index","name","fma_genre_id","macro"}], "macro": [{"index","name","fma_genre_id"}]}.
  // Throws std::runtime_error naming the file and the problem.
  static Taxonomy load_json(const std::string& path);
  // Atomic (lib/base's write_file_atomically): a concurrent reader never sees half
  // a file. Throws FileError, a std::runtime_error naming the file and errno's text.
  void save_json(const std::string& path) const;
  std::string to_json_string() const;
  static Taxonomy from_json_string(const std::string& text, const std::string& origin);
};

}  // namespace genre::taxonomy
