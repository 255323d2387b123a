// Saliency maps put back on frames and bands: the image's geometry undone
// (resize, low-freq-at flip), overlapping windows averaged, padding left out;
// the mel band centres as librosa computes them.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "dsp/mel_scale.h"
#include "infer/infer_error.h"
#include "infer/saliency_frames.h"

using namespace genre::infer;

namespace {

TEST(SaliencyFrames, SameSizeMapsAreCopiedAndFlippedBack) {
  ImageGeometry g{3, 4, false, 3};
  const std::vector<float> map = {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23};
  EXPECT_EQ(map_to_frames(map.data(), g, 4), map);
  g.low_freq_at_bottom = true;  // image row 0 = the highest band
  const std::vector<float> flipped = {20, 21, 22, 23, 10, 11, 12, 13, 0, 1, 2, 3};
  EXPECT_EQ(map_to_frames(map.data(), g, 4), flipped);
}

TEST(SaliencyFrames, ColumnsAreStretchedOverTheWindowsFrames) {
  // 2 columns for 8 frames: each column's value lands on its half of the frames.
  ImageGeometry g{1, 2, false, 1};
  const std::vector<float> map = {1, 5};
  const std::vector<float> f = map_to_frames(map.data(), g, 8);
  ASSERT_EQ(f.size(), 8u);
  EXPECT_FLOAT_EQ(f[0], 1);
  EXPECT_FLOAT_EQ(f[7], 5);
  for (size_t i = 1; i < f.size(); ++i) EXPECT_GE(f[i], f[i - 1]);
}

TEST(SaliencyFrames, OverlappingWindowsAreAveragedAndPaddingLeftOut) {
  ImageGeometry g{2, 4, false, 2};
  FrameSaliency acc(g);
  const std::vector<float> ones(8, 1.0f), threes(8, 3.0f);
  acc.add_window(ones.data(), 0, 4, 4);    // frames 0..3
  acc.add_window(threes.data(), 2, 4, 3);  // frames 2..4 real, frame 5 padding
  EXPECT_EQ(acc.frames(), 5u);
  EXPECT_EQ(acc.windows(), 2u);
  const std::vector<float> m = acc.mean();  // band-major, 5 frames
  ASSERT_EQ(m.size(), 10u);
  for (int band = 0; band < 2; ++band) {
    const float* row = m.data() + band * 5;
    EXPECT_FLOAT_EQ(row[0], 1);
    EXPECT_FLOAT_EQ(row[1], 1);
    EXPECT_FLOAT_EQ(row[2], 2);
    EXPECT_FLOAT_EQ(row[3], 2);
    EXPECT_FLOAT_EQ(row[4], 3);
  }
}

TEST(SaliencyFrames, WindowsKeepTheirBandsApart) {
  ImageGeometry g{2, 1, false, 2};
  FrameSaliency acc(g);
  const std::vector<float> map = {7, 9};  // band 0: 7, band 1: 9
  acc.add_window(map.data(), 3, 1, 1);
  const std::vector<float> m = acc.mean();
  ASSERT_EQ(m.size(), 8u);  // frames 0..3, nothing before frame 3
  EXPECT_FLOAT_EQ(m[0], 0);
  EXPECT_FLOAT_EQ(m[3], 7);
  EXPECT_FLOAT_EQ(m[4 + 3], 9);
}

TEST(SaliencyFrames, GeometryAndBandsFromThePreprocessing) {
  const nlohmann::json pre = {
      {"genre/melspec-params", {{"n-mels", 128}, {"sample-rate", 22050}, {"fmin", 0.0}, {"fmax", 0.0}, {"htk", false}}},
      {"genre/specresize-params", {{"height", 96}, {"width", 64}, {"n-mels", 128}, {"low-freq-at", "bottom"}}}};
  const ImageGeometry g = image_geometry(pre);
  EXPECT_EQ(g.height, 96);
  EXPECT_EQ(g.width, 64);
  EXPECT_EQ(g.n_mels, 128u);
  EXPECT_TRUE(g.low_freq_at_bottom);
  const std::vector<double> hz = mel_band_hz(pre);
  ASSERT_EQ(hz.size(), 128u);
  // librosa.mel_frequencies(130, fmax=11025)[1:-1]: equal steps in Slaney mels, fmax = sr / 2.
  const double step = genre::dsp::hz_to_mel(11025, false) / 129;
  for (size_t i = 0; i < hz.size(); ++i) EXPECT_NEAR(genre::dsp::hz_to_mel(hz[i], false), step * double(i + 1), 1e-9);
  EXPECT_NEAR(hz[0], genre::dsp::mel_to_hz(step, false), 1e-9);
  EXPECT_LT(hz.back(), 11025);
  EXPECT_GT(hz.back(), 10000);
}

TEST(SaliencyFrames, MissingPreprocessingIsAnInferError) {
  EXPECT_THROW(image_geometry(nlohmann::json::object()), InferError);
  EXPECT_THROW(mel_band_hz(nlohmann::json{{"genre/melspec-params", {{"n-mels", 8}}}}), InferError);
}

}  // namespace
