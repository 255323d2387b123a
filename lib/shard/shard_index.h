// Indexes one shard held in memory: groups tar members into samples and
// validates every one (npy header, labels, member set). Used by the reader,
// by key listing for resume, and to re-register a shard whose manifest entry
// was lost in a crash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shard/npy_format.h"

namespace genre::shard {

struct IndexedSample {
  std::string key;
  std::uint64_t data_offset = 0;  // tensor data (after the npy header), in the shard
  std::uint64_t data_size = 0;
  std::uint64_t json_offset = 0;
  std::uint64_t json_size = 0;
  int fine = -1;
  int macro = -1;
};

struct ShardIndex {
  Dtype dtype = Dtype::kFloat32;
  std::vector<std::uint64_t> shape;  // shared by every sample of the shard
  std::vector<IndexedSample> samples;
};

// Throws ShardError naming `origin` and the sample for: tar damage, a sample
// missing one of .npy/.cls/.macro.cls/.json, a member given twice, a key split
// over non-adjacent members, a bad npy, a label that is not an integer, or
// samples whose dtype/shape differ from the first sample's.
ShardIndex index_shard(const std::uint8_t* data, std::size_t size, const std::string& origin);

// Parses a .cls member: optional '-', decimal digits, optional trailing
// whitespace; false for anything else or out of int range.
bool parse_class_text(const std::uint8_t* data, std::size_t size, int* out);

}  // namespace genre::shard
