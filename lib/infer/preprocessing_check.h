// Whether the spectrogram images arriving at a model are made the way the
// images it was trained on were. Upstream elements announce their settings
// (melspec's `genre/melspec-params`, specresize's `genre/specresize-params`);
// the bundle's `preprocessing` holds the same structures from the training
// dataset. Every parameter that changes an image's content must match.
// Exempt: melspec's frames-per-buffer (how frames are batched) and
// specresize's hop-frames (how often a window starts). An image spans
// window-frames frames, or max-frames for one image per clip, so a clip cut to
// N frames and a sliding window of N frames are the same image.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace genre::infer {

constexpr const char* kMelspecParams = "genre/melspec-params";
constexpr const char* kSpecresizeParams = "genre/specresize-params";

// `upstream` is the structure named `params_name` as an element sent it
// (field name -> value). Returns "" when it matches the bundle's
// preprocessing (or the bundle says nothing about `params_name`), else one
// sentence naming the parameter, its value and what the model expects.
std::string check_preprocessing(const std::string& params_name, const nlohmann::json& upstream,
                                const nlohmann::json& bundle_preprocessing);

// Frames one image covers: window-frames, or max-frames when window-frames is 0
// (0 = a whole clip of any length). From specresize params JSON.
unsigned image_span_frames(const nlohmann::json& specresize_params);

}  // namespace genre::infer
