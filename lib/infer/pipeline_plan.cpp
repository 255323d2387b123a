#include "infer/pipeline_plan.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "infer/infer_error.h"
#include "infer/preprocessing_check.h"

namespace genre::infer {

using nlohmann::json;

namespace {

// Recorded, but not properties of the element that recorded them (derived
// from upstream, or fixed), or chosen by the plan itself.
const std::set<std::string> kMelspecNotSet = {"frames-per-buffer"};
constexpr unsigned kLiveFramesPerBuffer = 4;
const std::set<std::string> kSpecresizeNotSet = {"n-mels", "amin", "window-frames", "hop-frames", "max-frames",
                                                 "mean", "std"};

double number(const json& params, const char* key, const char* element) {
  if (!params.contains(key) || !params[key].is_number() || params[key].get<double>() <= 0)
    throw InferError(std::string("the bundle's preprocessing has no usable ") + element + " " + key);
  return params[key].get<double>();
}

PropertyList properties(const json& params, const std::set<std::string>& skip) {
  PropertyList out;
  for (const auto& [key, value] : params.items())
    if (!skip.count(key) && !value.is_null()) out.emplace_back(key, property_text(value));
  return out;
}

}  // namespace

std::string property_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer()) return value.dump();
  if (value.is_number()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", value.get<double>());
    return buf;
  }
  return value.dump();
}

PipelinePlan plan_pipeline(const json& preprocessing, const PlanOptions& options) {
  if (!preprocessing.is_object() || !preprocessing.contains(kMelspecParams) ||
      !preprocessing.contains(kSpecresizeParams))
    throw InferError("the bundle records no melspec/specresize preprocessing: the pipeline cannot be rebuilt");
  if (!(options.hop_seconds > 0)) throw InferError("the hop must be a positive number of seconds");
  const json& mel = preprocessing[kMelspecParams];
  const json& spec = preprocessing[kSpecresizeParams];
  PipelinePlan plan;
  plan.sample_rate = unsigned(number(mel, "sample-rate", "melspec"));
  plan.frame_seconds = number(mel, "hop-length", "melspec") / plan.sample_rate;
  plan.melspec = properties(mel, kMelspecNotSet);
  // Live: frames leave melspec in small buffers, so a window is not held back by a 0.7 s batch of frames.
  if (options.live) plan.melspec.emplace_back("frames-per-buffer", std::to_string(kLiveFramesPerBuffer));
  plan.specresize = properties(spec, kSpecresizeNotSet);
  if (spec.value("normalization", "") == "mean-std") {
    for (const char* key : {"mean", "std"})
      if (spec.contains(key)) plan.specresize.emplace_back(key, property_text(spec[key]));
  }

  const unsigned trained_window = spec.contains("window-frames") ? unsigned(spec["window-frames"].get<double>()) : 0;
  const unsigned trained_max = spec.contains("max-frames") ? unsigned(spec["max-frames"].get<double>()) : 0;
  const unsigned hop = unsigned(std::max(1.0, std::round(options.hop_seconds / plan.frame_seconds)));
  if (trained_window > 0) {
    plan.window_frames = trained_window;
    plan.hop_frames = hop;
  } else if (options.live) {
    if (trained_max == 0)
      throw InferError("the model was trained on whole clips of any length (window-frames=0, max-frames=0): "
                       "a live stream has no clip end to classify");
    plan.window_frames = trained_max;
    plan.hop_frames = hop;
  } else if (trained_max > 0) {
    // Clips of the length trained on, one after another (the last one padded), averaged by the
    // whole-stream verdict: a 4-minute song is not squeezed into one 30-second image.
    plan.window_frames = trained_max;
    plan.hop_frames = trained_max;
  } else {
    plan.window_frames = 0;  // a bundle that records no clip length (made before genre-train recorded it)
    plan.hop_frames = 0;
    plan.specresize.emplace_back("max-frames", "0");
  }
  plan.specresize.emplace_back("window-frames", std::to_string(plan.window_frames));
  plan.specresize.emplace_back("hop-frames", std::to_string(plan.hop_frames));
  return plan;
}

}  // namespace genre::infer
