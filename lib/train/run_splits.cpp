#include "train/run_splits.h"

#include <cmath>
#include <string>

#include "loader/val_carve.h"
#include "train/macro_choice.h"

namespace genre::train {

bool run_uses_validation(const TrainConfig& config) {
  if (parse_macro_choice(config.macro).kind == MacroChoice::Kind::Auto) return true;  // the grouping is measured on validation tracks
  for (const char* stage : {"macro", "fine", "multitask"}) {
    const StageSetup s = reference_stage(config, stage);
    if (s.keep == "best" || s.patience > 0 || s.schedule.kind == "plateau") return true;
  }
  return false;
}

SampleSplits splits_for_run(const TrainingData& data, const TrainConfig& config, Progress& progress) {
  SampleSplits s = dataset_splits(data);
  if (!s.val.empty() || s.train.empty()) return s;
  if (!run_uses_validation(config) || config.cv_val_fraction <= 0) {
    progress.line("the dataset has no 'val' split: training on every training track without validation figures "
                  "(this recipe keeps the last weights and does not stop early)");
    return s;
  }
  const loader::ValCarve carve = loader::carve_validation(s.train, config.cv_val_fraction, config.seed);
  s.train = carve.train;
  s.val = carve.val;
  progress.line("the dataset has no 'val' split: validating on " + std::to_string(carve.val_tracks) + " of the " +
                std::to_string(carve.val_tracks + carve.train_tracks) + " training tracks (" +
                std::to_string(int(std::lround(config.cv_val_fraction * 100))) +
                "%, whole tracks, stratified by genre, seed " + std::to_string(config.seed) +
                "; --cv-val-fraction sets the share)");
  return s;
}

}  // namespace genre::train
