// The model bundle: what genre-train writes and genreclassify, genre-classify
// and Python's torch.jit.load run. One TorchScript archive (`model.pt`):
//   - methods `forward(x) -> Tensor` (logits of the bundle's target classes,
//     [N, classes]) and `forward_heads(x) -> List[Tensor]` (every head);
//   - a string attribute `bundle_json` and the same text as the archive's
//     extra file `genre/bundle.json`: model name, regime, input shape, class
//     lists with the taxonomy, the preprocessing the dataset was made with,
//     and the digest of the training manifest. Python reads it with
//     `json.loads(torch.jit.load("model.pt").bundle_json)`.
#pragma once

#include <torch/script.h>

#include <string>

#include "model/bundle_info.h"

namespace genre::model {

// Adds `bundle_json` to the module and writes the archive atomically
// (temporary file beside `path`, fsync, rename). Throws BundleError.
void save_bundle(torch::jit::Module module, const BundleInfo& info, const std::string& path);

struct LoadedBundle {
  torch::jit::Module module;
  BundleInfo info;
};

// Loads a bundle onto `device`. Throws BundleError "PATH: ..." for a missing,
// truncated or corrupt file, a TorchScript archive that is not one of our
// bundles, or a bundle of a newer version.
LoadedBundle load_bundle(const std::string& path, const c10::Device& device = c10::Device(c10::kCPU));

}  // namespace genre::model
