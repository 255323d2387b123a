// PANNs (Kong et al. 2020, "PANNs: Large-Scale Pretrained Audio Neural Networks for Audio
// Pattern Recognition", github.com/qiuqiangkong/audioset_tagging_cnn, pytorch/models.py): CNN14
// and MobileNetV2, module for module, so the state_dict names are PANNs' own (bn0,
// conv_block1.conv1, ..., fc1) and an AudioSet checkpoint converted by
// tools/export_panns_weights.py loads one to one. One exception: PANNs' MobileNetV2 keeps its
// layers in `features`, and a TorchScript module cannot have a submodule and a method of one
// name (every model here has the method features()): ours are `blocks.N...`, and the converter
// renames `features.` to `blocks.`. PANNs' spectrogram and log-mel layers are not
// here (melspec makes the log-mel windows), nor is fc_audioset (AudioSet's 527 classes): `fc` is
// the head for our classes. Initialised as PANNs does: convolutions and linears xavier_uniform
// with zero biases, batch norm weight 1 and bias 0.
//
// Our input is [N, 1, mel bands, frames]; PANNs' is [N, 1, frames, mel bands]. bn0 normalises
// each mel band (PANNs moves the bands to the channel axis for it), then the window is
// transposed to PANNs' layout so that its 3x3 kernels, which are not symmetric, see time and
// frequency as they were trained to.
#include <ATen/ATen.h>

#include <stdexcept>

#include "model/architectures.h"
#include "model/head_methods.h"
#include "model/layers.h"
#include "model/weight_init.h"

namespace genre::model::detail {

namespace {

constexpr int64_t kPannsSmallestSide = 32;  // five 2x downsamplings on both axes

torch::jit::Module panns_conv(ScriptBuilder& b, const ConvShape& shape) {
  torch::jit::Module conv = conv2d(b, shape);
  xavier_uniform(tensor_of(conv, "weight"));
  return conv;
}

torch::jit::Module panns_linear(ScriptBuilder& b, int64_t in, int64_t out) {
  torch::jit::Module fc = linear(b, in, out);
  xavier_uniform(tensor_of(fc, "weight"));
  fill_constant(tensor_of(fc, "bias"), 0.0);
  return fc;
}

// The parameter-free members of PANNs' nn.Sequential lists, so the children keep their indices.
torch::jit::Module avg_pool(ScriptBuilder& b, int64_t size) {
  torch::jit::Module m = b.module("AvgPool2d");
  define(m, size == 1 ? "\ndef forward(self, x: Tensor) -> Tensor:\n    return x\n"
                      : "\ndef forward(self, x: Tensor) -> Tensor:\n"
                        "    return torch.avg_pool2d(x, [{s}, {s}], [{s}, {s}], [0, 0], False, True, None)\n",
         {{"s", std::to_string(size)}});
  return m;
}

torch::jit::Module relu6(ScriptBuilder& b) {
  torch::jit::Module m = b.module("ReLU6");
  define(m, "\ndef forward(self, x: Tensor) -> Tensor:\n    return torch.hardtanh(x, 0.0, 6.0)\n");
  return m;
}

void check_panns_input(const ModelSpec& spec) {
  if (spec.channels != 1)
    throw std::invalid_argument(spec.name + " takes 1-channel log-mel windows, got " + std::to_string(spec.channels) +
                                " channels");
  if (spec.height < kPannsSmallestSide || spec.width < kPannsSmallestSide)
    throw std::invalid_argument(spec.name + " needs an input of at least 32x32 (mel bands x frames), got " +
                                std::to_string(spec.height) + "x" + std::to_string(spec.width));
}

// bn0 over the mel bands, then PANNs' [N, 1, frames, mel bands] layout.
const char* kPannsInput = R"(
    x = self.prepare_input(x)
    x = self.bn0.forward(x.transpose(1, 2)).transpose(1, 2)
    x = x.transpose(2, 3)
)";

// PANNs' clip-level pooling: mean over the mel axis, then max + mean over time.
const char* kPannsPooling = R"(
    x = torch.mean(x, [3])
    x = torch.amax(x, [2]) + torch.mean(x, [2])
)";

// ConvBlock: two 3x3 conv -> batch norm -> ReLU, then 2x2 average pooling (none in block 6).
torch::jit::Module conv_block(ScriptBuilder& b, int64_t in, int64_t out, bool pool) {
  torch::jit::Module block = b.module("ConvBlock");
  block.register_module("conv1", panns_conv(b, {in, out, 3, 1, 1}));
  block.register_module("conv2", panns_conv(b, {out, out, 3, 1, 1}));
  block.register_module("bn1", batch_norm2d(b, out));
  block.register_module("bn2", batch_norm2d(b, out));
  define(block, R"(
def forward(self, x: Tensor) -> Tensor:
    x = torch.relu(self.bn1.forward(self.conv1.forward(x)))
    x = torch.relu(self.bn2.forward(self.conv2.forward(x)))
    return {pool}
)",
         {{"pool", pool ? "torch.avg_pool2d(x, [2, 2], [2, 2], [0, 0], False, True, None)" : "x"}});
  return block;
}

// InvertedResidual: (1x1 expand, BN, ReLU6,) depthwise 3x3, average pooling by the stride
// (PANNs pools instead of striding), BN, ReLU6, 1x1 project, BN; a residual when the shape stays.
torch::jit::Module inverted_residual(ScriptBuilder& b, int64_t in, int64_t out, int64_t stride, int64_t expand) {
  const int64_t hidden = in * expand;
  std::vector<torch::jit::Module> layers;
  if (expand != 1) layers = {panns_conv(b, {in, hidden, 1}), batch_norm2d(b, hidden), relu6(b)};
  for (auto& m : std::vector<torch::jit::Module>{panns_conv(b, {hidden, hidden, 3, 1, 1, false, hidden}),
                                                 avg_pool(b, stride), batch_norm2d(b, hidden), relu6(b),
                                                 panns_conv(b, {hidden, out, 1}), batch_norm2d(b, out)})
    layers.push_back(m);
  torch::jit::Module block = b.module("InvertedResidual");
  block.register_module("conv", sequential(b, layers));
  const bool residual = stride == 1 && in == out;
  define(block, "\ndef forward(self, x: Tensor) -> Tensor:\n    return {result}\n",
         {{"result", residual ? "x + self.conv.forward(x)" : "self.conv.forward(x)"}});
  return block;
}

}  // namespace

BuiltModel build_panns_cnn14(const ModelSpec& spec) {
  check_panns_input(spec);
  ScriptBuilder b;
  torch::jit::Module net = b.module("Cnn14");
  net.register_module("bn0", batch_norm2d(b, spec.height));
  const int64_t widths[] = {64, 128, 256, 512, 1024, 2048};
  std::string blocks;
  int64_t in = 1;
  for (int i = 0; i < 6; ++i) {
    const std::string name = "conv_block" + std::to_string(i + 1);
    net.register_module(name, conv_block(b, in, widths[i], i < 5));
    blocks += "    x = " + dropout("self." + name + ".forward(x)", 0.2) + "\n";
    in = widths[i];
  }
  net.register_module("fc1", panns_linear(b, 2048, 2048));
  net.register_module("fc", panns_linear(b, 2048, spec.heads.at(0)));
  define(net, prepare_input_method(spec.name, spec.channels, spec.height, spec.width, false));
  define(net, "\ndef features(self, x: Tensor) -> Tensor:{input}{blocks}{pooling}    x = {dropped}\n"
              "    return torch.relu(self.fc1.forward(x))\n",
         {{"input", kPannsInput}, {"blocks", blocks}, {"pooling", kPannsPooling}, {"dropped", dropout("x", 0.5)}});
  define_head_methods(net, {"fc"}, spec.head_dropout);
  return {net, head_prefixes_of(spec)};
}

BuiltModel build_panns_mobilenetv2(const ModelSpec& spec) {
  check_panns_input(spec);
  ScriptBuilder b;
  torch::jit::Module net = b.module("MobileNetV2");
  net.register_module("bn0", batch_norm2d(b, spec.height));
  // blocks.0 (PANNs' features.0): conv_bn(1, 32, 2); then PANNs' (expansion t, channels c,
  // repeats n, stride s); blocks.18: conv_1x1_bn(320, 1280).
  std::vector<torch::jit::Module> layers{
      sequential(b, {panns_conv(b, {1, 32, 3, 1, 1}), avg_pool(b, 2), batch_norm2d(b, 32), relu6(b)})};
  const int64_t settings[][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                 {6, 96, 3, 2}, {6, 160, 3, 1}, {6, 320, 1, 1}};
  int64_t in = 32;
  for (const auto& [t, c, n, s] : settings)
    for (int64_t i = 0; i < n; ++i) {
      layers.push_back(inverted_residual(b, in, c, i == 0 ? s : 1, t));
      in = c;
    }
  layers.push_back(sequential(b, {panns_conv(b, {in, 1280, 1}), batch_norm2d(b, 1280), relu6(b)}));
  net.register_module("blocks", sequential(b, layers));
  net.register_module("fc1", panns_linear(b, 1280, 1024));
  net.register_module("fc", panns_linear(b, 1024, spec.heads.at(0)));
  define(net, prepare_input_method(spec.name, spec.channels, spec.height, spec.width, false));
  // PANNs' MobileNetV2 has no dropout before fc1 (it is commented out there).
  define(net, "\ndef features(self, x: Tensor) -> Tensor:{input}    x = self.blocks.forward(x)\n{pooling}"
              "    return torch.relu(self.fc1.forward(x))\n",
         {{"input", kPannsInput}, {"pooling", kPannsPooling}});
  define_head_methods(net, {"fc"}, spec.head_dropout);
  return {net, head_prefixes_of(spec)};
}

bool is_panns(const std::string& name) { return name == "panns_cnn14" || name == "panns_mobilenetv2"; }

}  // namespace genre::model::detail
