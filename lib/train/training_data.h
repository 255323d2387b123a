// A dataset opened for training: the validated reader, the per-sample table,
// and what a bundle must record about it (classes, input shape, the single
// preprocessing the images were made with, the manifest's digest).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loader/sample_table.h"
#include "shard/dataset_reader.h"
#include "taxonomy/genre_tree.h"

namespace genre::train {

struct TrainingData {
  std::string dir;
  std::unique_ptr<shard::DatasetReader> reader;
  std::unique_ptr<loader::SampleTable> table;
  shard::ClassLists classes;
  // The fine classes' tree: macrogenres, and FMA's parent links between fine classes of one
  // macrogenre (FMA's official genres.csv, built in): the costs of the hierarchy-aware loss,
  // the reports' mistake distance and CRM decoding.
  taxonomy::GenreTree tree;
  std::vector<int64_t> input_shape;  // [C, H, W]
  nlohmann::json preprocessing;      // the one parameter set every sample was made with
  double window_hop_seconds = 0;     // sliding windows: seconds between window starts; 0 = whole clips
  std::string manifest_sha256;
};

// The tree of a dataset's classes: each fine class under its macrogenre, and under its nearest
// FMA ancestor among the classes of that macrogenre (FMA's built-in genres table). The one
// builder for open_training_data and for regrouped macrogenres (train/macro_choice.h). Throws
// std::invalid_argument for class lists the tree refuses.
taxonomy::GenreTree genre_tree_of(const shard::ClassLists& classes);

// Throws std::runtime_error naming the file and what is wrong: no dataset,
// a corrupt or truncated shard, a checksum mismatch, no class lists, mixed
// preprocessing, images that are not [C, H, W], a required split missing.
TrainingData open_training_data(const std::string& dir, const std::vector<std::string>& required_splits,
                                bool verify_checksums = true);

// The splits a run uses: lists of samples (pointers into the table).
using SampleList = std::vector<const loader::SampleInfo*>;
struct SampleSplits {
  SampleList train, val, test;
};
SampleSplits dataset_splits(const TrainingData& data);

}  // namespace genre::train
