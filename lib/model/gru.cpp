// The second study's recurrent baseline: the image's time axis (W) is the sequence, each
// step's features the C*H column (channel-major); a one-layer GRU (torch.nn.GRU's parameter
// names and init) and its final hidden state -> dropout -> linear classifier.
#include <ATen/ATen.h>

#include <cmath>

#include "model/architectures.h"
#include "model/head_methods.h"
#include "model/layers.h"

namespace genre::model::detail {

namespace {

// nn.GRU(input_size, hidden, batch_first=True): weight_ih_l0 [3H, in], weight_hh_l0 [3H, H],
// bias_ih_l0 and bias_hh_l0 [3H], all uniform in +-1/sqrt(H). forward: [N, T, in] -> [N, H].
torch::jit::Module gru_layer(ScriptBuilder& b, int64_t input_size, int64_t hidden) {
  torch::jit::Module m = b.module("GRU");
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  const auto uniform = [&](std::vector<int64_t> shape) { return at::empty(shape).uniform_(-bound, bound); };
  add_parameter(m, "weight_ih_l0", uniform({3 * hidden, input_size}));
  add_parameter(m, "weight_hh_l0", uniform({3 * hidden, hidden}));
  add_parameter(m, "bias_ih_l0", uniform({3 * hidden}));
  add_parameter(m, "bias_hh_l0", uniform({3 * hidden}));
  define(m, R"(
def forward(self, x: Tensor) -> Tensor:
    h0 = torch.zeros([1, x.size(0), {hidden}], dtype=x.dtype, device=x.device)
    params = [self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0]
    output, h = torch.gru(x, h0, params, True, 1, 0.0, self.training, False, True)
    return h[0]
)",
         {{"hidden", std::to_string(hidden)}});
  return m;
}

}  // namespace

BuiltModel build_gru(const ModelSpec& spec) {
  ScriptBuilder b;
  torch::jit::Module net = b.module("GRUClassifier");
  net.register_module("gru", gru_layer(b, spec.channels * spec.height, spec.gru_hidden));
  net.register_module("fc", linear(b, spec.gru_hidden, spec.heads.at(0)));
  define(net, prepare_input_method(spec.name, spec.channels, spec.height, spec.width, false));
  define(net, R"(
def features(self, x: Tensor) -> Tensor:
    x = self.prepare_input(x)
    steps = x.permute([0, 3, 1, 2]).reshape([x.size(0), x.size(3), {features}])
    return self.gru.forward(steps)
)",
         {{"features", std::to_string(spec.channels * spec.height)}});
  define_head_methods(net, {"fc"}, spec.head_dropout);
  return {net, head_prefixes_of(spec)};
}

}  // namespace genre::model::detail
