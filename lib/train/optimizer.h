// The stage's optimiser (Adam, AdamW or SGD from LibTorch) behind a small
// interface, so the heavy torch/optim headers stay in one translation unit.
#pragma once

#include <torch/script.h>

#include <memory>
#include <vector>

#include "train/train_config.h"

namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace genre::train {

class Optimizer {
 public:
  // Throws std::invalid_argument for an unknown optimiser name.
  Optimizer(const StageSetup& setup, std::vector<at::Tensor> parameters);
  ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  void zero_grad();
  void step();
  void set_lr(double lr);
  const std::vector<at::Tensor>& parameters() const { return parameters_; }
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<at::Tensor> parameters_;
};

}  // namespace genre::train
