// Per-band input standardisation statistics: the mean and standard deviation of every row
// (mel band) of every channel over a set of [C][H][W] samples (all their columns). genre-train
// computes them on the training split and stores them in models that standardise their input
// (shortchunk's band_mean/band_std), so inference applies exactly what training did.
#pragma once

#include <cstddef>
#include <vector>

#include "loader/sample_table.h"
#include "shard/dataset_reader.h"

namespace genre::loader {

struct BandStats {
  std::size_t channels = 0, rows = 0;
  std::vector<double> mean, std;  // [channels * rows], channel-major
};

// Population statistics in double precision, in sample order (deterministic). A band whose
// deviation is below 1e-3 of the mean deviation of all bands (a band that never varies, e.g. above
// the signal's bandwidth) gets that floor instead, so standardising it cannot blow up noise.
// Throws std::invalid_argument for no samples or samples that are not at least 2-D.
BandStats band_statistics(const shard::DatasetReader& reader, const std::vector<const SampleInfo*>& samples);

}  // namespace genre::loader
