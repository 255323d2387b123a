// What a loaded model bundle says about itself, without LibTorch types, so the
// element, the command and the verdict logic compile without torch headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "shard/manifest.h"
#include "taxonomy/genre_tree.h"

namespace genre::infer {

struct ModelDescription {
  std::string path;
  std::string model;                 // cnn, resnet18, ...
  std::string target = "fine";       // the class list forward() scores: fine or macro
  bool multi_label = false;          // sigmoid per class instead of softmax
  bool has_macro_head = false;       // forward_heads has a "macro" head beside the target
  std::vector<int64_t> input_shape;  // [C, H, W]
  shard::ClassLists classes;
  nlohmann::json preprocessing;      // {"genre/melspec-params": {...}, "genre/specresize-params": {...}}
  double inference_hop_seconds = 0;  // sliding-window bundles: the hop they were evaluated with (0 = none recorded)
  taxonomy::GenreTree tree;          // the fine classes' tree: decoding=crm's costs (empty: the class lists' 2 levels)

  const std::vector<shard::ClassEntry>& target_classes() const {
    return target == "macro" ? classes.macro : classes.fine;
  }
  std::size_t image_floats() const {
    std::size_t n = 1;
    for (int64_t d : input_shape) n *= std::size_t(d);
    return n;
  }
};

// Probabilities of one window, per head.
struct HeadProbabilities {
  std::vector<float> target;  // over target_classes()
  std::vector<float> macro;   // over classes.macro, from a macro head; empty when the model has none
};

}  // namespace genre::infer
