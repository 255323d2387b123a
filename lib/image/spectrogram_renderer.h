// Turns one window of mel frames into a model-ready image (planar C x H x W
// floats, a PyTorch NCHW tensor with N = 1). In order:
//   1. dB / top-db on the full-resolution window (db_scale.h)
//   2. short windows: pad with the window's dB floor, or repeat the frames
//   3. resize: time -> width, mel bins -> height (rows; mel bin 0 = row 0)
//   4. colour map (implies min-max to [0,1] first), else the plane per channel
//   5. normalisation (minmax / imagenet / mean-std), then low-freq-at flip
// Scratch matrices are reused: rendering a window allocates nothing once the
// shapes are known.
#pragma once

#include <opencv2/core.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "image/area_resize.h"
#include "image/db_scale.h"
#include "image/frame_windower.h"
#include "image/image_config.h"

namespace genre::image {

class SpectrogramRenderer {
 public:
  explicit SpectrogramRenderer(const ImageConfig& config);

  const ImageConfig& config() const { return config_; }
  size_t output_floats() const { return size_t(config_.channels) * config_.height * config_.width; }

  // `frames`: valid_frames * n_mels floats, frame-major. `out`: output_floats().
  void render(const float* frames, uint32_t valid_frames, uint32_t window_frames, uint32_t n_mels,
              WindowFill fill, float* out);
  void render(const Window& window, uint32_t n_mels, float* out) {
    render(window.frames, window.valid_frames, window.window_frames, n_mels, window.fill, out);
  }

 private:
  void fill_short(uint32_t valid_frames, uint32_t window_frames, WindowFill fill);
  void resize(uint32_t window_frames, uint32_t n_mels);
  void write_output(float* out);

  ImageConfig config_;
  DbParams db_;
  int cv_flag_;
  std::vector<double> scale_, offset_;  // per-channel normalisation: x * scale + offset
  cv::Mat work_;     // window_frames x n_mels, dB values
  cv::Mat timed_;    // width x n_mels (area path)
  cv::Mat mel_time_; // n_mels x (width or window_frames)
  cv::Mat resized_;  // height x width
  std::unique_ptr<AreaShrink> shrink_;
  std::vector<int> index_;  // colour map indices of one row
};

}  // namespace genre::image
