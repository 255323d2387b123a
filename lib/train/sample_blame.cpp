#include "train/sample_blame.h"

#include <cmath>
#include <vector>

namespace genre::train {

std::string non_finite_samples(const loader::Batch& batch, const SampleList& samples,
                               const shard::DatasetReader& reader) {
  if (batch.size <= 0) return "";
  const std::size_t floats = batch.images.size() / static_cast<std::size_t>(batch.size);
  std::vector<std::string> names;
  std::size_t count = 0;
  for (std::int64_t i = 0; i < batch.size; ++i) {
    const float* image = batch.images.data() + static_cast<std::size_t>(i) * floats;
    bool finite = true;
    for (std::size_t k = 0; k < floats; ++k) finite &= std::isfinite(image[k]);
    if (finite || static_cast<std::size_t>(i) >= batch.positions.size()) continue;
    ++count;
    const auto position = static_cast<std::size_t>(batch.positions[static_cast<std::size_t>(i)]);
    if (names.size() == 3 || position >= samples.size()) continue;
    const loader::SampleInfo& info = *samples[position];
    const shard::SampleView view = reader.sample(info.split, info.index);
    names.push_back("sample " + std::string(view.key) + " (split " + info.split + ", shard " + std::string(view.shard) +
                    ")");
  }
  if (count == 0) return "";
  std::string text;
  for (std::size_t k = 0; k < names.size(); ++k) text += (k ? ", " : "") + names[k];
  if (count > names.size()) text += " and " + std::to_string(count - names.size()) + " more";
  text += count == 1 ? " holds" : " hold";
  text += " NaN or Inf values";
  if (!batch.mix_perm.empty()) text += " (after mixup, which blends each sample with a partner)";
  return text;
}

}  // namespace genre::train
