// A whole genre-train run: the regime (or `compare`: standard and two-stage
// with the same seed and data), optionally inside K-fold cross-validation,
// into a run directory with the resolved configuration, metrics, bundles and
// the top-level report.json / report.md.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "train/dist_env.h"
#include "train/train_config.h"

namespace genre::train {

// A data-parallel run: this process's place (world size 1: alone) and how long
// a collective may wait for the other ranks before the run stops with an error.
struct DistSetup {
  DistEnv env;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

// Starts a run in config.out (which must not hold one already). Returns the
// top-level report. Throws std::runtime_error with a one-line message
// (std::invalid_argument for a global batch the ranks cannot share equally).
// Distributed: every rank calls it with the same config; rank 0 alone writes.
nlohmann::json start_training(TrainConfig config, const DistSetup& dist = {});

// Continues the run in `dir` from its last checkpoints; `threads` > 0
// overrides the saved thread count (the same count gives the same weights).
nlohmann::json resume_training(const std::string& dir, int threads, const DistSetup& dist = {});

// The reference study's fma_small figures for a model (empty when it has none).
nlohmann::json reference_results(const std::string& model);

}  // namespace genre::train
