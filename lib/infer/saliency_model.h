// A model bundle loaded for explanations (genre-classify --explain): the
// gradient saliency (gradient_saliency.h) of batches of images, in plain
// types. The module runs as saved, in eval mode: the optimised modules the
// Classifier runs (frozen, MKLDNN) do not take gradients.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace genre::infer {

class SaliencyModel {
 public:
  // Throws InferError naming the file when it is not a loadable bundle.
  SaliencyModel(const std::string& bundle_path, int threads);
  ~SaliencyModel();
  SaliencyModel(const SaliencyModel&) = delete;
  SaliencyModel& operator=(const SaliencyModel&) = delete;

  const std::vector<int64_t>& input_shape() const;  // [C, H, W]

  // Maps of |d logit[target_class] / d image|, the largest over channels: H * W
  // floats per image, image after image. Images: C * H * W floats each. Throws InferError.
  std::vector<float> saliency(const std::vector<const float*>& images, int64_t target_class);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace genre::infer
