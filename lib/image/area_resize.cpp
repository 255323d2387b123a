#include "image/area_resize.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace genre::image {

AreaShrink::AreaShrink(size_t src_rows, size_t dst_rows) : src_rows_(src_rows), dst_rows_(dst_rows) {
  if (dst_rows == 0 || src_rows <= dst_rows)
    throw std::invalid_argument("AreaShrink: needs src_rows > dst_rows > 0");
  // Each output row covers [d*scale, (d+1)*scale) of the input: whole rows get
  // weight 1/cell, the partial rows at either end their covered fraction.
  const double scale = double(src_rows) / double(dst_rows);
  const double last = double(src_rows);
  first_tap_.reserve(dst_rows + 1);
  for (size_t d = 0; d < dst_rows; ++d) {
    first_tap_.push_back(taps_.size());
    double f1 = double(d) * scale, f2 = f1 + scale;
    double cell = std::min(scale, last - f1);
    long s2 = std::min(long(std::floor(f2)), long(src_rows) - 1);
    long s1 = std::min(long(std::ceil(f1)), s2);
    if (double(s1) - f1 > 1e-3) taps_.push_back({size_t(s1 - 1), float((double(s1) - f1) / cell)});
    for (long s = s1; s < s2; ++s) taps_.push_back({size_t(s), float(1.0 / cell)});
    if (f2 - double(s2) > 1e-3) taps_.push_back({size_t(s2), float(std::min(std::min(f2 - double(s2), 1.0), cell) / cell)});
  }
  first_tap_.push_back(taps_.size());
}

void AreaShrink::apply(const float* src, float* dst, size_t row_len) const {
  for (size_t d = 0; d < dst_rows_; ++d) {
    float* __restrict out = dst + d * row_len;
    std::fill(out, out + row_len, 0.0f);
    for (size_t t = first_tap_[d]; t < first_tap_[d + 1]; ++t) {
      const float* __restrict in = src + taps_[t].src * row_len;
      const float w = taps_[t].weight;
      for (size_t i = 0; i < row_len; ++i) out[i] += w * in[i];
    }
  }
}

}  // namespace genre::image
