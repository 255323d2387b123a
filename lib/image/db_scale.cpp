#include "image/db_scale.h"

#include <opencv2/core.hpp>

#include <climits>
#include <cmath>
#include <stdexcept>

namespace genre::image {

float apply_db_scale(const float* src, float* dst, size_t count, const DbParams& params) {
  if (count == 0) throw std::invalid_argument("apply_db_scale: empty window");
  if (count > size_t(INT_MAX))
    throw std::invalid_argument("apply_db_scale: window of " + std::to_string(count) + " values is too large");
  // One row over the whole window: OpenCV's vectorised element-wise kernels.
  const cv::Mat in(1, int(count), CV_32F, const_cast<float*>(src));
  cv::Mat out(1, int(count), CV_32F, dst);

  double max_db = 0.0;
  if (params.input_scale == InputScale::Power) {
    cv::max(in, params.amin, out);
    double max_power = 0.0;
    cv::minMaxLoc(out, nullptr, &max_power);  // = max(amin, max(S)), librosa's ref clamp
    double ref_db = params.ref == DbRef::Max ? 10.0 * std::log10(max_power) : 10.0 * std::log10(std::max(params.amin, 1.0));
    cv::log(out, out);
    out.convertTo(out, CV_32F, 10.0 / std::log(10.0), -ref_db);
    max_db = 10.0 * std::log10(max_power) - ref_db;
  } else {
    double max_in = 0.0;
    cv::minMaxLoc(in, nullptr, &max_in);
    double ref_db = params.ref == DbRef::Max ? max_in : 0.0;
    in.convertTo(out, CV_32F, 1.0, -ref_db);
    max_db = max_in - ref_db;
  }
  if (params.top_db > 0.0) cv::max(out, max_db - params.top_db, out);
  return float(max_db);
}

}  // namespace genre::image
