// One training regime on one set of splits, into one directory:
//   standard   fine genres from scratch (or from --init);
//   two-stage  macrogenres first, then every backbone tensor whose shape
//              matches carried over, the head re-initialised, fine genres;
//   multitask  every head of a multihead model at once, weighted losses.
// Writes DIR/stages/<stage>/{last,best}.pt, DIR/model.pt (the bundle),
// DIR/report.json, DIR/report.md, confusion matrices, learning curves and
// metrics; resumes from the stage checkpoints already in DIR.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "loader/band_stats.h"
#include "train/stage_trainer.h"

namespace genre::train {

struct RegimeOutcome {
  nlohmann::json report;   // {"test": {"fine": {...}, "macro": {...}}, ...}: see README "report.json"
  nlohmann::json history;  // every stage's epochs
};

class RegimeRunner {
 public:
  // `group`: a data-parallel run (see StageTrainer); every rank computes, rank 0 alone writes files.
  RegimeRunner(const TrainConfig& config, const TrainingData& data, const ComputeDevice& device, Progress& progress,
               ProcessGroup* group = nullptr);

  // `label` prefixes the stage names in progress and metrics ("" for a plain run, "fold 2", "standard").
  // `test_split` names what the test samples are in the report ("test", or "held_out" in cross-validation).
  RegimeOutcome run(const std::string& regime, const SampleSplits& splits, const std::string& dir,
                    const std::string& label, const std::string& test_split = "test");

  // --macro auto's evidence: a fine model trained as the standard regime trains it, on
  // splits.train (validated on splits.val), resumable in dir/stages/grouping; returns its
  // evaluation on splits.val and appends the stage's epochs to `history`.
  Evaluation grouping_evaluation(const SampleSplits& splits, const std::string& dir, const std::string& label,
                                 nlohmann::json& history);

 private:
  model::BuiltModel build(int64_t classes_or_zero, uint64_t seed_offset);
  void set_band_standardization(torch::jit::Module& module);
  nlohmann::json test_report(torch::jit::Module& module, const std::string& target, const SampleList& test,
                             const std::string& dir, const std::string& title, const std::string& macro_stem);
  void save_model_bundle(model::BuiltModel& built, const std::string& regime, const nlohmann::json& history,
                         const std::string& path) const;

  bool writes_files_;
  const TrainConfig& config_;
  const TrainingData& data_;
  ComputeDevice device_;
  Progress& progress_;
  StageTrainer trainer_;
  int64_t majority_fine_ = -1, majority_macro_ = -1;  // most frequent training class of the run
  // Models that standardise their input per band get these, from the run's training samples
  // (computed when the first such model is built).
  const SampleList* train_samples_ = nullptr;
  std::optional<loader::BandStats> band_stats_;
};

// The samples usable for a stage's target (macro: those with a macrogenre).
SampleList usable_for(const SampleList& samples, const std::string& target);

}  // namespace genre::train
