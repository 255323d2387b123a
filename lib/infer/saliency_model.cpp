#include "infer/saliency_model.h"

#include <ATen/Parallel.h>

#include <cstring>

#include "infer/gradient_saliency.h"
#include "infer/infer_error.h"
#include "model/bundle.h"

namespace genre::infer {

struct SaliencyModel::Impl {
  torch::jit::Module module;
  std::vector<int64_t> shape;
  std::string path;
  int threads = 0;
};

SaliencyModel::SaliencyModel(const std::string& bundle_path, int threads) : impl_(std::make_unique<Impl>()) {
  impl_->path = bundle_path;
  impl_->threads = threads;
  try {
    model::LoadedBundle b = model::load_bundle(bundle_path);
    impl_->module = std::move(b.module);
    impl_->shape = b.info.input_shape;
  } catch (const model::BundleError& e) {
    throw InferError(e.what());
  } catch (const std::exception& e) {
    throw InferError(bundle_path + ": cannot load the model bundle: " + e.what());
  }
  if (impl_->shape.size() != 3) throw InferError(bundle_path + ": the bundle records no [C, H, W] input shape");
  impl_->module.eval();
  for (const auto& p : impl_->module.parameters()) p.set_requires_grad(false);  // only the input's gradient
}

SaliencyModel::~SaliencyModel() = default;

const std::vector<int64_t>& SaliencyModel::input_shape() const { return impl_->shape; }

std::vector<float> SaliencyModel::saliency(const std::vector<const float*>& images, int64_t target_class) {
  if (images.empty()) return {};
  // OpenMP keeps the thread count per calling thread: set it on this one.
  if (impl_->threads > 0 && at::get_num_threads() != impl_->threads) at::set_num_threads(impl_->threads);
  const auto& s = impl_->shape;
  const int64_t n = int64_t(images.size());
  at::Tensor x = at::empty({n, s[0], s[1], s[2]}, at::kFloat);
  const size_t floats = size_t(s[0] * s[1] * s[2]);
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(x.data_ptr<float>() + size_t(i) * floats, images[size_t(i)], floats * sizeof(float));
  try {
    const at::Tensor maps = gradient_saliency(impl_->module, x, std::vector<int64_t>(size_t(n), target_class));
    return std::vector<float>(maps.data_ptr<float>(), maps.data_ptr<float>() + maps.numel());
  } catch (const InferError&) {
    throw;
  } catch (const c10::Error& e) {
    throw InferError(impl_->path + ": the saliency pass failed: " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw InferError(impl_->path + ": the saliency pass failed: " + e.what());
  }
}

}  // namespace genre::infer
