// manifest.json of a dataset directory: format version, dtype and sample
// shape, class lists, preprocessing parameters, and one entry per finalized
// shard (split, sample count, bytes, sha256, per-class counts). Per-split
// counts are always derived from the shard entries, so they stay exact when
// several writers add shards.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace genre::shard {

constexpr int kManifestVersion = 1;
constexpr const char* kManifestFormat = "genre-webdataset";

struct ClassEntry {
  int index = 0;
  std::string name;
  int fma_genre_id = -1;
  int macro = -1;  // fine classes only: the macro class index, -1 if none
  bool operator==(const ClassEntry& o) const {
    return index == o.index && name == o.name && fma_genre_id == o.fma_genre_id && macro == o.macro;
  }
};

// The class lists of a taxonomy, in the JSON form of lib/taxonomy.
struct ClassLists {
  std::vector<ClassEntry> fine;
  std::vector<ClassEntry> macro;
  bool operator==(const ClassLists& o) const { return fine == o.fine && macro == o.macro; }
  bool operator!=(const ClassLists& o) const { return !(*this == o); }
};

// The JSON form of class lists, as in manifest.json's "classes" (and in model bundles).
nlohmann::json classes_to_json(const ClassLists& classes);
// Throws ShardError naming `origin` for a malformed list or indices out of order.
ClassLists classes_from_json(const nlohmann::json& j, const std::string& origin);

using ClassCounts = std::map<int, std::uint64_t>;  // class index -> samples

struct ShardEntry {
  std::string name;  // file name inside the dataset directory, e.g. "train-000003.tar"
  std::string split;
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;
  std::string sha256;
  ClassCounts fine_counts;
  ClassCounts macro_counts;  // samples without a macro label (-1) are not counted
};

struct SplitSummary {
  std::uint64_t samples = 0;
  std::uint64_t shards = 0;
  ClassCounts fine_counts;
  ClassCounts macro_counts;
};

struct Manifest {
  std::string dtype;                        // empty until the first shard is added
  std::vector<std::uint64_t> sample_shape;  // likewise
  bool has_classes = false;
  ClassLists classes;
  // The classes were grown from label names by writers without a taxonomy
  // (class_names.h); JSON "class_origin": "names". Otherwise they are a taxonomy's.
  bool classes_from_names = false;
  std::vector<nlohmann::json> preprocessing;  // distinct parameter sets, in order first seen
  std::vector<ShardEntry> shards;             // sorted by name

  std::map<std::string, SplitSummary> splits() const;
  const ShardEntry* find_shard(const std::string& name) const;

  nlohmann::json to_json() const;
  // Throws ShardError naming `origin` for a malformed or newer-version manifest.
  static Manifest from_json(const nlohmann::json& j, const std::string& origin);

  // `<dir>/manifest.json`; load() returns an empty manifest when the file is absent.
  static std::string path_in(const std::string& dir);
  static Manifest load(const std::string& dir);
  static Manifest load_required(const std::string& dir);  // absent -> ShardError
  void save(const std::string& dir) const;                 // atomic replace; caller holds DirLock
};

}  // namespace genre::shard
