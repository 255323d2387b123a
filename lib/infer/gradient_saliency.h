// Gradient saliency (Simonyan et al. 2014, "vanilla gradients"): how much each
// input pixel moves one class's score, |d logit_c / d x|, the largest over the
// image's channels. It needs only a differentiable forward(), so it explains
// every model genre-train builds (cnn, resnets, shortchunk, gru, vit) and every
// bundle already written, with no method added to them. LibTorch types: for
// lib/infer and lib/train only (saliency_model.h wraps it in plain types).
#pragma once

#include <torch/script.h>

#include <vector>

namespace genre::infer {

// `images`: [N, C, H, W] float on the module's device; `classes`: the class
// whose logit each image's map is for (N entries). Returns [N, H, W] float on
// the CPU. Runs the module in eval mode (its training flag is restored after)
// with autograd on; only the input's gradient is computed, nothing
// accumulates in the module's parameters.
at::Tensor gradient_saliency(torch::jit::Module& module, const at::Tensor& images, const std::vector<int64_t>& classes);

}  // namespace genre::infer
