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
// Limits checked when a manifest is read: anything beyond them is damage or an
// attack, not a dataset (FMA's full taxonomy has 163 fine classes; a 224x224
// RGB image is 150528 elements).
constexpr std::uint64_t kMaxManifestBytes = 1ull << 30;
constexpr std::size_t kMaxClasses = 1 << 16;
constexpr std::uint64_t kMaxSampleElements = 1ull << 28;
constexpr std::size_t kMaxSampleRank = 8;

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
// Throws ShardError naming `origin` for a malformed list, indices out of order,
// more than kMaxClasses classes or a fine class mapped to a macro class that
// does not exist.
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

// Identity of a file version: a replaced manifest.json (atomic rename) differs.
struct FileVersion {
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
  bool exists = false;
  bool operator==(const FileVersion& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns &&
           exists == o.exists;
  }
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
  const ShardEntry* find_shard(const std::string& name) const;  // O(log shards)
  // Inserts in name order; false (nothing changed) when the name is listed.
  bool add_shard(ShardEntry e);

  nlohmann::json to_json() const;
  // Throws ShardError naming `origin` for a malformed or newer-version manifest,
  // or one whose indices and sizes are out of range (see the limits above).
  static Manifest from_json(const nlohmann::json& j, const std::string& origin);

  // `<dir>/manifest.json`. Shards finalized since it was last written in full
  // are listed in `<dir>/manifest.journal`, one JSON object per line: load()
  // reads both, save() writes everything to manifest.json and removes the
  // journal. load() returns an empty manifest when neither file is there.
  static std::string path_in(const std::string& dir);
  static std::string journal_path_in(const std::string& dir);
  static Manifest load(const std::string& dir);
  static Manifest load_required(const std::string& dir);  // no manifest.json -> ShardError
  void save(const std::string& dir) const;                 // atomic replace; caller holds DirLock
};

// A writer's copy of a dataset's manifest kept current under the DirLock at a
// cost proportional to what changed: refresh() reads manifest.json again only
// when another writer replaced it, else just the journal lines added since;
// append_shard() adds one journal line, and rewrites manifest.json (compacts)
// only when the journal holds more than a quarter of the shards, so adding a
// shard costs O(1) amortised whatever the dataset's size.
class ManifestCache {
 public:
  // Caller holds the DirLock for every call.
  Manifest& refresh(const std::string& dir);
  void append_shard(const std::string& dir, ShardEntry e);
  // Writes the whole manifest (after changes other than new shards) and drops the journal.
  void save(const std::string& dir);
  // save() when the journal holds anything.
  void compact(const std::string& dir);

 private:
  Manifest m_;
  bool valid_ = false;
  FileVersion manifest_version_;
  std::uint64_t journal_read_ = 0;     // bytes of complete lines applied
  std::uint64_t journal_entries_ = 0;  // lines in the journal
  bool journal_torn_ = false;          // it ends in a partial line (a writer died mid-append)
  std::uint64_t journal_size_ = 0;
};

}  // namespace genre::shard
