#include "train/optimizer.h"

#include <torch/optim.h>
#include <torch/serialize.h>

#include <stdexcept>

namespace genre::train {

struct Optimizer::Impl {
  std::unique_ptr<torch::optim::Optimizer> optimizer;
};

Optimizer::Optimizer(const StageSetup& s, std::vector<at::Tensor> parameters)
    : impl_(std::make_unique<Impl>()), parameters_(std::move(parameters)) {
  if (s.optimizer == "adam")
    impl_->optimizer = std::make_unique<torch::optim::Adam>(
        parameters_, torch::optim::AdamOptions(s.lr).weight_decay(s.weight_decay));
  else if (s.optimizer == "adamw")
    impl_->optimizer = std::make_unique<torch::optim::AdamW>(
        parameters_, torch::optim::AdamWOptions(s.lr).weight_decay(s.weight_decay));
  else if (s.optimizer == "sgd")
    impl_->optimizer = std::make_unique<torch::optim::SGD>(
        parameters_, torch::optim::SGDOptions(s.lr).momentum(s.momentum).weight_decay(s.weight_decay));
  else
    throw std::invalid_argument("unknown optimizer '" + s.optimizer + "' (adam, adamw, sgd)");
}

Optimizer::~Optimizer() = default;

void Optimizer::zero_grad() { impl_->optimizer->zero_grad(); }
void Optimizer::step() { impl_->optimizer->step(); }

void Optimizer::set_lr(double lr) {
  for (auto& group : impl_->optimizer->param_groups()) group.options().set_lr(lr);
}

void Optimizer::save(torch::serialize::OutputArchive& archive) const { impl_->optimizer->save(archive); }
void Optimizer::load(torch::serialize::InputArchive& archive) { impl_->optimizer->load(archive); }

}  // namespace genre::train
