#include "train/clip_length.h"

#include <algorithm>
#include <vector>

#include "image/specresize_parameters.h"
#include "infer/preprocessing_check.h"

namespace genre::train {

namespace {
constexpr std::size_t kMaxClipsRead = 10000;
}  // namespace

unsigned median_clip_frames(const shard::DatasetReader& reader, const std::string& split) {
  const std::size_t n = reader.size(split);
  if (n == 0) return 0;
  const std::size_t step = std::max<std::size_t>(1, n / kMaxClipsRead);
  std::vector<unsigned> frames;
  for (std::size_t i = 0; i < n; i += step) {
    const shard::SampleView view = reader.sample(split, i);
    const nlohmann::json meta = nlohmann::json::parse(view.json, nullptr, false);
    if (!meta.is_object() || !meta.contains("window") || !meta["window"].is_object()) continue;
    const nlohmann::json& w = meta["window"];
    if (!w.value("whole_clip", false) || !w.contains("window_frames") || !w["window_frames"].is_number_unsigned())
      continue;
    if (const auto f = w["window_frames"].get<unsigned>(); f > 0) frames.push_back(f);
  }
  if (frames.empty()) return 0;
  const auto mid = frames.begin() + std::ptrdiff_t(frames.size() / 2);
  std::nth_element(frames.begin(), mid, frames.end());
  return *mid;
}

void record_trained_clip_length(nlohmann::json& preprocessing, const shard::DatasetReader& reader) {
  if (!preprocessing.is_object() || !preprocessing.contains(infer::kSpecresizeParams)) return;
  nlohmann::json& spec = preprocessing[infer::kSpecresizeParams];
  if (!spec.is_object()) return;
  for (const char* span : {image::specresize_param::kWindowFrames, image::specresize_param::kMaxFrames})  // windows, or clips already cut to a length
    if (spec.contains(span) && spec[span].is_number() && spec[span].get<double>() > 0) return;
  if (const unsigned clip = median_clip_frames(reader, "train"); clip > 0) spec[image::specresize_param::kMaxFrames] = clip;
}

}  // namespace genre::train
