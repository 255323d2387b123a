// --init: starting a model from torchvision weights written by
// tools/export_torchvision_weights.py, or from PANNs' AudioSet weights converted by
// tools/export_panns_weights.py (each a torch.save'd dict: format, arch, state_dict).
#pragma once

#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/model_factory.h"

namespace genre::model {

struct InitReport {
  int64_t loaded = 0;                // tensors copied into the model (adapted ones included)
  std::vector<std::string> skipped;  // head tensors of another shape or not in the model, with why
  std::vector<std::string> adapted;  // e.g. "conv1.weight: RGB kernels summed"
  std::vector<std::string> fresh;    // head tensors of the model the file has none for (keep their initialisation)
};

// What --init reads for a model: the file's format tag, its architecture name, the script that writes it.
struct InitSource {
  std::string format, arch, script;
};
// torchvision's (resnet*, vit*, multihead) or PANNs' (panns_*); std::invalid_argument for the others.
InitSource init_source(const ModelSpec& spec);

// The architecture name the export script records for the weights `spec` can start from:
// "resnet18" ... "resnet101" (multihead: its trunk), "vit_b_16", "vit_ti16". Throws
// std::invalid_argument for models torchvision has no weights for (cnn, gru).
std::string torchvision_arch(const ModelSpec& spec);

// Loads the file into m (built from `spec`). Names are torchvision's (PANNs': PANNs') and map 1:1.
// A PANNs file has no head (the converter drops fc_audioset): the model's `fc` keeps its
// initialisation and fc1, PANNs' embedding layer, is loaded. Adaptations (torchvision):
// a 1-channel stem (repeat_gray = false) gets the RGB kernels summed; a ViT position embedding
// is interpolated (bicubic over the patch grid, as torchvision's interpolate_embeddings; the
// class token's row kept) when the input size differs from the exported model's. A head
// (fc / heads.head) of another shape is skipped and keeps its initialisation; so are the file's
// fc tensors for a multihead model, whose heads are its own.
// Throws std::runtime_error "FILE: <what is wrong>" when the file is missing or unreadable, is
// for another architecture, or a non-head tensor is missing or of a shape that cannot be
// adapted; std::invalid_argument as init_source.
InitReport load_init(torch::jit::Module& m, const ModelSpec& spec, const std::string& path);

}  // namespace genre::model
