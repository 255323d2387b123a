// The train/val/test samples a run uses. A dataset without a val split (a small
// fma-convert run can leave it empty) gets validation carved from its training
// tracks (loader/val_carve.h), and the run says so in one line.
#pragma once

#include <cstdint>

#include "train/progress.h"
#include "train/training_data.h"

namespace genre::train {

// dataset_splits(data), except that an empty val split with val_fraction > 0 becomes
// val_fraction of the training tracks (stratified, seeded), announced on `progress`.
SampleSplits splits_for_run(const TrainingData& data, double val_fraction, std::uint64_t seed, Progress& progress);

}  // namespace genre::train
