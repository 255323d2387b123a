// The layers with parameters, as TorchScript modules whose parameter and buffer names are
// torch.nn's (weight, bias, running_mean, running_var, num_batches_tracked), initialised as
// torch.nn's constructors do. Shapes and hyper-parameters are constants in each module's code.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/script_builder.h"

namespace genre::model::detail {

struct ConvShape {
  int64_t in = 0, out = 0, kernel = 1, stride = 1, padding = 0;
  bool bias = false;
  int64_t groups = 1;  // in == out == groups: a depthwise convolution
};

// nn.Conv2d (square kernel, stride and padding; groups).
torch::jit::Module conv2d(ScriptBuilder& b, const ConvShape& shape);
// nn.BatchNorm2d(channels): eps 1e-5, momentum 0.1; in training the running stats are updated
// and num_batches_tracked incremented.
torch::jit::Module batch_norm2d(ScriptBuilder& b, int64_t channels);
// nn.Linear(in, out).
torch::jit::Module linear(ScriptBuilder& b, int64_t in, int64_t out);
// nn.LayerNorm(dim, eps).
torch::jit::Module layer_norm(ScriptBuilder& b, int64_t dim, double eps);
// nn.Sequential of modules that each have forward(Tensor) -> Tensor; children named 0, 1, ...
torch::jit::Module sequential(ScriptBuilder& b, const std::vector<torch::jit::Module>& children);
// The same with named children (an nn.Sequential built from an OrderedDict).
torch::jit::Module sequential(ScriptBuilder& b,
                              const std::vector<std::pair<std::string, torch::jit::Module>>& children);

}  // namespace genre::model::detail
