#include "image/db_scale.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace genre::image {

namespace {

// dst = max(src, floor); returns the largest dst. Eight independent lanes so
// the compiler vectorises the running maximum without -ffast-math.
float clamp_below_and_max(const float* src, float* dst, size_t n, float floor) {
  float lane[8];
  std::fill(lane, lane + 8, -std::numeric_limits<float>::infinity());
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (size_t j = 0; j < 8; ++j) {
      float v = src[i + j] > floor ? src[i + j] : floor;
      dst[i + j] = v;
      lane[j] = v > lane[j] ? v : lane[j];
    }
  for (; i < n; ++i) {
    float v = src[i] > floor ? src[i] : floor;
    dst[i] = v;
    lane[0] = v > lane[0] ? v : lane[0];
  }
  return *std::max_element(lane, lane + 8);
}

float max_of(const float* src, size_t n) {
  float lane[8];
  std::fill(lane, lane + 8, -std::numeric_limits<float>::infinity());
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (size_t j = 0; j < 8; ++j) lane[j] = src[i + j] > lane[j] ? src[i + j] : lane[j];
  for (; i < n; ++i) lane[0] = src[i] > lane[0] ? src[i] : lane[0];
  return *std::max_element(lane, lane + 8);
}

// dst = max(src * scale + shift, floor): the dB shift and the top-db clip in one pass.
void scale_shift_clip(const float* src, float* dst, size_t n, float scale, float shift, float floor) {
  for (size_t i = 0; i < n; ++i) {
    float v = src[i] * scale + shift;
    dst[i] = v > floor ? v : floor;
  }
}

}  // namespace

float apply_db_scale(const float* src, float* dst, size_t count, const DbParams& params) {
  if (count == 0) throw std::invalid_argument("apply_db_scale: empty window");
  if (count > size_t(INT_MAX))
    throw std::invalid_argument("apply_db_scale: window of " + std::to_string(count) + " values is too large");
  const float no_floor = -std::numeric_limits<float>::infinity();

  if (params.input_scale == InputScale::Power) {
    // max(S, amin), and its maximum = librosa's max(amin, ref) for ref=np.max.
    const double max_power = clamp_below_and_max(src, dst, count, float(params.amin));
    const double ref_db = params.ref == DbRef::Max ? 10.0 * std::log10(max_power)
                                                   : 10.0 * std::log10(std::max(params.amin, 1.0));
    const double max_db = 10.0 * std::log10(max_power) - ref_db;
    cv::Mat row(1, int(count), CV_32F, dst);
    cv::log(row, row);  // vectorised natural log; 10*log10(x) = ln(x) * 10/ln(10)
    const float floor = params.top_db > 0.0 ? float(max_db - params.top_db) : no_floor;
    scale_shift_clip(dst, dst, count, float(10.0 / std::log(10.0)), float(-ref_db), floor);
    return float(max_db);
  }
  // Already dB: only the reference and the top-db clip are applied again.
  const double max_in = max_of(src, count);
  const double ref_db = params.ref == DbRef::Max ? max_in : 0.0;
  const double max_db = max_in - ref_db;
  const float floor = params.top_db > 0.0 ? float(max_db - params.top_db) : no_floor;
  scale_shift_clip(src, dst, count, 1.0f, float(-ref_db), floor);
  return float(max_db);
}

float peak_db(const float* src, size_t count, InputScale input_scale, double amin) {
  if (count == 0) return -std::numeric_limits<float>::infinity();
  const float peak = max_of(src, count);
  if (input_scale == InputScale::Db) return peak;
  return float(10.0 * std::log10(std::max(double(peak), amin)));
}

}  // namespace genre::image
