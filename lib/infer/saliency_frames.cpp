#include "infer/saliency_frames.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <string>

#include "dsp/mel_scale.h"
#include "dsp/melspec_parameters.h"
#include "image/specresize_parameters.h"
#include "infer/infer_error.h"

namespace genre::infer {

using nlohmann::json;

namespace {

const json& record(const json& preprocessing, const char* name) {
  if (!preprocessing.is_object() || !preprocessing.contains(name) || !preprocessing[name].is_object())
    throw InferError(std::string("the model's preprocessing has no ") + name + " record");
  return preprocessing[name];
}

double number(const json& params, const char* record_name, const char* key) {
  if (!params.contains(key) || !params[key].is_number())
    throw InferError(std::string("the model's ") + record_name + " has no number '" + key + "'");
  return params[key].get<double>();
}

}  // namespace

ImageGeometry image_geometry(const json& preprocessing) {
  const char* name = image::specresize_param::kRecordName;
  const json& p = record(preprocessing, name);
  ImageGeometry g;
  g.height = int(number(p, name, "height"));
  g.width = int(number(p, name, "width"));
  g.n_mels = uint32_t(number(p, name, "n-mels"));
  g.low_freq_at_bottom = p.value("low-freq-at", "top") == "bottom";
  if (g.height <= 0 || g.width <= 0 || g.n_mels == 0)
    throw InferError(std::string("the model's ") + name + " records an empty image or no mel bands");
  return g;
}

std::vector<double> mel_band_hz(const json& preprocessing) {
  const char* name = dsp::melspec_param::kRecordName;
  const json& p = record(preprocessing, name);
  const int n_mels = int(number(p, name, "n-mels"));
  const double rate = number(p, name, dsp::melspec_param::kSampleRate);
  const double fmin = p.value("fmin", 0.0), fmax_recorded = p.value("fmax", 0.0);
  const double fmax = fmax_recorded > 0 ? fmax_recorded : rate / 2;
  const bool htk = p.value("htk", false);
  if (n_mels <= 0) throw InferError(std::string("the model's ") + name + " records no mel bands");
  const double lo = dsp::hz_to_mel(fmin, htk), hi = dsp::hz_to_mel(fmax, htk);
  std::vector<double> hz(static_cast<size_t>(n_mels));
  for (int i = 0; i < n_mels; ++i) hz[size_t(i)] = dsp::mel_to_hz(lo + (hi - lo) * (i + 1) / (n_mels + 1), htk);
  return hz;
}

std::vector<float> map_to_frames(const float* map, const ImageGeometry& g, uint32_t window_frames) {
  cv::Mat image(g.height, g.width, CV_32F, const_cast<float*>(map));
  cv::Mat rows_by_bin;
  if (g.low_freq_at_bottom)
    cv::flip(image, rows_by_bin, 0);
  else
    rows_by_bin = image;
  const cv::Size target(int(window_frames), int(g.n_mels));
  cv::Mat out;
  if (target == rows_by_bin.size()) {
    out = rows_by_bin.clone();
  } else {
    const bool shrink = target.width < rows_by_bin.cols || target.height < rows_by_bin.rows;
    cv::resize(rows_by_bin, out, target, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  return std::vector<float>(out.ptr<float>(), out.ptr<float>() + out.total());
}

FrameSaliency::FrameSaliency(const ImageGeometry& g) : g_(g) {}

void FrameSaliency::add_window(const float* map, uint64_t start_frame, uint32_t window_frames,
                               uint32_t valid_frames) {
  if (window_frames == 0) return;
  valid_frames = std::min(valid_frames, window_frames);
  const std::vector<float> frames = map_to_frames(map, g_, window_frames);
  const uint64_t end = start_frame + valid_frames;
  if (count_.size() < end) {
    count_.resize(end, 0);
    sum_.resize(end * g_.n_mels, 0.0f);
  }
  for (uint32_t f = 0; f < valid_frames; ++f) {
    float* dst = sum_.data() + (start_frame + f) * g_.n_mels;
    for (uint32_t b = 0; b < g_.n_mels; ++b) dst[b] += frames[size_t(b) * window_frames + f];
    ++count_[start_frame + f];
  }
  ++windows_;
}

std::vector<float> FrameSaliency::mean() const {
  const size_t n = count_.size();
  std::vector<float> out(size_t(g_.n_mels) * n, 0.0f);
  for (size_t f = 0; f < n; ++f) {
    if (count_[f] == 0) continue;
    for (uint32_t b = 0; b < g_.n_mels; ++b) out[size_t(b) * n + f] = sum_[f * g_.n_mels + b] / float(count_[f]);
  }
  return out;
}

}  // namespace genre::infer
