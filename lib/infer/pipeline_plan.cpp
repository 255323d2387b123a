#include "infer/pipeline_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "infer/infer_error.h"
#include "infer/preprocessing_check.h"

namespace genre::infer {

using nlohmann::json;
using namespace genre::dsp::melspec_param;
using namespace genre::image::specresize_param;

namespace {

constexpr unsigned kLiveFramesPerBuffer = 4;

// The largest value the element's table declares for `key`: a recorded value above it could
// not be set as a property, and casting it to unsigned would overflow.
double declared_maximum(const params::TableDeclaration& table, const char* key) {
  const params::Declaration* d = table.find(key);
  return d ? d->maximum : 0;
}

double number(const json& params, const char* key, const params::TableDeclaration& table) {
  if (!params.contains(key) || !params[key].is_number() || !(params[key].get<double>() > 0) ||
      params[key].get<double>() > declared_maximum(table, key))
    throw InferError(std::string("the bundle's preprocessing has no usable ") + table.element + " " + key);
  return params[key].get<double>();
}

// A recorded frame count, 0 when absent.
unsigned frames(const json& params, const char* key) {
  if (!params.contains(key)) return 0;
  const json& v = params[key];
  if (!v.is_number() || !(v.get<double>() >= 0) ||
      v.get<double>() > declared_maximum(image::specresize_parameters(), key))
    throw InferError(std::string("the bundle's preprocessing has no usable specresize ") + key);
  return unsigned(v.get<double>());
}

// The recorded parameters that change the images and that the element takes
// as properties (not those it derives, such as specresize's n-mels, nor those
// the plan chooses), but `later`. A name the table does not know is kept: the
// element may have it, and genre-classify refuses a model whose preprocessing
// it cannot set.
PropertyList properties(const json& params, const params::TableDeclaration& table,
                        std::initializer_list<const char*> later = {}) {
  PropertyList out;
  for (const auto& [key, value] : params.items()) {
    const params::Declaration* d = table.find(key);
    if (d && (!d->property || d->effect != params::Effect::Content)) continue;
    if (std::find(later.begin(), later.end(), key) != later.end()) continue;
    if (!value.is_null()) out.emplace_back(key, property_text(value));
  }
  return out;
}

}  // namespace

bool may_change_model_input(const std::string& element, const std::string& property) {
  for (const params::TableDeclaration* t : parameter_tables())
    if (element == t->element) {
      const params::Declaration* d = t->find(property);
      return !d || d->changes_model_input();
    }
  return true;
}

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
  plan.sample_rate = unsigned(number(mel, kSampleRate, dsp::melspec_parameters()));
  plan.frame_seconds = number(mel, kHopLength, dsp::melspec_parameters()) / plan.sample_rate;
  plan.melspec = properties(mel, dsp::melspec_parameters());
  // Live: frames leave melspec in small buffers, so a window is not held back by a 0.7 s batch of frames.
  if (options.live) plan.melspec.emplace_back(kFramesPerBuffer, std::to_string(kLiveFramesPerBuffer));
  // mean and std only with mean-std: otherwise they record the normalisation's own statistics.
  plan.specresize = properties(spec, image::specresize_parameters(), {kMean, kStd});
  if (spec.value(kNormalization, "") == image::to_string(image::Normalization::MeanStd)) {
    for (const char* key : {kMean, kStd})
      if (spec.contains(key)) plan.specresize.emplace_back(key, property_text(spec[key]));
  }

  const unsigned trained_window = frames(spec, kWindowFrames);
  const unsigned trained_max = frames(spec, kMaxFrames);
  const double hop_frames = std::max(1.0, std::round(options.hop_seconds / plan.frame_seconds));
  if (!(hop_frames <= declared_maximum(image::specresize_parameters(), kHopFrames)))
    throw InferError("a hop of " + property_text(options.hop_seconds) + " s is " + property_text(hop_frames) +
                     " frames, more than specresize's hop-frames allows");
  const unsigned hop = unsigned(hop_frames);
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
    plan.specresize.emplace_back(kMaxFrames, "0");
  }
  plan.specresize.emplace_back(kWindowFrames, std::to_string(plan.window_frames));
  plan.specresize.emplace_back(kHopFrames, std::to_string(plan.hop_frames));
  return plan;
}

}  // namespace genre::infer
