// A run directory whose run never completed an epoch (it failed on its data, its flags or
// its model before the first checkpoint, or was killed before) holds nothing worth keeping:
// a fresh start may take the directory over. One that failed before training began is
// cleared at once, so --resume says there is nothing to resume instead of repeating the bad
// configuration.
#pragma once

#include <string>

namespace genre::train {

// True when `dir` holds a checkpoint (a stage's last.pt, anywhere below it) or a bundle
// (model.pt): some epoch was completed there.
bool run_completed_an_epoch(const std::string& dir);

// Removes what a run that never completed an epoch left at the top of `dir` (config.json,
// dataset.json, splits.json, metrics.csv/.jsonl); nothing else is touched (a stage
// directory without last.pt starts afresh anyway). Returns how many files were removed. Throws std::runtime_error naming the path when one cannot be removed.
int clear_unstarted_run(const std::string& dir);

// True when a stage started training in `dir` (a `stages` directory anywhere below it).
bool run_started_training(const std::string& dir);

// After a failure before any stage started training (the data, the flags or the model did
// not fit: nothing was trained), clear_unstarted_run(dir), so that --resume finds nothing to
// resume instead of repeating the bad configuration; the corrected command starts afresh
// anyway. A run that failed while training (a full disk, a file size limit) keeps its files
// for --resume. Never throws (the failure being reported matters more).
void forget_failed_run(const std::string& dir) noexcept;

}  // namespace genre::train
