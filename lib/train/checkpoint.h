// Stage checkpoints: `last.pt` after every epoch (weights, optimiser, RNG and
// the trainer's state as JSON) so --resume continues a killed run exactly,
// and `best.pt` (weights) at the best validation loss. Written beside and
// renamed, so a kill -9 leaves the previous checkpoint intact.
#pragma once

#include <torch/script.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "train/optimizer.h"

namespace genre::train {

struct TrainerState {
  int next_epoch = 0;
  bool finished = false;
  double best_val_loss = INFINITY;
  int best_epoch = -1;
  int bad_epochs = 0;
  nlohmann::json schedule = nlohmann::json::object();
  double grad_scale = 65536.0;  // fp16 mixed precision
  nlohmann::json history = nlohmann::json::array();  // one object per finished epoch
};

// Throws std::runtime_error naming the path when it cannot be written.
void save_checkpoint(const std::string& path, const torch::jit::Module& model, const Optimizer& optimizer,
                     const TrainerState& state);
// nullopt when there is no checkpoint; throws std::runtime_error naming the
// path for a checkpoint that does not fit the model.
std::optional<TrainerState> load_checkpoint(const std::string& path, torch::jit::Module& model, Optimizer& optimizer);

// The same from a checkpoint's bytes (read by a distributed run's rank 0 and
// broadcast), its tensors mapped onto the model's device; `path` names it in errors.
TrainerState load_checkpoint_bytes(const std::string& bytes, const std::string& path, torch::jit::Module& model,
                                   Optimizer& optimizer);

void save_weights(const std::string& path, const torch::jit::Module& model);
void load_weights(const std::string& path, torch::jit::Module& model);
void load_weights_bytes(const std::string& bytes, const std::string& path, torch::jit::Module& model);

}  // namespace genre::train
