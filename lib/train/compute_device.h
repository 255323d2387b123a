// Where training runs, and the CUDA-only speed-ups: pinned host batches with
// asynchronous copies, autocast mixed precision (bf16, or fp16 with a dynamic
// loss scale), channels-last memory for the convolutional models. On a CPU
// build or machine the same code runs plain float32.
#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

namespace genre::train {

struct ComputeDevice {
  c10::Device device{c10::kCPU};
  std::string amp = "off";  // off | bf16 | fp16
  bool channels_last = false;
  bool cuda() const { return device.is_cuda(); }
  std::string describe() const;
};

// `requested` auto | cpu | cuda; amp auto | bf16 | fp16 | off. Throws
// std::runtime_error when cuda is asked for and absent.
ComputeDevice select_device(const std::string& requested, const std::string& amp, bool channels_last,
                            bool convolutional_model);

// The batch [N, C, H, W] on the device: through a pinned buffer and a
// non-blocking copy on CUDA; on the CPU a view of `host` (keep it alive).
at::Tensor batch_to_device(std::vector<float>& host, at::IntArrayRef sizes, const ComputeDevice& device);

// Moves the model's parameters and buffers to the device (channels-last for 4-D weights where asked).
void model_to_device(torch::jit::Module& module, const ComputeDevice& device);

// Autocast for the forward pass on CUDA; nothing elsewhere.
class AutocastScope {
 public:
  explicit AutocastScope(const ComputeDevice& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
};

// fp16 loss scaling as torch.cuda.amp.GradScaler: scale the loss, unscale the
// gradients, skip the step when any is inf/NaN, halve the scale then, double
// it after `growth_interval` clean steps.
class GradScaler {
 public:
  GradScaler(bool enabled, double scale) : enabled_(enabled), scale_(scale) {}
  at::Tensor scale(const at::Tensor& loss) const { return enabled_ ? loss * scale_ : loss; }
  // Unscales the gradients; false when the step must be skipped.
  bool unscale(const std::vector<at::Tensor>& parameters);
  double value() const { return scale_; }

 private:
  bool enabled_;
  double scale_;
  int clean_steps_ = 0;
  static constexpr int kGrowthInterval = 2000;
};

}  // namespace genre::train
