// Model bundles for the inference tests, written by the project's own
// save_bundle. "Probe" models are TorchScript defined here whose logits are
// pixels of the input image, so a test chooses each window's scores exactly:
//   target logits = image[channel 0, row 0, columns 0..K-1]
//   macro logits  = image[channel 0, row 1, columns 0..M-1]   (macro head only)
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace genre::test {

enum class ProbeBehaviour {
  Probe,       // logits as above
  Throws,      // as Probe, but raises when pixel [0, 0, 2, 0] exceeds 100
  Slow,        // as Probe after `slow_matmuls` 64x64 matrix products
  WrongShape,  // returns one logit too few
  NonFinite,   // as Probe, but NaN logits when pixel [0, 0, 2, 0] exceeds 100 (Inf when it exceeds 200)
};

struct ProbeBundleSpec {
  int64_t channels = 1, height = 4, width = 8;
  std::vector<std::string> fine = {"Rock", "Jazz", "Pop", "Blues"};
  std::vector<int> fine_macro = {0, 1, 0, 1};  // macro index per fine class, -1 = none
  std::vector<int> fine_fma_ids = {12, 4, 10, 3};
  std::vector<std::string> macro = {"Band", "Roots"};
  // Each fine class's parent fine class or -1, written as bundle.json's genre_tree; empty: none
  // written (a reader gets the class lists' two-level tree).
  std::vector<int> fine_parent;
  bool macro_head = false;  // forward_heads = [macro, fine]
  bool multi_label = false;
  std::string target = "fine";  // "macro": forward scores the macrogenres
  nlohmann::json preprocessing = nlohmann::json::object();
  ProbeBehaviour behaviour = ProbeBehaviour::Probe;
  int slow_matmuls = 0;
  std::string model_name = "probe";
};

void write_probe_bundle(const std::string& path, const ProbeBundleSpec& spec);

// A real model from build_model (`name`: cnn, resnet18, ...; seeded weights) with
// the probe spec's classes, shape and preprocessing.
void write_model_bundle(const std::string& path, const std::string& name, const ProbeBundleSpec& spec);

// A valid TorchScript archive that is not a bundle (no genre/bundle.json).
void write_plain_torchscript(const std::string& path);

// melspec/specresize params as the elements announce them for `pipeline_middle`
// (e.g. "melspec n-mels=32 ! specresize width=8 height=4 window-frames=10"), read
// from a short audiotestsrc run: {"genre/melspec-params": ..., "genre/specresize-params": ...}.
// Empty object when the pipeline fails.
nlohmann::json capture_preprocessing(const std::string& pipeline_middle);

}  // namespace genre::test
