// specresize's parameters, declared once (params/parameter_table.h): its
// properties, its genre/specresize-params structure, the JSON manifests and
// bundles keep, and what lib/infer plans and checks.
#pragma once

#include <string>

#include "image/frame_windower.h"
#include "image/image_config.h"
#include "params/parameter_table.h"

namespace genre::image {

// input-scale: the two lib values, or "read melspec's caps".
enum class InputScaleChoice { Auto, Db, Power };

// What specresize's properties set.
struct SpecresizeSettings {
  WindowConfig window;
  ImageConfig image;  // image.input_scale, mean and std are resolved at caps time
  InputScaleChoice input_scale = InputScaleChoice::Auto;
  std::string mean_text, std_text;

  // Both configs with mean/std parsed; throws std::invalid_argument naming a property.
  void resolve(WindowConfig* w, ImageConfig* i) const;
};

// What specresize runs with once its input is known: what it records.
struct SpecresizeInEffect {
  WindowConfig window;
  ImageConfig image;
  unsigned n_mels = 0;
};

using SpecresizeTable = params::Table<SpecresizeSettings, SpecresizeInEffect>;
const SpecresizeTable& specresize_parameters();

// Names lib/infer reads by meaning.
namespace specresize_param {
constexpr const char* kRecordName = "genre/specresize-params";
constexpr const char* kWindowFrames = "window-frames";
constexpr const char* kHopFrames = "hop-frames";
constexpr const char* kMaxFrames = "max-frames";
constexpr const char* kNormalization = "normalization";
constexpr const char* kMean = "mean";
constexpr const char* kStd = "std";
}  // namespace specresize_param

}  // namespace genre::image
