// Whether the spectrogram images arriving at a model are made the way the
// images it was trained on were. Upstream elements announce their settings
// (melspec's `genre/melspec-params`, specresize's `genre/specresize-params`);
// the bundle's `preprocessing` holds the same structures from the training
// dataset. Every parameter that changes an image's content must match; the
// elements' parameter tables (dsp/melspec_parameters.h,
// image/specresize_parameters.h) say which do not (melspec's frames-per-buffer:
// how frames are batched; specresize's hop-frames: how often a window starts).
// An image spans window-frames frames, or max-frames for one image per clip, so
// a clip cut to N frames and a sliding window of N frames are the same image.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dsp/melspec_parameters.h"
#include "image/specresize_parameters.h"
#include "params/parameter_table.h"

namespace genre::infer {

constexpr const char* kMelspecParams = dsp::melspec_param::kRecordName;
constexpr const char* kSpecresizeParams = image::specresize_param::kRecordName;

// The parameter tables of melspec and specresize.
const std::vector<const params::TableDeclaration*>& parameter_tables();

// The parameter table of the element that sends `params_name`
// ("genre/melspec-params"); nullptr for a structure no table declares.
const params::TableDeclaration* parameter_table(const std::string& params_name);

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
