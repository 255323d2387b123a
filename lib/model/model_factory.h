// The models genre-train trains, each defined once: built directly as TorchScript modules
// (torch::jit::Module), so what is trained is exactly what is exported and what Python's
// torch.jit.load and the inference element run.
//
// Every module has
//   forward(x: Tensor) -> Tensor              logits of the last (finest) head, [N, heads.back()]
//   forward_heads(x: Tensor) -> List[Tensor]  logits of every head, in `heads` order
//   features(x: Tensor) -> Tensor             what the head(s) see, before their dropout
// and a `training` attribute on every (sub)module, so module.train()/eval() toggle dropout and
// batch norm. Inputs are float32 [N, C, H, W] with exactly the C, H, W of the spec; another
// shape fails with "AssertionError: genre model '<name>' expects input [N, C, H, W]".
//
// Models:
//   cnn        the reference study's small CNN. Its text says "flatten [32,6,6]" for a 128x128
//              input, which is inconsistent: with unpadded convolutions 128x128 flattens to
//              [32,3,3] (128 -> 62 -> 31 -> 15 -> 3); [32,6,6] is what 224x224 gives
//              (224 -> 110 -> 55 -> 27 -> 6). The flatten size is derived from the input shape.
//   resnet18/34/50/101  torchvision's ResNet, state_dict names identical to torchvision 0.14
//   vit_b16, vit_ti16   torchvision's VisionTransformer (patch 16), same state_dict names
//   gru        one-layer GRU over the time axis (W), each step the C*H column
//   multihead  a resnet or shortchunk trunk with one head per level (`heads.0`, `heads.1`, ...),
//              coarse to fine; head_kind: linear (each head a Linear over the embedding), mlp (a
//              shared Linear -> ReLU -> dropout, `shared`, of the embedding's width, then a Linear
//              per level), sequential (head l sees the embedding and head l-1's softmax)
//   shortchunk a CNN for log-mel spectrograms at native resolution (n_mels x frames): five
//              3x3 conv -> batch norm -> ReLU -> 2x2 max-pool blocks, max and mean over time, the
//              input standardised per mel band by buffers genre-train sets (band_mean, band_std)
//   panns_cnn14, panns_mobilenetv2  PANNs' AudioSet-pretrainable CNN14 and MobileNetV2 (panns.cpp),
//              state_dict names PANNs' own, on 1-channel log-mel windows (mel bands x frames) with
//              bn0 over the bands; `fc` is the head, fc1 PANNs' embedding layer
#pragma once

#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <string>
#include <vector>

namespace genre::model {

struct ModelSpec {
  std::string name;                                 // one of model_names()
  int64_t channels = 1, height = 128, width = 128;  // input [N, C, H, W]
  // Classes per head. Single-head models: exactly one entry. multihead: one entry per level,
  // coarse to fine (e.g. {12 macro, 103 fine}).
  std::vector<int64_t> heads;
  std::string trunk = "resnet18";  // multihead's trunk: any resnet, or shortchunk
  std::string head_kind = "linear";  // multihead's heads: linear | mlp | sequential
  int64_t gru_hidden = 256;        // gru: hidden units
  int64_t base_channels = 8;       // shortchunk: channels of the first block, doubled per block (at most 16x)
  // Dropout before the head(s) of resnet, vit, multihead and gru; the cnn has the reference's
  // own dropouts (0.6, 0.2, 0.2).
  double head_dropout = 0.5;
  // channels == 1 on resnet/vit/multihead: true = the plane is repeated to 3 channels in
  // forward (the stem keeps 3 input channels, ImageNet kernels load unchanged); false = the
  // stem has 1 input channel (load_init sums the RGB kernels).
  bool repeat_gray = false;
};

struct BuiltModel {
  torch::jit::Module module;
  // Parameter/buffer name prefixes of the classifier head(s), e.g. {"fc."}, {"heads.head."},
  // {"heads."}, {"shared.", "heads."}: what fine-tuning re-initialises and what may be trained alone.
  std::vector<std::string> head_prefixes;
};

// "cnn", "resnet18", "resnet34", "resnet50", "resnet101", "vit_b16", "vit_ti16", "gru",
// "multihead", "shortchunk", "panns_cnn14", "panns_mobilenetv2".
std::vector<std::string> model_names();

// Initialises every parameter from the global torch generator (seed it with torch::manual_seed
// for determinism). Parameters require grad; the module is in training mode.
// Throws std::invalid_argument with a one-line message for a bad spec (unknown name, input too
// small for the architecture, bad head list, ...).
BuiltModel build_model(const ModelSpec& spec);

}  // namespace genre::model
