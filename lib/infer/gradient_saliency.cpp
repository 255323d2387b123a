#include "infer/gradient_saliency.h"

#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <string>

#include "infer/infer_error.h"

namespace genre::infer {

at::Tensor gradient_saliency(torch::jit::Module& module, const at::Tensor& images, const std::vector<int64_t>& classes) {
  if (images.dim() != 4 || images.size(0) != int64_t(classes.size()))
    throw InferError("saliency: " + std::to_string(classes.size()) + " classes for a batch of " +
                     std::to_string(images.dim() == 4 ? images.size(0) : -1) + " images");
  if (classes.empty()) return at::zeros({0, images.size(2), images.size(3)});
  const bool was_training = module.is_training();
  module.eval();
  c10::AutoGradMode grad(true);
  const at::Tensor x = images.detach().to(at::kFloat).clone().set_requires_grad(true);
  at::Tensor logits;
  try {
    logits = module.forward({x}).toTensor();
  } catch (...) {
    if (was_training) module.train();
    throw;
  }
  if (was_training) module.train();
  if (logits.dim() != 2 || logits.size(0) != x.size(0))
    throw InferError("saliency: the model returned scores of " + std::to_string(logits.dim()) + " dimensions, not [N, classes]");
  const at::Tensor index = at::tensor(classes, at::kLong).to(logits.device()).unsqueeze(1);
  for (int64_t c : classes)
    if (c < 0 || c >= logits.size(1))
      throw InferError("saliency: class " + std::to_string(c) + " is not among the model's " +
                       std::to_string(logits.size(1)) + " classes");
  // Images are independent in eval mode: the sum's gradient is each image's own.
  const at::Tensor score = logits.gather(1, index).sum();
  const at::Tensor grad_x = torch::autograd::grad({score}, {x}, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                                  /*create_graph=*/false, /*allow_unused=*/true)[0];
  if (!grad_x.defined()) return at::zeros({x.size(0), x.size(2), x.size(3)});  // the scores ignore the input
  return std::get<0>(grad_x.abs().max(1)).to(c10::kCPU).contiguous();
}

}  // namespace genre::infer
