// The reference study's small CNN: conv 5x5/2 (16) -> ReLU -> maxpool 2 -> conv 3x3/2 (32) ->
// ReLU -> maxpool 4 -> batchnorm -> dropout 0.6 -> flatten -> FC 1000 -> ReLU -> dropout 0.2 ->
// FC 500 -> ReLU -> dropout 0.2 -> FC classes. Convolutions unpadded, PyTorch's default init.
// The study lists no activation between the fully connected layers; without one, FC 1000 ->
// FC 500 -> FC classes collapses to a single linear map, so a ReLU follows FC 1000 and FC 500.
// ReLU and max pooling commute (max of ReLUs = ReLU of the max, with the same gradient), so the
// ReLU runs after the pool, on a 4x (16x) smaller tensor: the same function, less work.
#include <stdexcept>

#include "model/architectures.h"
#include "model/head_methods.h"
#include "model/layers.h"

namespace genre::model::detail {

namespace {

int64_t conv_out(int64_t in, int64_t kernel, int64_t stride) { return in < kernel ? 0 : (in - kernel) / stride + 1; }

// What the two conv/pool blocks leave of one spatial axis.
int64_t cnn_extent(int64_t in) { return conv_out(conv_out(in, 5, 2) / 2, 3, 2) / 4; }

int64_t smallest_cnn_input() {
  int64_t n = 1;
  while (cnn_extent(n) < 1) ++n;
  return n;
}

}  // namespace

BuiltModel build_cnn(const ModelSpec& spec) {
  const int64_t out_h = cnn_extent(spec.height), out_w = cnn_extent(spec.width);
  if (out_h < 1 || out_w < 1)
    throw std::invalid_argument("cnn needs an input of at least " + std::to_string(smallest_cnn_input()) + "x" +
                                std::to_string(smallest_cnn_input()) + ", got " + std::to_string(spec.height) + "x" +
                                std::to_string(spec.width));
  ScriptBuilder b;
  torch::jit::Module net = b.module("SmallCNN");
  net.register_module("conv1", conv2d(b, {spec.channels, 16, 5, 2, 0, true}));
  net.register_module("conv2", conv2d(b, {16, 32, 3, 2, 0, true}));
  net.register_module("bn", batch_norm2d(b, 32));
  net.register_module("fc1", linear(b, 32 * out_h * out_w, 1000));
  net.register_module("fc2", linear(b, 1000, 500));
  net.register_module("fc3", linear(b, 500, spec.heads.at(0)));
  define(net, prepare_input_method(spec.name, spec.channels, spec.height, spec.width, false));
  define(net, R"(
def features(self, x: Tensor) -> Tensor:
    x = self.prepare_input(x)
    x = torch.relu(torch.max_pool2d(self.conv1.forward(x), [2, 2], [2, 2], [0, 0], [1, 1], False))
    x = torch.relu(torch.max_pool2d(self.conv2.forward(x), [4, 4], [4, 4], [0, 0], [1, 1], False))
    x = torch.dropout(self.bn.forward(x), 0.6, self.training)
    x = torch.relu(self.fc1.forward(torch.flatten(x, 1)))
    return torch.relu(self.fc2.forward(torch.dropout(x, 0.2, self.training)))
)");
  define_head_methods(net, {"fc3"}, 0.2);
  return {net, head_prefixes_of(spec)};
}

}  // namespace genre::model::detail
