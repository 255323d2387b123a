#include "train/run_splits.h"

#include <cmath>
#include <string>

#include "loader/val_carve.h"

namespace genre::train {

SampleSplits splits_for_run(const TrainingData& data, double val_fraction, std::uint64_t seed, Progress& progress) {
  SampleSplits s = dataset_splits(data);
  if (!s.val.empty() || val_fraction <= 0 || s.train.empty()) return s;
  const loader::ValCarve carve = loader::carve_validation(s.train, val_fraction, seed);
  s.train = carve.train;
  s.val = carve.val;
  progress.line("the dataset has no 'val' split: validating on " + std::to_string(carve.val_tracks) + " of the " +
                std::to_string(carve.val_tracks + carve.train_tracks) + " training tracks (" +
                std::to_string(int(std::lround(val_fraction * 100))) +
                "%, whole tracks, stratified by genre, seed " + std::to_string(seed) + "; --cv-val-fraction sets the share)");
  return s;
}

}  // namespace genre::train
