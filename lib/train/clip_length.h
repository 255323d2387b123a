// The clip length a whole-clip model is trained on. A dataset made per clip without a cut
// (specresize max-frames=0) squeezes each clip, whatever its length, into one image; the
// bundle must say which time scale that was, or classification would squeeze a 4-minute
// song into the image that held a 30-second clip. The median frame count of the training
// clips is recorded as specresize's max-frames in the bundle's preprocessing, and
// classification cuts longer input into clips of that length (infer/pipeline_plan.h).
#pragma once

#include <nlohmann/json.hpp>

#include "shard/dataset_reader.h"

namespace genre::train {

// The median of the training clips' frame counts (their `window.window_frames`, as
// datasetsink records them), from up to 10,000 clips spread over the split; 0 when the
// split has none or no sample records its length.
unsigned median_clip_frames(const shard::DatasetReader& reader, const std::string& split);

// For whole-clip preprocessing without a cut (window-frames=0, max-frames=0): sets the
// specresize params' max-frames to median_clip_frames(reader, "train") when known. Any
// other preprocessing is left as it is.
void record_trained_clip_length(nlohmann::json& preprocessing, const shard::DatasetReader& reader);

}  // namespace genre::train
