// Validation carved from the training split, for datasets that have no val split
// (a small fma-convert run can leave it empty): whole tracks, stratified by fine class.
#pragma once

#include <cstdint>
#include <vector>

#include "loader/sample_table.h"

namespace genre::loader {

struct ValCarve {
  std::vector<const SampleInfo*> train, val;  // each in the order of the input samples
  std::size_t train_tracks = 0, val_tracks = 0;
};

// A track's samples (its windows) all go to one side. Each class's tracks, sorted by id
// then shuffled from `seed`, give val their first tracks up to the class's
// largest-remainder quota of round(val_fraction x tracks), at least one track and always
// leaving one to train on. Throws std::invalid_argument when val_fraction is outside
// (0, 1), there are fewer than 2 tracks, or a sample pointer is null.
ValCarve carve_validation(const std::vector<const SampleInfo*>& samples, double val_fraction, std::uint64_t seed);

}  // namespace genre::loader
