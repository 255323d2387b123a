// Writes samples into a dataset directory shared with other writers (threads,
// processes, machines on one filesystem):
//  - shard numbers are claimed with O_CREAT|O_EXCL on "<split>-NNNNNN.tar.partial",
//    which the writer keeps flock'ed while it writes;
//  - a full shard (max_samples / max_bytes) is fsync'ed, renamed to ".tar" and
//    added to the manifest under an exclusive lock: one line appended to
//    manifest.journal, manifest.json rewritten (atomic rename) only when the
//    journal has grown past a quarter of the shards, at open and at close()
//    (ManifestCache), so adding a shard costs O(1) amortised;
//  - at open, partial shards whose writer died (no flock held) are deleted,
//    finalized shards missing from the manifest (crash between rename and
//    manifest update) are registered, and the keys of every finalized shard are
//    loaded: a sample whose key is already present is skipped, never written twice.
// Samples are staged per clip and written only on commit(), so a clip that
// fails half-way leaves nothing behind.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "shard/class_names.h"
#include "shard/manifest.h"
#include "shard/npy_format.h"

namespace genre::shard {

struct WriterOptions {
  std::string dir;
  std::string split = "train";
  Dtype dtype = Dtype::kFloat16;
  std::uint64_t max_samples = 1000;  // per shard; 0 = no limit
  std::uint64_t max_bytes = 0;       // per shard (tar bytes); 0 = no limit
  std::optional<ClassLists> classes;
  // Staged data above this is committed early (very long clips lose atomicity).
  std::uint64_t max_staged_bytes = 256ull << 20;
};

struct SampleInput {
  std::string key;                    // dot-free, see sample_key.h
  std::vector<std::uint64_t> shape;   // C order
  const float* data = nullptr;        // product(shape) floats
  int fine = -1;                      // fine class index (>= 0)
  int macro = -1;                     // macro class index, -1 = none
  nlohmann::json meta = nlohmann::json::object();  // extra fields for <key>.json;
                                                   // meta["params"] also goes to the manifest
};

struct WriterStats {
  std::uint64_t samples_committed = 0;  // written into shards by this writer
  std::uint64_t duplicates_skipped = 0;
  std::uint64_t shards_finalized = 0;
  std::uint64_t stale_partials_removed = 0;
  std::uint64_t shards_recovered = 0;  // finalized shards that had lost their manifest entry
};

class DatasetWriter {
 public:
  // Creates the directory if needed and does the recovery described above.
  // Throws ShardError (unwritable directory, damaged finalized shard,
  // manifest incompatible with these options).
  explicit DatasetWriter(WriterOptions options);
  ~DatasetWriter();  // finalizes a non-empty open shard; errors are swallowed (call close())
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  const WriterOptions& options() const { return opts_; }
  // Split, dtype and shard limits may change between clips (nothing staged).
  void set_split(const std::string& split);
  void set_limits(std::uint64_t max_samples, std::uint64_t max_bytes);

  // Empty when a sample of this shape may be written, else why not (dataset or
  // open shard holds another shape).
  std::string shape_problem(const std::vector<std::uint64_t>& shape) const;

  // Without a taxonomy a dataset is labelled either by class index (no class
  // list) or by name (a class list grown in manifest.json, see class_names.h);
  // a dataset, and a writer, uses one kind: mixing is a ShardError here, or at
  // the latest when a shard is finalized after another writer chose the other
  // kind concurrently.
  //
  // The class indices of `names` (normalized; empty ones are an error), new
  // names registered in manifest.json under the directory lock before this
  // returns. One lock per call, none when every name is already known.
  std::vector<int> class_indices_for_names(const std::vector<std::string>& names, ClassLevel level);
  // Declares that this writer labels with class indices (stage() does it
  // implicitly). Throws when it or the dataset labels by name.
  void use_class_indices();
  // The name of a class (taxonomy or grown list), empty when unknown.
  std::string class_name(ClassLevel level, int index) const;

  // Key already finalized, in the open shard, or staged.
  bool has_key(const std::string& key) const;

  enum class StageResult { kStaged, kDuplicate };
  // Encodes the sample into memory. Throws ShardError for a bad key, shape or label.
  StageResult stage(const SampleInput& sample);
  std::size_t staged_count() const;
  // Writes the staged samples into the shard file (not yet durable: fsync and
  // rename come at finalize), rolling over to new shards as they fill. On an
  // I/O error the open shard is deleted (its samples were never durable) and
  // ShardError is thrown; finalized shards are untouched.
  void commit();
  void discard_staged();
  // Finalizes the open shard if it holds samples (else removes it) and writes
  // the journal's shards into manifest.json.
  void close();

  const WriterStats& stats() const { return stats_; }
  const std::vector<std::string>& finalized_shards() const { return finalized_; }
  // Keys in finalized shards (this writer's and those found at open).
  const std::set<std::string>& durable_keys() const { return durable_keys_; }

 private:
  struct Staged;
  struct OpenShard;

  void recover();
  void open_new_shard();
  void append_to_shard(const Staged& s);
  void finalize_shard();
  void close_shard();
  void abandon_shard();
  void flush_buffer();
  void check_manifest_compatible(const Manifest& m) const;
  void note_manifest(const Manifest& m);

  WriterOptions opts_;
  ManifestCache manifest_;  // read and written under the DirLock only
  std::map<std::string, std::uint64_t> next_number_;  // per split: where the next shard number search starts
  std::vector<std::uint64_t> dataset_shape_;  // from the manifest or the first sample
  std::set<std::string> durable_keys_;
  std::set<std::string> staged_keys_;
  std::vector<Staged> staged_;
  std::uint64_t staged_bytes_ = 0;
  std::unique_ptr<OpenShard> shard_;
  std::vector<std::string> finalized_;
  WriterStats stats_;
  enum class LabelKind { kUnknown, kIndices, kNames };
  LabelKind labels_ = LabelKind::kUnknown;  // this writer's, without a taxonomy
  bool dataset_names_ = false;              // the manifest last read labels by name
  ClassLists names_;                        // its grown lists as last read (append-only)
};

// The dataset-relative sample list a resumed conversion needs: every key in
// the finalized shards of `dir` (the manifest is not trusted to be complete).
struct DatasetKey {
  std::string key;
  std::string track_id;  // key without its "_w<n>" suffix
  std::string split;
  std::string shard;
};
std::vector<DatasetKey> list_dataset_keys(const std::string& dir);

}  // namespace genre::shard
