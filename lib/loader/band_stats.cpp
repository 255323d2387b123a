#include "loader/band_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace genre::loader {

BandStats band_statistics(const shard::DatasetReader& reader, const std::vector<const SampleInfo*>& samples) {
  const std::vector<std::uint64_t>& shape = reader.shape();
  if (shape.size() < 2) throw std::invalid_argument("band statistics need [C,]H,W samples");
  if (samples.empty()) throw std::invalid_argument("band statistics need at least one sample");
  BandStats stats;
  stats.rows = static_cast<std::size_t>(shape[shape.size() - 2]);
  const std::size_t width = static_cast<std::size_t>(shape.back());
  stats.channels = static_cast<std::size_t>(reader.element_count()) / (stats.rows * width);
  const std::size_t bands = stats.channels * stats.rows;
  std::vector<double> sum(bands, 0.0), sum_sq(bands, 0.0);
  std::vector<float> image(static_cast<std::size_t>(reader.element_count()));
  for (const SampleInfo* s : samples) {
    reader.read_float32(s->split, s->index, image.data());
    for (std::size_t band = 0; band < bands; ++band) {
      const float* row = image.data() + band * width;
      double row_sum = 0, row_sq = 0;
      for (std::size_t x = 0; x < width; ++x) {
        row_sum += row[x];
        row_sq += double(row[x]) * row[x];
      }
      sum[band] += row_sum;
      sum_sq[band] += row_sq;
    }
  }
  const double n = static_cast<double>(samples.size()) * static_cast<double>(width);
  stats.mean.resize(bands);
  stats.std.resize(bands);
  for (std::size_t band = 0; band < bands; ++band) {
    stats.mean[band] = sum[band] / n;
    stats.std[band] = std::sqrt(std::max(0.0, sum_sq[band] / n - stats.mean[band] * stats.mean[band]));
  }
  const double floor = 1e-3 * std::accumulate(stats.std.begin(), stats.std.end(), 0.0) / static_cast<double>(bands);
  for (double& d : stats.std) d = std::max({d, floor, 1e-12});
  return stats;
}

}  // namespace genre::loader
