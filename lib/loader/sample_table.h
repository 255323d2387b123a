// The trainer's view of a dataset's samples: per split, each sample's track,
// window and labels, parsed from its .json once so that folds, shuffling and
// evaluation never touch the shards' JSON again.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "shard/dataset_reader.h"

namespace genre::loader {

struct SampleInfo {
  std::string split;
  std::size_t index = 0;  // within the split in shard::DatasetReader
  std::string track_id;
  int window = -1;        // -1: whole-clip sample
  int fine = -1, macro = -1;
  std::vector<int> fine_labels;  // all fine labels of the track; {fine} when the JSON has none
  std::string artist, album;     // the JSON's "artist"/"album" (group-disjoint folds), "" when absent
};

class SampleTable {
 public:
  // Throws shard::ShardError naming the split and key for a .json that is not
  // valid JSON or holds a field of the wrong type.
  explicit SampleTable(const shard::DatasetReader& reader);

  const std::vector<SampleInfo>& split(const std::string& name) const;  // empty for an absent split
  std::vector<std::string> split_names() const;
  // Pointers to every sample of the named splits, in the order given (absent
  // splits add nothing). Valid while this table lives.
  std::vector<const SampleInfo*> select(const std::vector<std::string>& names) const;
  bool windowed() const { return windowed_; }  // any sample with window >= 0
  // Regrouped macrogenres (genre-train --macro): each sample's macro label becomes
  // fine_to_macro[its fine label] (-1: none). Pointers into the table stay valid.
  // Throws std::invalid_argument for a fine label outside fine_to_macro.
  void set_macro_labels(const std::vector<int>& fine_to_macro);

 private:
  std::map<std::string, std::vector<SampleInfo>> splits_;
  bool windowed_ = false;
};

}  // namespace genre::loader
