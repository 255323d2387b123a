// Training-time image augmentation of one [C][H][W] float32 spectrogram image
// (H = frequency rows, W = time columns), and batch-level mixup. Every random
// choice comes from the Xoshiro256 stream the caller passes, so a sample's
// augmentation is a pure function of its seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/prng.h"

namespace genre::loader {

struct AugmentConfig {  // training only; everything off by default
  // torchvision's RandomResizedCrop: a crop of crop_scale_min..1 of the area, aspect
  // ratio log-uniform within [1/(1+jitter), 1+jitter] of the image's own, resized back
  // (bilinear, half-pixel centres) to H x W.
  bool random_resized_crop = false;
  double crop_scale_min = 0.6, crop_ratio_jitter = 0.2;
  // SpecAugment: N masks, each 0..max columns (W axis) wide, filled with the image mean.
  int time_masks = 0, time_mask_max = 0;
  int freq_masks = 0, freq_mask_max = 0;  // same on rows (H axis)
  double mixup_alpha = 0;  // > 0: batch-level mixup, lambda ~ Beta(alpha, alpha)
  bool hflip = false;      // torchvision's RandomHorizontalFlip: time reversal, p = 0.5
  // torchvision's ColorJitter(brightness=a, contrast=a): factors uniform in [1-a, 1+a].
  // No clamp to [0, 1]: images may be mean/std normalised.
  double color_jitter = 0;
  // Random gain: one offset uniform in [-gain_db, gain_db] added to every pixel, which is a
  // change of loudness for log-mel images in dB (specresize db-ref=one, normalization=none).
  double gain_db = 0;

  bool any_per_sample() const;
  // Throws std::invalid_argument naming the field for an out-of-range value.
  void validate() const;
};

struct ImageShape {
  std::size_t channels = 1, height = 0, width = 0;
  std::size_t size() const { return channels * height * width; }
};

struct CropBox {
  std::size_t top = 0, left = 0, height = 0, width = 0;
};

// The crop of RandomResizedCrop: ten tries at a box that fits, else the whole image.
CropBox choose_crop(const ImageShape& shape, double scale_min, double ratio_jitter, Xoshiro256& rng);
// dst[C][H][W] = the box of src[C][H][W] resized bilinearly (align_corners=false, as
// torch's interpolate and cv::resize INTER_LINEAR). A full-image box copies exactly.
// `rows` is scratch memory (the box's rows interpolated along x).
void resize_crop_bilinear(const float* src, const ImageShape& shape, const CropBox& box, float* dst,
                          std::vector<float>& rows);
void flip_time(float* image, const ImageShape& shape);
// Mean over all pixels; for 3 channels the mean of torchvision's grayscale (ColorJitter's contrast reference).
double jitter_reference_mean(const float* image, const ImageShape& shape);
double image_mean(const float* image, const ImageShape& shape);
// image = brightness * (contrast * image + (1 - contrast) * mean): brightness then contrast,
// equal to the other order since neither clamps.
void brightness_contrast(float* image, const ImageShape& shape, double brightness, double contrast);
void fill_columns(float* image, const ImageShape& shape, std::size_t first, std::size_t count, float value);
void fill_rows(float* image, const ImageShape& shape, std::size_t first, std::size_t count, float value);

// The per-sample part of an AugmentConfig, in a fixed order: crop, flip,
// brightness/contrast, gain, frequency masks, time masks (masks last, so they carry
// the mean of the image the model sees). Each step draws from its own
// sub-stream of `sample_seed`, so switching one step on or off leaves the
// others' choices unchanged. Not thread-safe (scratch memory): one per thread.
class Augmenter {
 public:
  Augmenter(const AugmentConfig& config, const ImageShape& shape);
  void apply(float* image, std::uint64_t sample_seed);

 private:
  AugmentConfig config_;
  ImageShape shape_;
  std::vector<float> scratch_, rows_;
};

// Mixup over a batch of n images of `image_size` floats:
// mixed[i] = lambda * images[i] + (1 - lambda) * images[perm[i]]; `mixed` is resized.
void mix_images(const std::vector<float>& images, std::size_t n, std::size_t image_size, float lambda,
                const std::vector<std::int64_t>& perm, std::vector<float>& mixed);

}  // namespace genre::loader
