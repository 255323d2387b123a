// Runs a model bundle (lib/model/bundle.h) on batches of images. LibTorch stays
// behind this header: callers see plain floats and a ModelDescription.
//
// At load the module is put in eval mode, frozen and, where that is faster
// (Optimization::Auto times both on the warm-up batch), passed through
// optimize_for_inference; then warmed up on zero images so the first real
// window is not the slow, profiling one and a model that cannot run on its
// declared input shape fails here, not mid-stream. A model the passes cannot
// handle falls back to the next simpler level, down to the module as saved.
// Every LibTorch exception becomes an InferError.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "infer/infer_error.h"
#include "infer/model_description.h"

namespace genre::infer {

enum class Device { Cpu, Cuda, Auto };
const char* to_string(Device d);
// "cpu", "cuda", "auto"; throws InferError on anything else.
Device device_from_string(const std::string& text);
// True when this LibTorch build has CUDA and sees at least one GPU.
bool cuda_available();

enum class Optimization {
  None,      // the module as saved (eval mode)
  Freeze,    // torch::jit::freeze: weights folded into the graph, conv+bn fused
  Optimize,  // freeze + optimize_for_inference (MKLDNN convolutions, ...)
  Auto       // Freeze or Optimize, whichever runs the warm-up batch faster
};
const char* to_string(Optimization o);

struct ClassifierOptions {
  std::string model_path;
  Device device = Device::Auto;
  int threads = 0;  // intra-op threads of the inference thread; 0 = leave LibTorch's setting
  Optimization optimization = Optimization::Auto;
  std::size_t warmup_batch = 1;  // batch size of the warm-up passes (0 = no warm-up)
};

class Classifier {
 public:
  // Loads the bundle. Throws InferError naming the file for a missing,
  // truncated or corrupt file, a TorchScript archive that is not one of our
  // bundles, CUDA asked for but absent, or a model that fails on its own input shape.
  explicit Classifier(const ClassifierOptions& options);
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  const ModelDescription& description() const;
  Device device() const;  // Cpu or Cuda, never Auto
  Optimization optimization() const;  // what load applied: None, Freeze or Optimize

  // One forward pass over `images.size()` images of description().image_floats()
  // floats each (C-order [C, H, W]). Returns one HeadProbabilities per image:
  // softmax of the logits, or sigmoid for multi-label bundles. Throws
  // InferError when the forward pass throws or returns the wrong shape.
  std::vector<HeadProbabilities> classify(const std::vector<const float*>& images);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace genre::infer
