#include "train/compute_device.h"

#include <ATen/autocast_mode.h>
#include <ATen/ops/_amp_foreach_non_finite_check_and_unscale.h>
#include <torch/cuda.h>

#include <cstring>
#include <stdexcept>

namespace genre::train {

std::string ComputeDevice::describe() const {
  std::string s = device.str();
  if (cuda()) s += std::string(", amp ") + amp + (channels_last ? ", channels-last" : "");
  return s;
}

ComputeDevice select_device(const std::string& requested, const std::string& amp, bool channels_last,
                            bool convolutional_model) {
  if (requested != "auto" && requested != "cpu" && requested != "cuda")
    throw std::runtime_error("--device must be auto, cpu or cuda, not '" + requested + "'");
  if (amp != "auto" && amp != "off" && amp != "bf16" && amp != "fp16")
    throw std::runtime_error("--amp must be auto, off, bf16 or fp16, not '" + amp + "'");
  ComputeDevice d;
  const bool have_cuda = torch::cuda::is_available();
  if (requested == "cuda" && !have_cuda)
    throw std::runtime_error("--device cuda: no CUDA device (or this LibTorch is a CPU build; see -Dlibtorch)");
  if (requested == "cpu" || !have_cuda) return d;
  d.device = c10::Device(c10::kCUDA, 0);
  d.amp = amp == "auto" ? "bf16" : amp;
  d.channels_last = channels_last && convolutional_model;
  return d;
}

at::Tensor batch_to_device(std::vector<float>& host, at::IntArrayRef sizes, const ComputeDevice& device) {
  if (!device.cuda()) return torch::from_blob(host.data(), sizes, at::kFloat);
  at::Tensor pinned = at::empty(sizes, at::TensorOptions(at::kFloat).pinned_memory(true));
  std::memcpy(pinned.data_ptr<float>(), host.data(), host.size() * sizeof(float));
  at::Tensor x = pinned.to(device.device, /*non_blocking=*/true);
  return device.channels_last ? x.contiguous(at::MemoryFormat::ChannelsLast) : x;
}

void model_to_device(torch::jit::Module& module, const ComputeDevice& device) {
  module.to(device.device);
  if (!device.channels_last) return;
  torch::NoGradGuard no_grad;
  for (const auto& p : module.named_parameters(true))
    if (p.value.dim() == 4) p.value.set_data(p.value.contiguous(at::MemoryFormat::ChannelsLast));
}

AutocastScope::AutocastScope(const ComputeDevice& device) {
  if (!device.cuda() || device.amp == "off") return;
  at::autocast::set_enabled(true);
  at::autocast::set_autocast_gpu_dtype(device.amp == "bf16" ? at::kBFloat16 : at::kHalf);
  active_ = true;
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  at::autocast::set_enabled(false);
  at::autocast::clear_cache();
}

bool GradScaler::unscale(const std::vector<at::Tensor>& parameters) {
  if (!enabled_) return true;
  std::vector<at::Tensor> grads;
  for (const at::Tensor& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return true;
  at::Tensor found_inf = at::zeros({1}, grads.front().options().dtype(at::kFloat));
  at::Tensor inv_scale = at::full({1}, 1.0 / scale_, grads.front().options().dtype(at::kFloat));
  at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale);
  if (found_inf.item<float>() > 0) {
    scale_ *= 0.5;
    clean_steps_ = 0;
    return false;
  }
  if (++clean_steps_ >= kGrowthInterval) {
    scale_ *= 2.0;
    clean_steps_ = 0;
  }
  return true;
}

}  // namespace genre::train
