// Random access to a dataset directory for the training tool: opens
// manifest.json, memory-maps every listed shard, indexes and validates every
// sample (tar structure, npy header, labels, dtype/shape against the manifest,
// per-shard counts and size; optionally the sha256), then serves samples per
// split by index without copying the dataset into RAM.
// Shards are immutable once finalized; do not truncate a shard while a reader
// has it mapped (the kernel would deliver SIGBUS on access).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shard/manifest.h"
#include "shard/npy_format.h"

namespace genre::shard {

struct ReaderOptions {
  bool verify_checksums = false;  // sha256 of every shard at open (reads all data once)
};

struct SampleView {
  std::string_view key;
  int fine = -1;
  int macro = -1;                 // -1 = no macro label
  Dtype dtype = Dtype::kFloat32;
  const std::uint8_t* data = nullptr;  // little-endian elements, C order, inside the mapping
  std::uint64_t data_size = 0;
  std::string_view json;          // the sample's .json member
  std::string_view shard;         // shard file name
};

class DatasetReader {
 public:
  // Throws ShardError naming the shard and sample for any inconsistency.
  explicit DatasetReader(const std::string& dir, ReaderOptions options = {});
  ~DatasetReader();
  DatasetReader(const DatasetReader&) = delete;
  DatasetReader& operator=(const DatasetReader&) = delete;

  const Manifest& manifest() const { return manifest_; }
  Dtype dtype() const { return dtype_; }
  const std::vector<std::uint64_t>& shape() const { return manifest_.sample_shape; }
  std::uint64_t element_count() const { return element_count_; }

  std::vector<std::string> splits() const;  // splits that have samples
  std::size_t size(const std::string& split) const;  // 0 for an unknown split
  // Throws ShardError for an unknown split or an index out of range.
  SampleView sample(const std::string& split, std::size_t index) const;
  // The sample's tensor converted to float32 into out[element_count()].
  void read_float32(const std::string& split, std::size_t index, float* out) const;

 private:
  struct Shard;
  struct Entry {
    std::uint32_t shard;
    std::uint32_t key_offset;  // into keys_
    std::uint16_t key_size;
    std::int32_t fine;
    std::int32_t macro;
    std::uint64_t data_offset;
    std::uint64_t json_offset;
    std::uint64_t json_size;
  };
  const Entry& entry(const std::string& split, std::size_t index) const;

  std::string dir_;
  Manifest manifest_;
  Dtype dtype_ = Dtype::kFloat32;
  std::uint64_t element_count_ = 0;
  std::uint64_t data_size_ = 0;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::string keys_;
  std::map<std::string, std::vector<Entry>> splits_;
};

}  // namespace genre::shard
