// What a model bundle says about itself (its `genre/bundle.json`, see bundle.h):
// plain C++ without LibTorch, so the reader can be fuzzed and used by tools that
// never load a model.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "shard/manifest.h"
#include "taxonomy/genre_tree.h"

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
  // The fine classes' tree (bundle.json "genre_tree": {"fine_parent": [...]}; a bundle without it
  // gets the two-level tree of its class lists): the costs of --decode crm.
  taxonomy::GenreTree tree;

  const std::vector<shard::ClassEntry>& target_classes() const;
  nlohmann::json to_json() const;
  // Throws BundleError naming `origin` for anything missing or malformed.
  static BundleInfo from_json(const nlohmann::json& j, const std::string& origin);
};

}  // namespace genre::model
