#include "loader/augment.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "loader/random_streams.h"

namespace genre::loader {

namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("AugmentConfig: " + what);
}

// Sub-streams of one sample's seed, one per augmentation step.
enum class Step : std::uint64_t { kCrop = 1, kFlip, kJitter, kFreqMask, kTimeMask, kGain };

Xoshiro256 step_rng(std::uint64_t sample_seed, Step step) {
  return Xoshiro256(mix_seed(sample_seed, static_cast<std::uint64_t>(step)));
}

// One bilinear axis: for each output index, the two source taps and the weight of the second.
struct Taps {
  std::vector<std::uint32_t> lo, hi;
  std::vector<float> frac;
};

Taps axis_taps(std::size_t out_len, std::size_t start, std::size_t in_len) {
  Taps t;
  t.lo.resize(out_len);
  t.hi.resize(out_len);
  t.frac.resize(out_len);
  const double scale = double(in_len) / double(out_len);
  for (std::size_t i = 0; i < out_len; ++i) {
    const double pos = std::max(0.0, (double(i) + 0.5) * scale - 0.5);
    const std::size_t lo = std::min(static_cast<std::size_t>(pos), in_len - 1);
    t.lo[i] = static_cast<std::uint32_t>(start + lo);
    t.hi[i] = static_cast<std::uint32_t>(start + std::min(lo + 1, in_len - 1));
    t.frac[i] = static_cast<float>(pos - double(lo));
  }
  return t;
}

void apply_masks(float* image, const ImageShape& shape, int masks, int max_width, bool columns, float value,
                 Xoshiro256& rng) {
  const std::size_t extent = columns ? shape.width : shape.height;
  for (int m = 0; m < masks; ++m) {
    const std::size_t width = std::min<std::size_t>(rng.bounded(std::uint64_t(max_width) + 1), extent);
    const std::size_t first = rng.bounded(extent - width + 1);
    if (columns)
      fill_columns(image, shape, first, width, value);
    else
      fill_rows(image, shape, first, width, value);
  }
}

}  // namespace

bool AugmentConfig::any_per_sample() const {
  return random_resized_crop || (time_masks > 0 && time_mask_max > 0) || (freq_masks > 0 && freq_mask_max > 0) ||
         hflip || color_jitter > 0 || gain_db > 0;
}

void AugmentConfig::validate() const {
  require(crop_scale_min > 0 && crop_scale_min <= 1, "crop_scale_min must be in (0, 1]");
  require(crop_ratio_jitter >= 0 && std::isfinite(crop_ratio_jitter), "crop_ratio_jitter must be >= 0");
  require(time_masks >= 0 && time_mask_max >= 0, "time_masks and time_mask_max must be >= 0");
  require(freq_masks >= 0 && freq_mask_max >= 0, "freq_masks and freq_mask_max must be >= 0");
  require(mixup_alpha >= 0 && std::isfinite(mixup_alpha), "mixup_alpha must be >= 0");
  require(color_jitter >= 0 && color_jitter < 1, "color_jitter must be in [0, 1)");
  require(gain_db >= 0 && std::isfinite(gain_db), "gain_db must be >= 0");
}

CropBox choose_crop(const ImageShape& shape, double scale_min, double ratio_jitter, Xoshiro256& rng) {
  const double area = double(shape.height) * double(shape.width);
  const double image_ratio = double(shape.width) / double(shape.height);
  const double log_ratio_max = std::log1p(ratio_jitter);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * (scale_min + (1.0 - scale_min) * rng.uniform());
    const double ratio = image_ratio * std::exp(log_ratio_max * (2.0 * rng.uniform() - 1.0));
    const long w = std::lround(std::sqrt(target * ratio));
    const long h = std::lround(std::sqrt(target / ratio));
    if (w > 0 && h > 0 && std::size_t(w) <= shape.width && std::size_t(h) <= shape.height) {
      CropBox box;
      box.height = std::size_t(h);
      box.width = std::size_t(w);
      box.top = rng.bounded(shape.height - box.height + 1);
      box.left = rng.bounded(shape.width - box.width + 1);
      return box;
    }
  }
  return CropBox{0, 0, shape.height, shape.width};
}

void resize_crop_bilinear(const float* src, const ImageShape& shape, const CropBox& box, float* dst,
                          std::vector<float>& rows) {
  const Taps xs = axis_taps(shape.width, box.left, box.width);
  const Taps ys = axis_taps(shape.height, box.top, box.height);
  const std::size_t plane = shape.height * shape.width;
  // Separable: each source row of the box is interpolated along x once, then
  // output rows blend two of those (contiguous, vectorisable).
  rows.resize(box.height * shape.width);
  for (std::size_t c = 0; c < shape.channels; ++c) {
    const float* in = src + c * plane;
    for (std::size_t r = 0; r < box.height; ++r) {
      const float* __restrict row = in + (box.top + r) * shape.width;
      float* __restrict t = rows.data() + r * shape.width;
      for (std::size_t x = 0; x < shape.width; ++x) {
        const float a = row[xs.lo[x]], b = row[xs.hi[x]];
        t[x] = a + xs.frac[x] * (b - a);
      }
    }
    float* out = dst + c * plane;
    for (std::size_t y = 0; y < shape.height; ++y) {
      const float* __restrict t0 = rows.data() + (ys.lo[y] - box.top) * shape.width;
      const float* __restrict t1 = rows.data() + (ys.hi[y] - box.top) * shape.width;
      const float fy = ys.frac[y];
      float* __restrict o = out + y * shape.width;
      for (std::size_t x = 0; x < shape.width; ++x) o[x] = t0[x] + fy * (t1[x] - t0[x]);
    }
  }
}

void flip_time(float* image, const ImageShape& shape) {
  for (std::size_t row = 0; row < shape.channels * shape.height; ++row) {
    float* r = image + row * shape.width;
    std::reverse(r, r + shape.width);
  }
}

double image_mean(const float* image, const ImageShape& shape) {
  const std::size_t n = shape.size();
  if (n == 0) return 0.0;
  // Eight independent sums in a fixed order: vectorisable and the same on every run.
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (std::size_t k = 0; k < 8; ++k) lane[k] += double(image[i + k]);
  double sum = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  for (; i < n; ++i) sum += double(image[i]);
  return sum / double(n);
}

double jitter_reference_mean(const float* image, const ImageShape& shape) {
  if (shape.channels != 3) return image_mean(image, shape);
  static constexpr double kGray[3] = {0.2989, 0.587, 0.114};  // torchvision's rgb_to_grayscale
  const ImageShape plane{1, shape.height, shape.width};
  double mean = 0.0;
  for (std::size_t c = 0; c < 3; ++c) mean += kGray[c] * image_mean(image + c * plane.size(), plane);
  return mean;
}

void brightness_contrast(float* image, const ImageShape& shape, double brightness, double contrast) {
  const double mean = jitter_reference_mean(image, shape);
  const float scale = static_cast<float>(brightness * contrast);
  const float offset = static_cast<float>(brightness * (1.0 - contrast) * mean);
  const std::size_t n = shape.size();
  for (std::size_t i = 0; i < n; ++i) image[i] = scale * image[i] + offset;
}

void fill_columns(float* image, const ImageShape& shape, std::size_t first, std::size_t count, float value) {
  for (std::size_t row = 0; row < shape.channels * shape.height; ++row) {
    float* r = image + row * shape.width + first;
    std::fill(r, r + count, value);
  }
}

void fill_rows(float* image, const ImageShape& shape, std::size_t first, std::size_t count, float value) {
  for (std::size_t c = 0; c < shape.channels; ++c) {
    float* r = image + (c * shape.height + first) * shape.width;
    std::fill(r, r + count * shape.width, value);
  }
}

Augmenter::Augmenter(const AugmentConfig& config, const ImageShape& shape) : config_(config), shape_(shape) {
  config_.validate();
  if (config_.any_per_sample() && (shape.height == 0 || shape.width == 0))
    throw std::invalid_argument("Augmenter: augmentation needs images with height and width");
  if (config_.random_resized_crop) scratch_.resize(shape.size());
}

void Augmenter::apply(float* image, std::uint64_t sample_seed) {
  if (config_.random_resized_crop) {
    Xoshiro256 rng = step_rng(sample_seed, Step::kCrop);
    const CropBox box = choose_crop(shape_, config_.crop_scale_min, config_.crop_ratio_jitter, rng);
    std::memcpy(scratch_.data(), image, shape_.size() * sizeof(float));
    resize_crop_bilinear(scratch_.data(), shape_, box, image, rows_);
  }
  if (config_.hflip) {
    Xoshiro256 rng = step_rng(sample_seed, Step::kFlip);
    if (rng.uniform() < 0.5) flip_time(image, shape_);
  }
  if (config_.color_jitter > 0) {
    Xoshiro256 rng = step_rng(sample_seed, Step::kJitter);
    const double a = config_.color_jitter;
    const double brightness = 1.0 - a + 2.0 * a * rng.uniform();
    const double contrast = 1.0 - a + 2.0 * a * rng.uniform();
    brightness_contrast(image, shape_, brightness, contrast);
  }
  if (config_.gain_db > 0) {
    Xoshiro256 rng = step_rng(sample_seed, Step::kGain);
    const float gain = static_cast<float>(config_.gain_db * (2.0 * rng.uniform() - 1.0));
    for (std::size_t i = 0; i < shape_.size(); ++i) image[i] += gain;
  }
  const bool freq = config_.freq_masks > 0 && config_.freq_mask_max > 0;
  const bool time = config_.time_masks > 0 && config_.time_mask_max > 0;
  if (freq || time) {
    const float mean = static_cast<float>(image_mean(image, shape_));
    if (freq) {
      Xoshiro256 rng = step_rng(sample_seed, Step::kFreqMask);
      apply_masks(image, shape_, config_.freq_masks, config_.freq_mask_max, false, mean, rng);
    }
    if (time) {
      Xoshiro256 rng = step_rng(sample_seed, Step::kTimeMask);
      apply_masks(image, shape_, config_.time_masks, config_.time_mask_max, true, mean, rng);
    }
  }
}

void mix_images(const std::vector<float>& images, std::size_t n, std::size_t image_size, float lambda,
                const std::vector<std::int64_t>& perm, std::vector<float>& mixed) {
  if (perm.size() != n || images.size() != n * image_size)
    throw std::invalid_argument("mix_images: perm and images must hold n entries");
  mixed.resize(n * image_size);
  const float other = 1.0f - lambda;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t j = static_cast<std::size_t>(perm[i]);
    if (j >= n) throw std::invalid_argument("mix_images: perm entry out of range");
    float* __restrict out = mixed.data() + i * image_size;
    const float* __restrict a = images.data() + i * image_size;
    const float* __restrict b = images.data() + j * image_size;
    for (std::size_t e = 0; e < image_size; ++e) out[e] = lambda * a[e] + other * b[e];
  }
}

}  // namespace genre::loader
