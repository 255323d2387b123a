#include "model/layers.h"

#include <ATen/ATen.h>

#include "model/weight_init.h"

namespace genre::model::detail {

torch::jit::Module conv2d(ScriptBuilder& b, const ConvShape& shape) {
  torch::jit::Module m = b.module("Conv2d");
  const at::Tensor weight = at::empty({shape.out, shape.in / shape.groups, shape.kernel, shape.kernel});
  const at::Tensor bias = shape.bias ? at::empty({shape.out}) : at::Tensor();
  torch_default_init(weight, bias);
  add_parameter(m, "weight", weight);
  if (shape.bias) add_parameter(m, "bias", bias);
  define(m, R"(
def forward(self, x: Tensor) -> Tensor:
    return torch.conv2d(x, self.weight, {bias}, {stride}, {padding}, [1, 1], {groups})
)",
         {{"bias", shape.bias ? "self.bias" : "None"},
          {"groups", std::to_string(shape.groups)},
          {"stride", int_list({shape.stride, shape.stride})},
          {"padding", int_list({shape.padding, shape.padding})}});
  return m;
}

torch::jit::Module batch_norm2d(ScriptBuilder& b, int64_t channels) {
  torch::jit::Module m = b.module("BatchNorm2d");
  add_parameter(m, "weight", at::ones({channels}));
  add_parameter(m, "bias", at::zeros({channels}));
  m.register_buffer("running_mean", at::zeros({channels}));
  m.register_buffer("running_var", at::ones({channels}));
  m.register_buffer("num_batches_tracked", at::zeros({}, at::kLong));
  define(m, R"(
def forward(self, x: Tensor) -> Tensor:
    if self.training:
        self.num_batches_tracked.add_(1)
    return torch.batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var, self.training, 0.1, 1e-05, True)
)");
  return m;
}

torch::jit::Module linear(ScriptBuilder& b, int64_t in, int64_t out) {
  torch::jit::Module m = b.module("Linear");
  const at::Tensor weight = at::empty({out, in}), bias = at::empty({out});
  torch_default_init(weight, bias);
  add_parameter(m, "weight", weight);
  add_parameter(m, "bias", bias);
  define(m, R"(
def forward(self, x: Tensor) -> Tensor:
    return torch.linear(x, self.weight, self.bias)
)");
  return m;
}

torch::jit::Module layer_norm(ScriptBuilder& b, int64_t dim, double eps) {
  torch::jit::Module m = b.module("LayerNorm");
  add_parameter(m, "weight", at::ones({dim}));
  add_parameter(m, "bias", at::zeros({dim}));
  define(m, R"(
def forward(self, x: Tensor) -> Tensor:
    return torch.layer_norm(x, {shape}, self.weight, self.bias, {eps})
)",
         {{"shape", int_list({dim})}, {"eps", float_literal(eps)}});
  return m;
}

torch::jit::Module sequential(ScriptBuilder& b, const std::vector<torch::jit::Module>& children) {
  std::vector<std::pair<std::string, torch::jit::Module>> named;
  for (size_t i = 0; i < children.size(); ++i) named.emplace_back(std::to_string(i), children[i]);
  return sequential(b, named);
}

torch::jit::Module sequential(ScriptBuilder& b,
                              const std::vector<std::pair<std::string, torch::jit::Module>>& children) {
  torch::jit::Module m = b.module("Sequential");
  std::string body;
  for (const auto& [name, module] : children) {
    m.register_module(name, module);
    body += "    x = " + child(name) + ".forward(x)\n";
  }
  define(m, "\ndef forward(self, x: Tensor) -> Tensor:\n{body}    return x\n", {{"body", body}});
  return m;
}

}  // namespace genre::model::detail
