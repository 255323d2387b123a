// torchvision 0.14's ResNet (v1.5: the stride is on the 3x3 convolution of a Bottleneck),
// module for module, so state_dict names are torchvision's: conv1, bn1, layer1.0.conv1,
// layer2.0.downsample.0, ..., fc. Initialised as torchvision does: convolutions
// kaiming_normal(fan_out, relu), batch norm weight 1 and bias 0, the linear head nn.Linear's.
#include <ATen/ATen.h>

#include <array>
#include <stdexcept>

#include "model/architectures.h"
#include "model/head_methods.h"
#include "model/layers.h"
#include "model/weight_init.h"

namespace genre::model::detail {

namespace {

struct Depth {
  bool bottleneck;
  std::array<int64_t, 4> blocks;
};

Depth depth_of(const std::string& name) {
  if (name == "resnet18") return {false, {2, 2, 2, 2}};
  if (name == "resnet34") return {false, {3, 4, 6, 3}};
  if (name == "resnet50") return {true, {3, 4, 6, 3}};
  if (name == "resnet101") return {true, {3, 4, 23, 3}};
  throw std::invalid_argument("unknown resnet '" + name + "' (known: resnet18, resnet34, resnet50, resnet101)");
}

torch::jit::Module resnet_conv(ScriptBuilder& b, const ConvShape& shape) {
  torch::jit::Module conv = conv2d(b, shape);
  kaiming_normal_fan_out(tensor_of(conv, "weight"));
  return conv;
}

// BasicBlock (expansion 1) or Bottleneck (expansion 4) with torchvision's names.
torch::jit::Module residual_block(ScriptBuilder& b, bool bottleneck, int64_t in, int64_t planes, int64_t stride) {
  torch::jit::Module block = b.module(bottleneck ? "Bottleneck" : "BasicBlock");
  const int64_t out = bottleneck ? planes * 4 : planes;
  std::string body;
  if (bottleneck) {
    block.register_module("conv1", resnet_conv(b, {in, planes, 1}));
    block.register_module("bn1", batch_norm2d(b, planes));
    block.register_module("conv2", resnet_conv(b, {planes, planes, 3, stride, 1}));
    block.register_module("bn2", batch_norm2d(b, planes));
    block.register_module("conv3", resnet_conv(b, {planes, out, 1}));
    block.register_module("bn3", batch_norm2d(b, out));
    body = R"(
    y = torch.relu(self.bn1.forward(self.conv1.forward(x)))
    y = torch.relu(self.bn2.forward(self.conv2.forward(y)))
    y = self.bn3.forward(self.conv3.forward(y))
)";
  } else {
    block.register_module("conv1", resnet_conv(b, {in, planes, 3, stride, 1}));
    block.register_module("bn1", batch_norm2d(b, planes));
    block.register_module("conv2", resnet_conv(b, {planes, planes, 3, 1, 1}));
    block.register_module("bn2", batch_norm2d(b, planes));
    body = R"(
    y = torch.relu(self.bn1.forward(self.conv1.forward(x)))
    y = self.bn2.forward(self.conv2.forward(y))
)";
  }
  const bool downsample = stride != 1 || in != out;
  if (downsample)
    block.register_module("downsample", sequential(b, {resnet_conv(b, {in, out, 1, stride}), batch_norm2d(b, out)}));
  define(block, R"(
def forward(self, x: Tensor) -> Tensor:{body}    return torch.relu(y + {identity})
)",
         {{"body", body}, {"identity", downsample ? "self.downsample.forward(x)" : "x"}});
  return block;
}

}  // namespace

bool is_resnet(const std::string& name) {
  return name == "resnet18" || name == "resnet34" || name == "resnet50" || name == "resnet101";
}

// conv1 ... layer4; the width is 512 for BasicBlock nets, 2048 for Bottleneck nets.
int64_t add_resnet_trunk(ScriptBuilder& b, torch::jit::Module& net, const ModelSpec& spec,
                         const std::string& depth_name) {
  // Five stride-2 stages: below 32 pixels layer4 would see feature maps that are pure padding.
  if (spec.height < 32 || spec.width < 32)
    throw std::invalid_argument(depth_name + " needs an input of at least 32x32 (it downsamples by 32), got " +
                                std::to_string(spec.height) + "x" + std::to_string(spec.width));
  const Depth depth = depth_of(depth_name);
  const bool repeat = spec.repeat_gray && spec.channels == 1;
  const int64_t stem_in = repeat ? 3 : spec.channels;
  net.register_module("conv1", resnet_conv(b, {stem_in, 64, 7, 2, 3}));
  net.register_module("bn1", batch_norm2d(b, 64));
  int64_t in = 64;
  for (int64_t stage = 0; stage < 4; ++stage) {
    const int64_t planes = int64_t{64} << stage;
    std::vector<torch::jit::Module> blocks;
    for (int64_t i = 0; i < depth.blocks[stage]; ++i) {
      const int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
      blocks.push_back(residual_block(b, depth.bottleneck, in, planes, stride));
      in = depth.bottleneck ? planes * 4 : planes;
    }
    net.register_module("layer" + std::to_string(stage + 1), sequential(b, blocks));
  }
  define(net, prepare_input_method(spec.name, spec.channels, spec.height, spec.width, repeat));
  define(net, R"(
def features(self, x: Tensor) -> Tensor:
    x = self.prepare_input(x)
    x = torch.relu(self.bn1.forward(self.conv1.forward(x)))
    x = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], False)
    x = self.layer1.forward(x)
    x = self.layer2.forward(x)
    x = self.layer3.forward(x)
    x = self.layer4.forward(x)
    x = torch.adaptive_avg_pool2d(x, [1, 1])
    return torch.flatten(x, 1)
)");
  return in;
}

BuiltModel build_resnet(const ModelSpec& spec) {
  ScriptBuilder b;
  torch::jit::Module net = b.module("ResNet");
  const int64_t width = add_resnet_trunk(b, net, spec, spec.name);
  net.register_module("fc", linear(b, width, spec.heads.at(0)));
  define_head_methods(net, {"fc"}, spec.head_dropout);
  return {net, head_prefixes_of(spec)};
}

}  // namespace genre::model::detail
