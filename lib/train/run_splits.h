// The train/val/test samples a run uses. A dataset without a val split (a small
// fma-convert run can leave it empty) gets validation carved from its training
// tracks (loader/val_carve.h) when the run needs validation, and the run says so in one line.
#pragma once

#include "train/progress.h"
#include "train/train_config.h"
#include "train/training_data.h"

namespace genre::train {

// Whether some stage of the run chooses or stops by validation loss: keeps its best epoch,
// stops early, or lowers the rate on a plateau (the recipe's settings after the flags), or
// --macro auto measures its grouping there.
bool run_uses_validation(const TrainConfig& config);

// dataset_splits(data), except for an empty val split: a run that uses validation gets
// config.cv_val_fraction of the training tracks (stratified, seeded by config.seed) as
// val; one that does not (shortchunk's recipe: the last weights, no early stop) trains on
// every training track. Either way `progress` says so in one line.
SampleSplits splits_for_run(const TrainingData& data, const TrainConfig& config, Progress& progress);

}  // namespace genre::train
