// How to rebuild, from a bundle's preprocessing, the melspec and specresize a
// model was trained behind, so no user ever matches parameters by hand.
// Every recorded parameter becomes a property (those the elements derive
// themselves, such as specresize's n-mels, are left out); only the windowing
// is chosen here:
//   - a bundle trained on sliding windows keeps its window length (it is part
//     of the image) with a hop of `hop_seconds` (1 s by default), turned into
//     frames with the bundle's own sample rate and hop length;
//   - a bundle trained on whole clips records the clip length it was trained
//     on as specresize's max-frames (genre-train: the median of its training
//     clips when the dataset cut none). A file gets consecutive windows of that
//     length (the same image as a clip cut to it, see preprocessing_check.h;
//     the last one padded), so a long file is several clips, averaged by the
//     whole-stream verdict, never one image squeezed to another time scale;
//     live streams get that window every `hop_seconds`. Only an old bundle
//     that records no length (max-frames=0) gets one image per whole file.
// Live plans also make melspec send its frames in small buffers (how frames
// are batched is not preprocessing), so windows are not held back.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace genre::infer {

using PropertyList = std::vector<std::pair<std::string, std::string>>;  // property name -> value text

struct PlanOptions {
  double hop_seconds = 1.0;
  bool live = false;
};

struct PipelinePlan {
  PropertyList melspec;     // for gst_util_set_object_arg, in order
  PropertyList specresize;
  unsigned window_frames = 0;  // 0 = one image per clip
  unsigned hop_frames = 0;
  double frame_seconds = 0;    // one mel frame (hop-length / sample-rate)
  unsigned sample_rate = 0;

  double window_seconds() const { return window_frames * frame_seconds; }
  double hop_seconds() const { return hop_frames * frame_seconds; }
};

// Throws InferError when the preprocessing lacks what the plan needs (a
// sample rate and hop length), names an unusable value, or a live plan is
// asked of a bundle trained on whole clips of any length.
PipelinePlan plan_pipeline(const nlohmann::json& preprocessing, const PlanOptions& options);

// Whether the plan's `property` of `element` ("melspec", "specresize") can
// change what the model is given: false only for what the element's parameter
// table declares as delivery (how frames are batched, how often a window
// starts), true for a name no table declares. Setting such a property is
// required; one that cannot change the input may be left unset.
bool may_change_model_input(const std::string& element, const std::string& property);

// A recorded value as property text: strings as they are, booleans
// "true"/"false", integers in full, other numbers with every digit a double keeps.
std::string property_text(const nlohmann::json& value);

}  // namespace genre::infer
