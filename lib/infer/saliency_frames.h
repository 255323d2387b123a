// Puts the saliency maps of a file's windows back on its mel frames and bands.
// specresize turned each window's n_mels x window_frames dB values into a
// height x width image (time -> columns, mel bin 0 -> row 0 unless
// low-freq-at=bottom); a map in the image's geometry is stretched back over
// the frames the window covers and unflipped, and each frame gets the mean of
// the windows that cover it. Plain C++ (OpenCV's resize), no LibTorch.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace genre::infer {

struct ImageGeometry {
  int height = 0, width = 0;        // the model's image
  bool low_freq_at_bottom = false;  // specresize low-freq-at=bottom: image row 0 is the highest band
  uint32_t n_mels = 0;              // mel bins of the frames the image was made from
};

// From a bundle's preprocessing ({"genre/specresize-params": {height, width,
// low-freq-at, n-mels}}). Throws InferError when a value is missing or unusable.
ImageGeometry image_geometry(const nlohmann::json& preprocessing);

// Centre frequency of each mel band (librosa's mel_frequencies(n_mels + 2,
// fmin, fmax, htk)[1:-1]) from the preprocessing's genre/melspec-params.
// Throws InferError when they are missing.
std::vector<double> mel_band_hz(const nlohmann::json& preprocessing);

// One window's map (height x width floats, image rows) as n_mels x
// window_frames floats, row = mel bin.
std::vector<float> map_to_frames(const float* map, const ImageGeometry& g, uint32_t window_frames);

class FrameSaliency {
 public:
  explicit FrameSaliency(const ImageGeometry& g);

  // A window starting at clip frame `start_frame`, standing for `window_frames`
  // frames of which the first `valid_frames` are audio (the rest padding or
  // repeats, left out).
  void add_window(const float* map, uint64_t start_frame, uint32_t window_frames, uint32_t valid_frames);

  // n_mels x frames() floats (row = mel bin, row-major): the mean over the
  // windows covering each frame, 0 where none does.
  std::vector<float> mean() const;
  uint64_t frames() const { return count_.size(); }  // up to the last real frame any window covered
  uint64_t windows() const { return windows_; }

 private:
  ImageGeometry g_;
  std::vector<float> sum_;        // frame-major: frame * n_mels + bin
  std::vector<uint32_t> count_;   // windows per frame
  uint64_t windows_ = 0;
};

}  // namespace genre::infer
