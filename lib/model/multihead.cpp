// multihead: a resnet or shortchunk trunk and one head per level, coarse to fine, of the kind
// spec.head_kind names (model_factory.h). Parameters in definition order: trunk, `shared` (mlp),
// `heads.0`, `heads.1`, ..., so --freeze on a trunk block leaves every head trainable.
#include <ATen/ATen.h>

#include "model/architectures.h"
#include "model/head_methods.h"
#include "model/layers.h"

namespace genre::model::detail {

BuiltModel build_multihead(const ModelSpec& spec) {
  ScriptBuilder b;
  const bool shortchunk = spec.trunk == "shortchunk";
  torch::jit::Module net = b.module(shortchunk ? "MultiHeadShortChunk" : "MultiHeadResNet");
  const int64_t width = shortchunk ? add_shortchunk_trunk(b, net, spec) : add_resnet_trunk(b, net, spec, spec.trunk);
  if (spec.head_kind == "mlp") net.register_module("shared", linear(b, width, width));
  torch::jit::Module heads = b.module("Heads");
  std::vector<std::string> head_paths;
  for (size_t i = 0; i < spec.heads.size(); ++i) {
    const int64_t extra = spec.head_kind == "sequential" && i > 0 ? spec.heads[i - 1] : 0;  // the level above's probabilities
    heads.register_module(std::to_string(i), linear(b, width + extra, spec.heads[i]));
    head_paths.push_back("heads." + std::to_string(i));
  }
  net.register_module("heads", heads);
  define_head_methods(net, head_paths, spec.head_dropout, spec.head_kind);
  return {net, head_prefixes_of(spec)};
}

}  // namespace genre::model::detail
