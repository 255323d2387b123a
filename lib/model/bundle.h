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

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "shard/manifest.h"

namespace genre::model {

constexpr const char* kBundleFormat = "genre-bundle";
constexpr int kBundleVersion = 1;
constexpr const char* kBundleExtraFile = "genre/bundle.json";

class BundleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BundleInfo {
  std::string model;                  // cnn, resnet18, ...
  std::string regime;                 // standard, two-stage, multitask
  std::string target = "fine";        // the class list forward() scores: fine or macro
  std::vector<std::string> heads;     // what forward_heads returns, coarse to fine ("macro", "fine")
  std::vector<int64_t> input_shape;   // [C, H, W]
  bool multi_label = false;           // sigmoid per class instead of softmax
  shard::ClassLists classes;          // fine (with each one's macro index) and macro lists
  nlohmann::json preprocessing;       // {"genre/melspec-params": {...}, "genre/specresize-params": {...}}
  std::string manifest_sha256;        // digest of the training dataset's manifest.json
  nlohmann::json training = nlohmann::json::object();  // the resolved training configuration
  // Sliding-window models: seconds between window starts when classifying (the track verdict is
  // the mean over overlapping windows); genre-classify's default. 0 = not recorded (1 s).
  double inference_hop_seconds = 0;

  const std::vector<shard::ClassEntry>& target_classes() const;
  nlohmann::json to_json() const;
  // Throws BundleError naming `origin` for anything missing or malformed.
  static BundleInfo from_json(const nlohmann::json& j, const std::string& origin);
};

// Adds `bundle_json` to the module and writes the archive with lib/base's atomic
// write (unique temporary file beside `path`, fsync, rename). Throws BundleError.
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
