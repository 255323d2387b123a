#include "image/spectrogram_renderer.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "image/colormap.h"

namespace genre::image {

namespace {

int to_cv_flag(Interpolation i) {
  switch (i) {
    case Interpolation::Area: return cv::INTER_AREA;
    case Interpolation::Linear: return cv::INTER_LINEAR;
    case Interpolation::Cubic: return cv::INTER_CUBIC;
    case Interpolation::Nearest: return cv::INTER_NEAREST;
  }
  return cv::INTER_AREA;
}

}  // namespace

SpectrogramRenderer::SpectrogramRenderer(const ImageConfig& config)
    : config_(config), cv_flag_(to_cv_flag(config.interpolation)) {
  config_.validate();
  db_.input_scale = config_.input_scale;
  db_.ref = config_.db_ref;
  db_.top_db = config_.top_db;
  db_.amin = config_.amin;
  std::vector<double> mean = config_.channel_mean(), stdev = config_.channel_std();
  for (int c = 0; c < config_.channels; ++c) {
    if (mean.empty()) {
      scale_.push_back(1.0);
      offset_.push_back(0.0);
    } else {
      scale_.push_back(1.0 / stdev[size_t(c)]);
      offset_.push_back(-mean[size_t(c)] / stdev[size_t(c)]);
    }
  }
}

void SpectrogramRenderer::render(const float* frames, uint32_t valid_frames, uint32_t window_frames,
                                 uint32_t n_mels, WindowFill fill, float* out) {
  if (valid_frames == 0 || n_mels == 0)
    throw std::invalid_argument("SpectrogramRenderer: empty window (" + std::to_string(valid_frames) + " frames of " +
                                std::to_string(n_mels) + " mel bins)");
  if (window_frames < valid_frames || (window_frames > valid_frames && fill == WindowFill::None))
    throw std::invalid_argument("SpectrogramRenderer: window of " + std::to_string(window_frames) + " frames with " +
                                std::to_string(valid_frames) + " valid ones and no fill");
  work_.create(int(window_frames), int(n_mels), CV_32F);
  apply_db_scale(frames, work_.ptr<float>(), size_t(valid_frames) * n_mels, db_);
  if (window_frames > valid_frames) fill_short(valid_frames, window_frames, fill);
  resize(window_frames, n_mels);
  write_output(out);
}

void SpectrogramRenderer::fill_short(uint32_t valid_frames, uint32_t window_frames, WindowFill fill) {
  const size_t row = size_t(work_.cols);
  float* data = work_.ptr<float>();
  if (fill == WindowFill::Repeat) {  // the clip again and again, like np.tile
    for (size_t f = valid_frames; f < window_frames; ++f)
      std::memcpy(data + f * row, data + (f % valid_frames) * row, row * sizeof(float));
    return;
  }
  // Pad with the window's dB floor (its minimum after top-db): silence as the
  // spectrogram itself shows it, not 0 dB (which would be the loudest value).
  double floor_db = 0.0;
  cv::minMaxLoc(work_.rowRange(0, int(valid_frames)), &floor_db, nullptr);
  work_.rowRange(int(valid_frames), int(window_frames)).setTo(floor_db);
}

void SpectrogramRenderer::resize(uint32_t window_frames, uint32_t n_mels) {
  const int width = config_.width, height = config_.height;
  if (config_.interpolation != Interpolation::Area) {
    // Exactly cv::resize on the (mel x time) image.
    cv::transpose(work_, mel_time_);
    cv::resize(mel_time_, resized_, cv::Size(width, height), 0, 0, cv_flag_);
    return;
  }
  // Area: one axis at a time, so a shrinking time axis is averaged even when
  // the mel axis grows (see area_resize.h).
  const cv::Mat* timed = &work_;
  if (int(window_frames) > width) {
    if (!shrink_ || shrink_->src_rows() != window_frames || shrink_->dst_rows() != size_t(width))
      shrink_ = std::make_unique<AreaShrink>(window_frames, size_t(width));
    timed_.create(width, int(n_mels), CV_32F);
    shrink_->apply(work_.ptr<float>(), timed_.ptr<float>(), n_mels);
    timed = &timed_;
  } else if (int(window_frames) < width) {
    cv::resize(work_, timed_, cv::Size(int(n_mels), width), 0, 0, cv::INTER_AREA);
    timed = &timed_;
  }
  cv::transpose(*timed, mel_time_);
  if (int(n_mels) == height)
    mel_time_.copyTo(resized_);
  else
    cv::resize(mel_time_, resized_, cv::Size(width, height), 0, 0, cv::INTER_AREA);
}

void SpectrogramRenderer::write_output(float* out) {
  const int width = config_.width, height = config_.height, channels = config_.channels;
  const size_t plane = size_t(width) * size_t(height);
  double lo = 0.0, hi = 0.0;
  cv::minMaxLoc(resized_, &lo, &hi);
  // min-max to [0,1]; a flat image maps to 0.
  const float inv_range = hi > lo ? float(1.0 / (hi - lo)) : 0.0f;
  const float base = float(lo);
  const auto* table = colormap_table(config_.colormap);
  const bool to_unit = table != nullptr || config_.normalization == Normalization::MinMax ||
                       config_.normalization == Normalization::ImageNet;
  const bool flip = config_.low_freq_at == LowFreqAt::Bottom;

  // Colour maps: the normalised table of each channel, indexed once per pixel.
  float lut[3][256];
  if (table)
    for (int c = 0; c < channels; ++c)
      for (int i = 0; i < 256; ++i) lut[c][i] = float(table[i][c] * scale_[size_t(c)] + offset_[size_t(c)]);
  index_.resize(size_t(width));

  for (int y = 0; y < height; ++y) {
    const float* src = resized_.ptr<float>(flip ? height - 1 - y : y);
    if (table) {
      // As matplotlib: Normalize ((v - min) / (max - min)), then the table index.
      const float range = hi > lo ? float(hi - lo) : 1.0f;
      for (int x = 0; x < width; ++x) index_[size_t(x)] = colormap_index((src[x] - base) / range);
      for (int c = 0; c < channels; ++c) {
        float* dst = out + size_t(c) * plane + size_t(y) * width;
        for (int x = 0; x < width; ++x) dst[x] = lut[c][index_[size_t(x)]];
      }
    } else {
      for (int c = 0; c < channels; ++c) {
        float* dst = out + size_t(c) * plane + size_t(y) * width;
        // (v - base) * inv_range * a + b, folded into one multiply-add.
        const float a = float(scale_[size_t(c)]), b = float(offset_[size_t(c)]);
        const float k = to_unit ? inv_range * a : a;
        const float d = to_unit ? b - base * inv_range * a : b;
        for (int x = 0; x < width; ++x) dst[x] = src[x] * k + d;
      }
    }
  }
}

}  // namespace genre::image
