// Each augmentation does what it says, checked on the loader's batches against
// the reader's images, plus the building blocks (bilinear crop, Beta sampler).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "loader/augment.h"
#include "loader/batch_loader.h"
#include "loader/random_streams.h"
#include "loader_test_util.h"

using namespace genre;
using namespace genre::loader;
using namespace genre::loader::test;

namespace {

const std::vector<std::uint64_t> kGray{1, 10, 16};
const std::vector<std::uint64_t> kColour{3, 6, 10};

class AugmentTest : public ::testing::Test {
 protected:
  void open(const std::vector<std::uint64_t>& shape) {
    write_tracks(tmp_.path(), plain_tracks(24), shape);
    reader_ = std::make_unique<shard::DatasetReader>(tmp_.path());
    table_ = std::make_unique<SampleTable>(*reader_);
    samples_ = table_->select({"train"});
    shape_ = ImageShape{std::size_t(shape[0]), std::size_t(shape[1]), std::size_t(shape[2])};
  }

  // (augmented image, original image) for every sample of one epoch.
  std::vector<std::pair<std::vector<float>, std::vector<float>>> pairs(const AugmentConfig& a,
                                                                       std::int64_t epoch = 0) const {
    LoaderOptions o;
    o.batch_size = 6;
    o.shuffle = true;
    o.epoch = epoch;
    o.augment = a;
    BatchLoader loader(*reader_, samples_, o);
    std::vector<std::pair<std::vector<float>, std::vector<float>>> out;
    const std::size_t n = shape_.size();
    while (auto b = loader.next()) {
      for (std::int64_t i = 0; i < b->size; ++i) {
        const float* img = b->images.data() + std::size_t(i) * n;
        out.emplace_back(std::vector<float>(img, img + n),
                         reader_image(*reader_, *samples_[std::size_t(b->positions[std::size_t(i)])]));
      }
    }
    return out;
  }

  float at(const std::vector<float>& img, std::size_t c, std::size_t y, std::size_t x) const {
    return img[(c * shape_.height + y) * shape_.width + x];
  }

  shard::test::TempDir tmp_;
  std::unique_ptr<shard::DatasetReader> reader_;
  std::unique_ptr<SampleTable> table_;
  std::vector<const SampleInfo*> samples_;
  ImageShape shape_;
};

}  // namespace

TEST_F(AugmentTest, TimeMasksSetWholeColumnsToTheImageMean) {
  open(kGray);
  AugmentConfig a;
  a.time_masks = 2;
  a.time_mask_max = 4;
  std::size_t masked_total = 0;
  for (const auto& [img, orig] : pairs(a)) {
    const float mean = static_cast<float>(image_mean(orig.data(), shape_));
    std::size_t masked = 0;
    for (std::size_t x = 0; x < shape_.width; ++x) {
      bool all_mean = true, all_orig = true;
      for (std::size_t y = 0; y < shape_.height; ++y) {
        all_mean = all_mean && at(img, 0, y, x) == mean;
        all_orig = all_orig && at(img, 0, y, x) == at(orig, 0, y, x);
      }
      EXPECT_TRUE(all_mean || all_orig) << "column " << x << " is partly changed";
      masked += all_mean && !all_orig;
    }
    EXPECT_LE(masked, 8u);
    masked_total += masked;
  }
  EXPECT_GT(masked_total, 24u);
}

TEST_F(AugmentTest, FreqMasksSetWholeRowsOfEveryChannelToTheImageMean) {
  open(kColour);
  AugmentConfig a;
  a.freq_masks = 1;
  a.freq_mask_max = 3;
  std::size_t masked_total = 0;
  for (const auto& [img, orig] : pairs(a)) {
    const float mean = static_cast<float>(image_mean(orig.data(), shape_));
    std::size_t masked = 0;
    for (std::size_t y = 0; y < shape_.height; ++y) {
      bool all_mean = true, all_orig = true;
      for (std::size_t c = 0; c < shape_.channels; ++c)
        for (std::size_t x = 0; x < shape_.width; ++x) {
          all_mean = all_mean && at(img, c, y, x) == mean;
          all_orig = all_orig && at(img, c, y, x) == at(orig, c, y, x);
        }
      EXPECT_TRUE(all_mean || all_orig) << "row " << y << " is partly changed";
      masked += all_mean && !all_orig;
    }
    EXPECT_LE(masked, 3u);
    masked_total += masked;
  }
  EXPECT_GT(masked_total, 12u);
}

TEST_F(AugmentTest, FlipReversesTimeForAboutHalfTheSamples) {
  open(kGray);
  AugmentConfig a;
  a.hflip = true;
  int flipped = 0, kept = 0;
  for (const auto& [img, orig] : pairs(a)) {
    std::vector<float> reversed = orig;
    for (std::size_t y = 0; y < shape_.height; ++y)
      std::reverse(reversed.begin() + long(y * shape_.width), reversed.begin() + long((y + 1) * shape_.width));
    if (img == reversed)
      ++flipped;
    else if (img == orig)
      ++kept;
    else
      ADD_FAILURE() << "neither the image nor its time reversal";
  }
  EXPECT_GE(flipped, 4);
  EXPECT_GE(kept, 4);
}

TEST_F(AugmentTest, RandomResizedCropKeepsTheShapeAndInterpolatesInsideTheImage) {
  open(kGray);
  AugmentConfig a;
  a.random_resized_crop = true;
  a.crop_scale_min = 0.3;
  a.crop_ratio_jitter = 0.3;
  int changed = 0;
  for (const auto& [img, orig] : pairs(a)) {
    ASSERT_EQ(img.size(), orig.size());
    const auto [lo, hi] = std::minmax_element(orig.begin(), orig.end());
    for (float v : img) {
      EXPECT_GE(v, *lo);
      EXPECT_LE(v, *hi);
    }
    changed += img != orig;
  }
  EXPECT_GE(changed, 20);
  // The whole image at scale 1 and no aspect jitter: an exact copy.
  a.crop_scale_min = 1.0;
  a.crop_ratio_jitter = 0.0;
  for (const auto& [img, orig] : pairs(a)) EXPECT_EQ(img, orig);
}

TEST_F(AugmentTest, ColorJitterIsOneAffineMapPerImageWithinItsRange) {
  open(kColour);
  AugmentConfig a;
  a.color_jitter = 0.2;
  int changed = 0;
  for (const auto& [img, orig] : pairs(a)) {
    // out = b * (c * x + (1 - c) * m): slope b*c, and the grayscale mean scales by b.
    const auto [lo, hi] = std::minmax_element(orig.begin(), orig.end());
    const std::size_t i = std::size_t(lo - orig.begin()), j = std::size_t(hi - orig.begin());
    const double slope = (double(img[j]) - img[i]) / (double(orig[j]) - orig[i]);
    EXPECT_GE(slope, 0.8 * 0.8 - 1e-4);
    EXPECT_LE(slope, 1.2 * 1.2 + 1e-4);
    const double m = jitter_reference_mean(orig.data(), shape_);
    const double out_m = jitter_reference_mean(img.data(), shape_);
    const double brightness = out_m / m;
    EXPECT_GE(brightness, 0.8 - 1e-4);
    EXPECT_LE(brightness, 1.2 + 1e-4);
    const double offset = out_m - slope * m;
    for (std::size_t k = 0; k < img.size(); ++k)
      EXPECT_NEAR(img[k], slope * orig[k] + offset, 1e-3 * (1 + std::fabs(orig[k])));
    changed += std::fabs(slope - 1) > 1e-3;
  }
  EXPECT_GE(changed, 20);
}

TEST_F(AugmentTest, GainAddsOneOffsetPerImageWithinItsRange) {
  open(kGray);
  AugmentConfig a;
  a.gain_db = 6;
  std::vector<double> offsets;
  for (const auto& [img, orig] : pairs(a)) {
    const double offset = double(img[0]) - orig[0];
    EXPECT_LE(std::fabs(offset), 6.0 + 1e-4);
    for (std::size_t k = 0; k < img.size(); ++k) EXPECT_NEAR(img[k], orig[k] + offset, 1e-4) << k;
    offsets.push_back(offset);
  }
  // Spread over the range: some clearly negative, some clearly positive, and all different.
  EXPECT_LT(*std::min_element(offsets.begin(), offsets.end()), -2.0);
  EXPECT_GT(*std::max_element(offsets.begin(), offsets.end()), 2.0);
  std::sort(offsets.begin(), offsets.end());
  EXPECT_EQ(std::adjacent_find(offsets.begin(), offsets.end()), offsets.end());
  a.gain_db = -1;
  EXPECT_THROW(a.validate(), std::invalid_argument);
}

TEST_F(AugmentTest, MixupCombinesTwoImagesWithTheReportedLambdaAndPerm) {
  open(kGray);
  LoaderOptions o;
  o.batch_size = 8;
  o.shuffle = true;
  o.augment.hflip = true;
  BatchLoader plain(*reader_, samples_, o);
  o.augment.mixup_alpha = 0.4;
  BatchLoader mixed(*reader_, samples_, o);
  std::set<float> lambdas;
  const std::size_t n = shape_.size();
  while (auto x = plain.next()) {
    auto m = mixed.next();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->positions, x->positions);
    EXPECT_EQ(m->fine, x->fine);  // labels stay; the trainer mixes the loss
    ASSERT_EQ(m->mix_perm.size(), std::size_t(m->size));
    std::vector<std::int64_t> sorted = m->mix_perm;
    std::sort(sorted.begin(), sorted.end());
    for (std::int64_t i = 0; i < m->size; ++i) EXPECT_EQ(sorted[std::size_t(i)], i);
    const float lambda = m->mix_lambda;
    EXPECT_GE(lambda, 0.0f);
    EXPECT_LE(lambda, 1.0f);
    lambdas.insert(lambda);
    for (std::size_t i = 0; i < std::size_t(m->size); ++i) {
      const std::size_t j = std::size_t(m->mix_perm[i]);
      for (std::size_t e = 0; e < n; ++e) {
        const float want = lambda * x->images[i * n + e] + (1 - lambda) * x->images[j * n + e];
        EXPECT_NEAR(m->images[i * n + e], want, 1e-4f * (1 + std::fabs(want)));
      }
    }
  }
  EXPECT_FALSE(mixed.next());
  EXPECT_EQ(lambdas.size(), 3u);  // one lambda per batch, all different
}

TEST(Augment, BilinearCropOfARampIsTheRampAtTheSourcePositions) {
  const ImageShape shape{2, 8, 10};
  std::vector<float> src(shape.size()), dst(shape.size());
  for (std::size_t c = 0; c < 2; ++c)
    for (std::size_t y = 0; y < 8; ++y)
      for (std::size_t x = 0; x < 10; ++x) src[(c * 8 + y) * 10 + x] = float(x) + 10.0f * float(y) + 100.0f * float(c);
  const CropBox box{2, 3, 4, 5};  // rows 2..5, columns 3..7
  std::vector<float> rows;
  resize_crop_bilinear(src.data(), shape, box, dst.data(), rows);
  for (std::size_t c = 0; c < 2; ++c)
    for (std::size_t y = 0; y < 8; ++y)
      for (std::size_t x = 0; x < 10; ++x) {
        // Half-pixel centres, clamped to the box's edge pixels.
        const double sx = std::clamp((x + 0.5) * 5.0 / 10.0 - 0.5, 0.0, 4.0) + 3.0;
        const double sy = std::clamp((y + 0.5) * 4.0 / 8.0 - 0.5, 0.0, 3.0) + 2.0;
        EXPECT_NEAR(dst[(c * 8 + y) * 10 + x], sx + 10.0 * sy + 100.0 * double(c), 1e-4) << c << " " << y << " " << x;
      }
}

TEST(Augment, CropBoxesStayInsideTheImageWithTheRequestedArea) {
  const ImageShape shape{1, 32, 128};
  Xoshiro256 rng(5);
  for (int i = 0; i < 500; ++i) {
    const CropBox b = choose_crop(shape, 0.5, 0.25, rng);
    ASSERT_GT(b.width, 0u);
    ASSERT_GT(b.height, 0u);
    EXPECT_LE(b.top + b.height, shape.height);
    EXPECT_LE(b.left + b.width, shape.width);
    const double area = double(b.width * b.height) / double(shape.height * shape.width);
    EXPECT_GE(area, 0.5 * 0.85);  // rounding to whole pixels
    EXPECT_LE(area, 1.0);
    // Aspect within the jitter of the image's own (4:1), up to rounding.
    const double ratio = (double(b.width) / double(b.height)) / 4.0;
    EXPECT_GE(ratio, 1 / 1.25 - 0.1);
    EXPECT_LE(ratio, 1.25 + 0.1);
  }
}

TEST(Augment, BetaSamplerHasTheRightMoments) {
  for (const auto& [a, b] : {std::pair{0.4, 0.4}, std::pair{2.0, 5.0}, std::pair{1.0, 1.0}}) {
    Xoshiro256 rng(123);
    const int n = 40000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      const double x = sample_beta(a, b, rng);
      ASSERT_GE(x, 0.0);
      ASSERT_LE(x, 1.0);
      sum += x;
      sum2 += x * x;
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    const double want_mean = a / (a + b), want_var = a * b / ((a + b) * (a + b) * (a + b + 1));
    EXPECT_NEAR(mean, want_mean, 0.01) << a << "," << b;
    EXPECT_NEAR(var, want_var, 0.01) << a << "," << b;
  }
}
