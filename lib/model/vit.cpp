// torchvision 0.14's VisionTransformer (patch 16, no representation layer, dropouts 0),
// module for module, so state_dict names are torchvision's: conv_proj, class_token,
// encoder.pos_embedding, encoder.layers.encoder_layer_<i>.{ln_1, self_attention.in_proj_weight,
// self_attention.in_proj_bias, self_attention.out_proj, ln_2, mlp.0, mlp.3}, encoder.ln,
// heads.head. Initialised as torchvision does, except the head: torchvision zeroes it, which
// leaves every other parameter without a gradient until the first update; here it has
// nn.Linear's default init like every other model's head (fine-tuning replaces it anyway).
// Any H x W that are multiples of 16 work: the position embedding has 1 + (H/16)(W/16) rows.
#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>
#include <tuple>

#include "model/architectures.h"
#include "model/head_methods.h"
#include "model/layers.h"
#include "model/weight_init.h"

namespace genre::model::detail {

namespace {

constexpr int64_t kPatch = 16;

struct VitSize {
  int64_t hidden, layers, heads, mlp;
};

VitSize vit_size(const std::string& name) {
  if (name == "vit_b16") return {768, 12, 12, 3072};
  return {192, 12, 3, 768};  // vit_ti16
}

// nn.MultiheadAttention(hidden, heads, batch_first=True) with query = key = value, written in
// basic ops: in_proj packs the q, k, v projections; scores are scaled by 1/sqrt(head_dim).
torch::jit::Module self_attention(ScriptBuilder& b, int64_t hidden, int64_t heads) {
  torch::jit::Module m = b.module("MultiheadAttention");
  const at::Tensor in_proj_weight = at::empty({3 * hidden, hidden});
  xavier_uniform(in_proj_weight);
  add_parameter(m, "in_proj_weight", in_proj_weight);
  add_parameter(m, "in_proj_bias", at::zeros({3 * hidden}));
  torch::jit::Module out_proj = linear(b, hidden, hidden);
  fill_constant(tensor_of(out_proj, "bias"), 0);
  m.register_module("out_proj", out_proj);
  const int64_t head_dim = hidden / heads;
  define(m, R"(
def forward(self, x: Tensor) -> Tensor:
    n = x.size(0)
    s = x.size(1)
    qkv = torch.linear(x, self.in_proj_weight, self.in_proj_bias)
    qkv = qkv.reshape([n, s, 3, {heads}, {head_dim}]).permute([2, 0, 3, 1, 4])
    q = qkv[0] / {sqrt_head_dim}
    attention = torch.softmax(torch.matmul(q, qkv[1].transpose(-2, -1)), -1)
    y = torch.matmul(attention, qkv[2]).transpose(1, 2).reshape([n, s, {hidden}])
    return self.out_proj.forward(y)
)",
         {{"heads", std::to_string(heads)},
          {"head_dim", std::to_string(head_dim)},
          {"sqrt_head_dim", float_literal(std::sqrt(static_cast<double>(head_dim)))},
          {"hidden", std::to_string(hidden)}});
  return m;
}

// torchvision's MLPBlock: 0 = Linear, 1 = GELU, 2 = Dropout, 3 = Linear, 4 = Dropout; weights
// xavier_uniform, biases normal(std 1e-6).
torch::jit::Module mlp_block(ScriptBuilder& b, int64_t hidden, int64_t mlp) {
  torch::jit::Module m = b.module("MLPBlock");
  for (const auto& [name, in, out] : {std::tuple{"0", hidden, mlp}, std::tuple{"3", mlp, hidden}}) {
    torch::jit::Module fc = linear(b, in, out);
    xavier_uniform(tensor_of(fc, "weight"));
    fill_normal(tensor_of(fc, "bias"), 1e-6);
    m.register_module(name, fc);
  }
  define(m, R"(
def forward(self, x: Tensor) -> Tensor:
    return getattr(self, "3").forward(torch.gelu(getattr(self, "0").forward(x)))
)");
  return m;
}

torch::jit::Module encoder_block(ScriptBuilder& b, const VitSize& size) {
  torch::jit::Module m = b.module("EncoderBlock");
  m.register_module("ln_1", layer_norm(b, size.hidden, 1e-6));
  m.register_module("self_attention", self_attention(b, size.hidden, size.heads));
  m.register_module("ln_2", layer_norm(b, size.hidden, 1e-6));
  m.register_module("mlp", mlp_block(b, size.hidden, size.mlp));
  define(m, R"(
def forward(self, x: Tensor) -> Tensor:
    x = x + self.self_attention.forward(self.ln_1.forward(x))
    return x + self.mlp.forward(self.ln_2.forward(x))
)");
  return m;
}

torch::jit::Module encoder(ScriptBuilder& b, const VitSize& size, int64_t seq_length) {
  torch::jit::Module m = b.module("Encoder");
  const at::Tensor pos_embedding = at::empty({1, seq_length, size.hidden});
  fill_normal(pos_embedding, 0.02);
  add_parameter(m, "pos_embedding", pos_embedding);
  std::vector<std::pair<std::string, torch::jit::Module>> layers;
  for (int64_t i = 0; i < size.layers; ++i)
    layers.emplace_back("encoder_layer_" + std::to_string(i), encoder_block(b, size));
  m.register_module("layers", sequential(b, layers));
  m.register_module("ln", layer_norm(b, size.hidden, 1e-6));
  define(m, R"(
def forward(self, x: Tensor) -> Tensor:
    return self.ln.forward(self.layers.forward(x + self.pos_embedding))
)");
  return m;
}

}  // namespace

bool is_vit(const std::string& name) { return name == "vit_b16" || name == "vit_ti16"; }

BuiltModel build_vit(const ModelSpec& spec) {
  if (spec.height % kPatch != 0 || spec.width % kPatch != 0 || spec.height < kPatch || spec.width < kPatch)
    throw std::invalid_argument(spec.name +
                                " needs a height and width that are multiples of 16 (its patch size), got " +
                                std::to_string(spec.height) + "x" + std::to_string(spec.width));
  const VitSize size = vit_size(spec.name);
  const int64_t patches = (spec.height / kPatch) * (spec.width / kPatch);
  const bool repeat = spec.repeat_gray && spec.channels == 1;
  ScriptBuilder b;
  torch::jit::Module net = b.module("VisionTransformer");
  torch::jit::Module conv_proj = conv2d(b, {repeat ? 3 : spec.channels, size.hidden, kPatch, kPatch, 0, true});
  const at::Tensor proj_weight = tensor_of(conv_proj, "weight");
  trunc_normal(proj_weight, std::sqrt(1.0 / static_cast<double>(proj_weight[0].numel())));
  fill_constant(tensor_of(conv_proj, "bias"), 0);
  net.register_module("conv_proj", conv_proj);
  add_parameter(net, "class_token", at::zeros({1, 1, size.hidden}));
  net.register_module("encoder", encoder(b, size, patches + 1));
  torch::jit::Module heads = b.module("Heads");
  heads.register_module("head", linear(b, size.hidden, spec.heads.at(0)));
  net.register_module("heads", heads);
  define(net, prepare_input_method(spec.name, spec.channels, spec.height, spec.width, repeat));
  define(net, R"(
def features(self, x: Tensor) -> Tensor:
    x = self.prepare_input(x)
    n = x.size(0)
    x = self.conv_proj.forward(x).reshape([n, {hidden}, {patches}]).permute([0, 2, 1])
    x = torch.cat([self.class_token.expand([n, -1, -1]), x], 1)
    return self.encoder.forward(x)[:, 0]
)",
         {{"hidden", std::to_string(size.hidden)}, {"patches", std::to_string(patches)}});
  define_head_methods(net, {"heads.head"}, spec.head_dropout);
  return {net, head_prefixes_of(spec)};
}

}  // namespace genre::model::detail
