// One training stage: epochs over the training samples with the stage's
// optimiser, scheduler and loss; validation after each epoch; early stopping
// on validation loss; checkpoints after each epoch (resumable); the best
// weights restored at the end. Also the evaluation pass used for reports.
#pragma once

#include <torch/script.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loader/batch_loader.h"
#include "model/model_factory.h"
#include "train/compute_device.h"
#include "train/progress.h"
#include "train/train_config.h"
#include "train/training_data.h"

namespace genre::train {

class ProcessGroup;

// What a stage learns: "macro" or "fine" (one head), or "multitask" (every
// head of a multihead model: macro, then fine).
struct StageTask {
  std::string target;
  StageSetup setup;
  std::string dir;      // last.pt and best.pt live here
  std::string label;    // for progress and metrics, e.g. "fine" or "fold 2 macro"
};

struct Evaluation {
  std::vector<std::vector<float>> probs;  // per head: [N][classes] row-major (softmax, or sigmoid for bce)
  std::vector<int64_t> classes;           // per head
  double loss = 0;                        // mean loss of the stage's target
  int64_t samples = 0;
};

class StageTrainer {
 public:
  // `group`: a data-parallel run (nullptr: this process alone). Then every
  // rank starts from rank 0's weights, trains on its shard of each global
  // batch (config.batch_size / ranks) with gradients averaged across ranks,
  // evaluates its share of the samples and receives everyone's; only rank 0
  // writes checkpoints, which it reads and sends to the others on resume.
  StageTrainer(const TrainConfig& config, const TrainingData& data, const ComputeDevice& device, Progress& progress,
               ProcessGroup* group = nullptr);

  // Trains `model` in place (resuming from task.dir/last.pt when present) and
  // leaves the best weights loaded. Returns the per-epoch history.
  nlohmann::json run(model::BuiltModel& model, const StageTask& task, const SampleList& train, const SampleList& val);

  Evaluation evaluate(torch::jit::Module& module, const std::string& target, const SampleList& samples,
                      double label_smoothing);

 private:
  at::Tensor loss(const std::vector<at::Tensor>& heads, const loader::Batch& batch, const std::string& target,
                  double label_smoothing, bool mix) const;
  void set_pos_weight(const SampleList& train);
  bool writes_files() const;
  void make_tree_targets();
  void load_best(const std::string& path, torch::jit::Module& module);

  const TrainConfig& config_;
  const TrainingData& data_;
  ComputeDevice device_;
  Progress& progress_;
  ProcessGroup* group_;
  at::Tensor pos_weight_;     // bce: per fine class
  at::Tensor tree_targets_;  // --loss tree: [fine, fine] soft targets; undefined: plain CE
};

// The labels of a stage's target for one sample (-1: not usable for it).
int64_t target_label(const loader::SampleInfo& s, const std::string& target);

}  // namespace genre::train
