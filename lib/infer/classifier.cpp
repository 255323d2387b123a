#include "infer/classifier.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "model/bundle.h"

namespace genre::infer {

namespace {

constexpr const char* kHeadsMethod = "forward_heads";
constexpr int kWarmupPasses = 2;  // the profiling executor profiles the first run, optimises the second
// Optimization::Auto: passes of one image timed per candidate, alternating: at
// least the minimum, then more while the comparison has used under its budget.
constexpr int kTimedPassesMin = 3, kTimedPassesMax = 9;
constexpr double kTimingBudgetSeconds = 1.0;

std::string shape_string(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

std::string shape_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string exception_text(const std::exception& e) {
  if (const auto* c10e = dynamic_cast<const c10::Error*>(&e)) return c10e->what_without_backtrace();
  return e.what();
}

}  // namespace

const char* to_string(Device d) {
  switch (d) {
    case Device::Cpu: return "cpu";
    case Device::Cuda: return "cuda";
    case Device::Auto: return "auto";
  }
  return "?";
}

Device device_from_string(const std::string& text) {
  if (text == "cpu") return Device::Cpu;
  if (text == "cuda") return Device::Cuda;
  if (text == "auto") return Device::Auto;
  throw InferError("device must be cpu, cuda or auto, not '" + text + "'");
}

const char* to_string(Optimization o) {
  switch (o) {
    case Optimization::None: return "none";
    case Optimization::Freeze: return "freeze";
    case Optimization::Optimize: return "optimize";
    case Optimization::Auto: return "auto";
  }
  return "?";
}

bool cuda_available() {
  try {
    return at::hasCUDA() && at::getNumGPUs() > 0;
  } catch (const std::exception&) {
    return false;
  }
}

struct Classifier::Impl {
  ModelDescription desc;
  torch::jit::Module module;
  Device device = Device::Cpu;
  Optimization optimization = Optimization::None;
  int threads = 0;
  // forward_heads is called when the model has a macro head beside its target
  // one: both in one pass. Otherwise forward().
  bool use_heads = false;
  size_t target_head = 0;
  size_t macro_head = 0;

  c10::Device torch_device() const { return device == Device::Cuda ? c10::Device(c10::kCUDA) : c10::Device(c10::kCPU); }

  void apply_threads() const {
    // OpenMP keeps the thread count per calling thread: set it on the one that runs forward.
    if (threads > 0 && at::get_num_threads() != threads) at::set_num_threads(threads);
  }

  at::Tensor input_batch(const std::vector<const float*>& images) const {
    const auto& s = desc.input_shape;
    const int64_t n = int64_t(images.size());
    at::Tensor x;
    if (n == 1) {
      // Read-only view of the caller's floats: forward never writes its input.
      x = torch::from_blob(const_cast<float*>(images[0]), {1, s[0], s[1], s[2]}, torch::kFloat);
    } else {
      x = torch::empty({n, s[0], s[1], s[2]}, torch::kFloat);
      const size_t floats = desc.image_floats();
      float* dst = x.data_ptr<float>();
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + size_t(i) * floats, images[size_t(i)], floats * sizeof(float));
    }
    return device == Device::Cuda ? x.to(torch_device()) : x;
  }

  at::Tensor checked_logits(const at::Tensor& t, int64_t n, size_t classes, const char* what) const {
    if (t.dim() != 2 || t.size(0) != n || t.size(1) != int64_t(classes))
      throw InferError(desc.path + ": the model's " + what + " output has shape " + shape_string(t) + ", expected [" +
                       std::to_string(n) + ", " + std::to_string(classes) + "] (batch, classes listed in the bundle)");
    // NaN or Inf logits would become "nan%" verdicts: a broken model (or input) is an error, not a genre.
    if (!t.isfinite().all().item<bool>())
      throw InferError(desc.path + ": the model (" + desc.model + ") returned NaN or Inf scores from its " + what +
                       " output; its weights or this input are broken");
    return t;
  }

  at::Tensor probabilities(const at::Tensor& logits) const {
    at::Tensor f = logits.to(torch::kFloat);
    return (desc.multi_label ? f.sigmoid() : f.softmax(1)).to(c10::kCPU).contiguous();
  }

  // Runs the model; throws c10::Error / std::exception from LibTorch as they come.
  std::vector<HeadProbabilities> run(const std::vector<const float*>& images) {
    c10::InferenceMode guard;
    const int64_t n = int64_t(images.size());
    std::vector<torch::jit::IValue> inputs{input_batch(images)};
    at::Tensor target, macro;
    if (use_heads) {
      std::vector<at::Tensor> heads = module.get_method(kHeadsMethod)(inputs).toTensorVector();
      if (heads.size() <= std::max(target_head, macro_head))
        throw InferError(desc.path + ": forward_heads returned " + std::to_string(heads.size()) +
                         " heads, the bundle lists more");
      target = checked_logits(heads[target_head], n, desc.target_classes().size(), "target head");
      macro = checked_logits(heads[macro_head], n, desc.classes.macro.size(), "macro head");
    } else {
      target = checked_logits(module.forward(inputs).toTensor(), n, desc.target_classes().size(), "forward");
    }
    const at::Tensor pt = probabilities(target);
    const at::Tensor pm = macro.defined() ? probabilities(macro) : at::Tensor();
    std::vector<HeadProbabilities> out(images.size());
    for (int64_t i = 0; i < n; ++i) {
      const float* row = pt.data_ptr<float>() + i * pt.size(1);
      out[size_t(i)].target.assign(row, row + pt.size(1));
      if (pm.defined()) {
        const float* mrow = pm.data_ptr<float>() + i * pm.size(1);
        out[size_t(i)].macro.assign(mrow, mrow + pm.size(1));
      }
    }
    return out;
  }

  void warm_up(size_t batch) {
    if (batch == 0) return;
    std::vector<float> zeros(desc.image_floats(), 0.0f);
    std::vector<const float*> images(batch, zeros.data());
    for (int i = 0; i < kWarmupPasses; ++i) run(images);
  }

  // Seconds for one forward pass of `batch` zero images (after warm_up).
  double time_pass(size_t batch) {
    std::vector<float> zeros(desc.image_floats(), 0.0f);
    std::vector<const float*> images(std::max<size_t>(batch, 1), zeros.data());
    const auto t0 = std::chrono::steady_clock::now();
    run(images);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  torch::jit::Module optimized(const torch::jit::Module& source, Optimization level) const {
    std::vector<std::string> methods;
    if (use_heads) methods.push_back(kHeadsMethod);
    torch::jit::Module frozen = torch::jit::freeze(source, methods);
    if (level == Optimization::Optimize) return torch::jit::optimize_for_inference(frozen, methods);
    return frozen;
  }
};

Classifier::Classifier(const ClassifierOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  const std::string& path = options.model_path;
  if (path.empty()) throw InferError("no model bundle given (set the model path)");
  if (options.device == Device::Cuda && !cuda_available())
    throw InferError(std::string("device=cuda: ") +
                     (at::hasCUDA() ? "no CUDA device is visible" : "this LibTorch build has no CUDA support") +
                     " (use device=cpu or device=auto)");
  m.device = options.device == Device::Auto ? (cuda_available() ? Device::Cuda : Device::Cpu) : options.device;
  m.threads = options.threads;
  m.apply_threads();

  model::LoadedBundle bundle;
  try {
    bundle = model::load_bundle(path, m.torch_device());
  } catch (const model::BundleError& e) {
    throw InferError(e.what());
  } catch (const std::exception& e) {
    throw InferError(path + ": cannot load the model bundle: " + exception_text(e));
  }
  const model::BundleInfo& info = bundle.info;
  m.desc.path = path;
  m.desc.model = info.model;
  m.desc.target = info.target;
  m.desc.multi_label = info.multi_label;
  m.desc.input_shape = info.input_shape;
  m.desc.classes = info.classes;
  m.desc.preprocessing = info.preprocessing;
  m.desc.inference_hop_seconds = info.inference_hop_seconds;
  m.desc.tree = info.tree;
  const auto target_at = std::find(info.heads.begin(), info.heads.end(), info.target);
  const auto macro_at = std::find(info.heads.begin(), info.heads.end(), "macro");
  m.desc.has_macro_head = info.target != "macro" && target_at != info.heads.end() && macro_at != info.heads.end() &&
                          !info.classes.macro.empty();
  m.use_heads = m.desc.has_macro_head;
  m.target_head = size_t(target_at - info.heads.begin());
  m.macro_head = size_t(macro_at - info.heads.begin());
  m.module = std::move(bundle.module);

  try {
    m.module.eval();
  } catch (const std::exception& e) {
    throw InferError(path + ": cannot put the model in eval mode: " + exception_text(e));
  }
  // Candidates, most optimised first; each one that fails drops to the next.
  std::vector<Optimization> levels;
  switch (options.optimization) {
    case Optimization::Auto: levels = {Optimization::Optimize, Optimization::Freeze}; break;
    case Optimization::Optimize: levels = {Optimization::Optimize, Optimization::Freeze}; break;
    case Optimization::Freeze: levels = {Optimization::Freeze}; break;
    case Optimization::None: break;
  }
  // Auto compares the candidates on one image (cheap even for big models), then
  // the winner is warmed up on the batch size it will see.
  const bool compare = options.optimization == Optimization::Auto && options.warmup_batch > 0;
  const size_t first_warmup = compare ? 1 : options.warmup_batch;
  const torch::jit::Module as_saved = m.module;
  std::vector<std::pair<Optimization, torch::jit::Module>> ready;
  for (Optimization level : levels) {
    try {
      m.module = m.optimized(as_saved, level);
      m.warm_up(first_warmup);
      ready.emplace_back(level, m.module);
      if (!compare) break;
    } catch (const std::exception&) {
      // this level cannot handle the model: try the next
    }
  }
  if (ready.size() > 1) {
    // Passes alternate between the candidates and the medians decide, so a
    // burst of load on a shared machine does not pick the wrong one. Candidates
    // come most optimised first.
    std::vector<std::vector<double>> seconds(ready.size());
    double spent = 0;
    for (int pass = 0; pass < kTimedPassesMax && (pass < kTimedPassesMin || spent < kTimingBudgetSeconds); ++pass)
      for (size_t i = 0; i < ready.size(); ++i) {
        m.module = ready[i].second;
        seconds[i].push_back(m.time_pass(1));
        spent += seconds[i].back();
      }
    size_t best = 0;
    double best_median = 0;
    for (size_t i = 0; i < ready.size(); ++i) {
      std::sort(seconds[i].begin(), seconds[i].end());
      const double median = seconds[i][seconds[i].size() / 2];
      // A simpler level has to win clearly: optimize_for_inference measured faster for both
      // reference models on this project's CPU, so noise alone should not undo it.
      if (i == 0 || median < 0.9 * best_median) {
        best = i;
        best_median = median;
      }
    }
    ready.front() = ready[best];
  }
  if (!ready.empty()) {
    m.optimization = ready.front().first;
    m.module = ready.front().second;
    if (first_warmup != options.warmup_batch) {
      try {
        m.warm_up(options.warmup_batch);
      } catch (const std::exception& e) {
        throw InferError(path + ": the model fails on a batch of " + std::to_string(options.warmup_batch) +
                         " zero images: " + exception_text(e));
      }
    }
    return;
  }
  m.module = as_saved;
  m.optimization = Optimization::None;
  try {
    m.warm_up(options.warmup_batch);
  } catch (const std::exception& e) {
    throw InferError(path + ": the model fails on a zero input of its own shape " +
                     shape_string({int64_t(options.warmup_batch), info.input_shape[0], info.input_shape[1],
                                   info.input_shape[2]}) + ": " + exception_text(e));
  }
}

Classifier::~Classifier() = default;

const ModelDescription& Classifier::description() const { return impl_->desc; }
Device Classifier::device() const { return impl_->device; }
Optimization Classifier::optimization() const { return impl_->optimization; }

std::vector<HeadProbabilities> Classifier::classify(const std::vector<const float*>& images) {
  if (images.empty()) return {};
  impl_->apply_threads();
  try {
    return impl_->run(images);
  } catch (const InferError&) {
    throw;
  } catch (const std::exception& e) {
    throw InferError(impl_->desc.path + ": the forward pass failed: " + exception_text(e));
  }
}

}  // namespace genre::infer
