// SpectrogramRenderer against independent expectations: cv::resize with the
// same flag on the (mel x time) image, block means for area shrinking,
// matplotlib's colour map values, and the normalisation formulas.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "image/spectrogram_renderer.h"

using namespace genre::image;

namespace {

// Frame-major random dB values in [-80, 0].
std::vector<float> random_frames(uint32_t frames, uint32_t mels, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-80.0f, 0.0f);
  std::vector<float> v(size_t(frames) * mels);
  for (float& x : v) x = d(rng);
  return v;
}

// The values as an image: rows = mel bins, columns = frames.
cv::Mat mel_by_time(const std::vector<float>& frames, uint32_t n_frames, uint32_t mels) {
  cv::Mat fm(int(n_frames), int(mels), CV_32F, const_cast<float*>(frames.data()));
  cv::Mat t;
  cv::transpose(fm, t);
  return t;
}

// Pass-through dB settings, raw values out: only the resize acts.
ImageConfig plain(int w, int h, Interpolation interp) {
  ImageConfig c;
  c.width = w;
  c.height = h;
  c.interpolation = interp;
  c.input_scale = InputScale::Db;
  c.db_ref = DbRef::One;
  c.top_db = 0.0;
  c.normalization = Normalization::None;
  return c;
}

std::vector<float> render(const ImageConfig& c, const std::vector<float>& frames, uint32_t n, uint32_t mels,
                          uint32_t window = 0, WindowFill fill = WindowFill::None) {
  SpectrogramRenderer r(c);
  std::vector<float> out(r.output_floats(), -12345.0f);
  r.render(frames.data(), n, window ? window : n, mels, fill, out.data());
  return out;
}

void expect_plane_near(const std::vector<float>& out, const cv::Mat& want, double tol, size_t channel = 0) {
  const size_t plane = size_t(want.rows) * want.cols;
  for (int y = 0; y < want.rows; ++y)
    for (int x = 0; x < want.cols; ++x)
      ASSERT_NEAR(out[channel * plane + size_t(y) * want.cols + x], want.at<float>(y, x), tol)
          << "y=" << y << " x=" << x << " channel=" << channel;
}

}  // namespace

TEST(SpectrogramRenderer, NonAreaEqualsCvResize) {
  const uint32_t frames = 97, mels = 40;
  auto in = random_frames(frames, mels);
  for (auto [interp, flag] : {std::pair{Interpolation::Linear, cv::INTER_LINEAR},
                              std::pair{Interpolation::Cubic, cv::INTER_CUBIC},
                              std::pair{Interpolation::Nearest, cv::INTER_NEAREST}}) {
    for (auto [w, h] : {std::pair{32, 64}, std::pair{224, 224}, std::pair{50, 20}}) {
      cv::Mat want;
      cv::resize(mel_by_time(in, frames, mels), want, cv::Size(w, h), 0, 0, flag);
      expect_plane_near(render(plain(w, h, interp), in, frames, mels), want, 0.0);
    }
  }
}

TEST(SpectrogramRenderer, AreaShrinkIsBlockMean) {
  // 8 frames -> 2 columns, 4 mel bins -> 2 rows: each pixel is the mean of a 4x2 block.
  const uint32_t frames = 8, mels = 4;
  auto in = random_frames(frames, mels, 7);
  auto out = render(plain(2, 2, Interpolation::Area), in, frames, mels);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x) {
      double sum = 0;
      for (int f = 4 * x; f < 4 * x + 4; ++f)
        for (int m = 2 * y; m < 2 * y + 2; ++m) sum += in[size_t(f) * mels + size_t(m)];
      EXPECT_NEAR(out[size_t(y) * 2 + size_t(x)], sum / 8.0, 1e-4);
    }
}

TEST(SpectrogramRenderer, AreaBothShrinkingEqualsCvResize) {
  const uint32_t frames = 301, mels = 96;
  auto in = random_frames(frames, mels, 3);
  cv::Mat want;
  cv::resize(mel_by_time(in, frames, mels), want, cv::Size(64, 40), 0, 0, cv::INTER_AREA);
  expect_plane_near(render(plain(64, 40, Interpolation::Area), in, frames, mels), want, 1e-4);
}

TEST(SpectrogramRenderer, AreaMixedIsCvResizeOneAxisAtATime) {
  // 1292x128 -> 224x224: time shrinks (averaged), mel bins grow. Expected: OpenCV's
  // area resize of the time axis alone, then of the mel axis alone.
  const uint32_t frames = 1292, mels = 128;
  auto in = random_frames(frames, mels, 5);
  cv::Mat timed, want;
  cv::resize(mel_by_time(in, frames, mels), timed, cv::Size(224, int(mels)), 0, 0, cv::INTER_AREA);
  cv::resize(timed, want, cv::Size(224, 224), 0, 0, cv::INTER_AREA);
  expect_plane_near(render(plain(224, 224, Interpolation::Area), in, frames, mels), want, 1e-4);
}

TEST(SpectrogramRenderer, AreaGrowingTimeEqualsCvResize) {
  const uint32_t frames = 20, mels = 16;
  auto in = random_frames(frames, mels, 9);
  cv::Mat timed, want;
  cv::resize(mel_by_time(in, frames, mels), timed, cv::Size(64, int(mels)), 0, 0, cv::INTER_AREA);
  cv::resize(timed, want, cv::Size(64, 8), 0, 0, cv::INTER_AREA);
  expect_plane_near(render(plain(64, 8, Interpolation::Area), in, frames, mels), want, 1e-4);
}

TEST(SpectrogramRenderer, DbAndTopDbOnFullResolutionBeforeResize) {
  // Power input, ref=max, top-db=20: 10*log10(S/max) floored at -20 dB, then the
  // area average of 2 frames. Frame values (one mel bin): 1, 1e-4, 0.1, 0.1.
  std::vector<float> in = {1.0f, 1e-4f, 0.1f, 0.1f};
  ImageConfig c = plain(2, 1, Interpolation::Area);
  c.input_scale = InputScale::Power;
  c.db_ref = DbRef::Max;
  c.top_db = 20.0;
  auto out = render(c, in, 4, 1);
  EXPECT_NEAR(out[0], (0.0 + -20.0) / 2, 1e-4);  // -40 dB raised to -20 before averaging
  EXPECT_NEAR(out[1], -10.0, 1e-4);
}

TEST(SpectrogramRenderer, LowFreqAtBottomFlipsRows) {
  const uint32_t frames = 30, mels = 12;
  auto in = random_frames(frames, mels, 11);
  ImageConfig top = plain(30, 12, Interpolation::Nearest);
  ImageConfig bottom = top;
  bottom.low_freq_at = LowFreqAt::Bottom;
  auto a = render(top, in, frames, mels), b = render(bottom, in, frames, mels);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 30; ++x) {
      EXPECT_EQ(a[size_t(y) * 30 + size_t(x)], in[size_t(x) * mels + size_t(y)]);  // row 0 = mel bin 0
      EXPECT_EQ(b[size_t(11 - y) * 30 + size_t(x)], a[size_t(y) * 30 + size_t(x)]);
    }
}

TEST(SpectrogramRenderer, MinMaxAndThreePlanes) {
  const uint32_t frames = 50, mels = 20;
  auto in = random_frames(frames, mels, 13);
  ImageConfig c = plain(50, 20, Interpolation::Nearest);
  c.normalization = Normalization::MinMax;
  c.channels = 3;
  auto out = render(c, in, frames, mels);
  float lo = *std::min_element(in.begin(), in.end()), hi = *std::max_element(in.begin(), in.end());
  const size_t plane = 50 * 20;
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 50; ++x) {
      float want = (in[size_t(x) * mels + size_t(y)] - lo) / (hi - lo);
      for (size_t ch = 0; ch < 3; ++ch) EXPECT_NEAR(out[ch * plane + size_t(y) * 50 + size_t(x)], want, 1e-5);
    }
}

TEST(SpectrogramRenderer, ImageNetAndMeanStd) {
  const uint32_t frames = 10, mels = 6;
  auto in = random_frames(frames, mels, 17);
  float lo = *std::min_element(in.begin(), in.end()), hi = *std::max_element(in.begin(), in.end());
  ImageConfig c = plain(10, 6, Interpolation::Nearest);
  c.channels = 3;
  c.normalization = Normalization::ImageNet;
  auto net = render(c, in, frames, mels);
  c.normalization = Normalization::MeanStd;
  c.mean = {-40.0, -30.0, -20.0};
  c.std = {10.0};
  auto ms = render(c, in, frames, mels);
  const double mean[3] = {0.485, 0.456, 0.406}, stdv[3] = {0.229, 0.224, 0.225};
  for (size_t ch = 0; ch < 3; ++ch)
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 10; ++x) {
        float v = in[size_t(x) * mels + size_t(y)];
        size_t at = ch * 60 + size_t(y) * 10 + size_t(x);
        EXPECT_NEAR(net[at], ((v - lo) / (hi - lo) - mean[ch]) / stdv[ch], 1e-4);
        EXPECT_NEAR(ms[at], (v - c.mean[ch]) / 10.0, 1e-4);
      }
}

TEST(SpectrogramRenderer, ColormapsMatchMatplotlib) {
  // One mel bin, 5 frames of dB values 0, 30, 50, 99.9, 100: min-max gives
  // 0, 0.3, 0.5, 0.999, 1. Expected colours from matplotlib 3.6.3:
  //   /usr/bin/python3 -c "from matplotlib import colormaps as c; import numpy as np;
  //     print(c['viridis'](np.array([0, .3, .5, .999, 1.]))[:, :3])"   (same for magma, gray)
  std::vector<float> in = {0.0f, 30.0f, 50.0f, 99.9f, 100.0f};
  const float viridis[5][3] = {{0.267004f, 0.004874f, 0.329415f}, {0.206756f, 0.371758f, 0.553117f},
                               {0.127568f, 0.566949f, 0.550556f}, {0.993248f, 0.906157f, 0.143936f},
                               {0.993248f, 0.906157f, 0.143936f}};
  const float magma[5][3] = {{0.001462f, 0.000466f, 0.013866f}, {0.390384f, 0.100379f, 0.501864f},
                             {0.716387f, 0.214982f, 0.475290f}, {0.987053f, 0.991438f, 0.749504f},
                             {0.987053f, 0.991438f, 0.749504f}};
  const float gray[5] = {0.0f, 0.298039f, 0.501961f, 1.0f, 1.0f};
  ImageConfig c = plain(5, 1, Interpolation::Nearest);
  c.channels = 3;
  c.normalization = Normalization::None;
  c.colormap = Colormap::Viridis;
  auto v = render(c, in, 5, 1);
  c.colormap = Colormap::Magma;
  auto m = render(c, in, 5, 1);
  c.colormap = Colormap::Gray;
  auto g = render(c, in, 5, 1);
  c.channels = 1;
  auto g1 = render(c, in, 5, 1);
  for (size_t x = 0; x < 5; ++x) {
    for (size_t ch = 0; ch < 3; ++ch) {
      EXPECT_NEAR(v[ch * 5 + x], viridis[x][ch], 1e-6) << "viridis x=" << x << " ch=" << ch;
      EXPECT_NEAR(m[ch * 5 + x], magma[x][ch], 1e-6) << "magma x=" << x << " ch=" << ch;
      EXPECT_NEAR(g[ch * 5 + x], gray[x], 1e-6) << "gray x=" << x;
    }
    EXPECT_NEAR(g1[x], gray[x], 1e-6);
  }
  // ImageNet normalisation applies to the colour-mapped RGB values.
  c.channels = 3;
  c.colormap = Colormap::Viridis;
  c.normalization = Normalization::ImageNet;
  auto vn = render(c, in, 5, 1);
  EXPECT_NEAR(vn[0 * 5 + 2], (0.127568 - 0.485) / 0.229, 1e-5);
  EXPECT_NEAR(vn[2 * 5 + 2], (0.550556 - 0.406) / 0.225, 1e-5);
}

TEST(SpectrogramRenderer, PadWithDbFloorAndRepeat) {
  // 3 valid frames of 2 mel bins in a 6-frame window; nearest 6x2 maps pixels 1:1.
  std::vector<float> in = {-10.0f, -20.0f, -30.0f, -5.0f, -40.0f, -15.0f};
  ImageConfig c = plain(6, 2, Interpolation::Nearest);
  auto pad = render(c, in, 3, 2, 6, WindowFill::Pad);
  auto rep = render(c, in, 3, 2, 6, WindowFill::Repeat);
  for (size_t y = 0; y < 2; ++y)
    for (size_t x = 0; x < 6; ++x) {
      float real = in[(x % 3) * 2 + y];
      EXPECT_EQ(pad[y * 6 + x], x < 3 ? real : -40.0f) << "pad y=" << y << " x=" << x;  // floor = window min
      EXPECT_EQ(rep[y * 6 + x], real) << "repeat y=" << y << " x=" << x;
    }
}

TEST(SpectrogramRenderer, RejectsEmptyOrUnfilledWindows) {
  SpectrogramRenderer r(plain(4, 4, Interpolation::Area));
  std::vector<float> in(8, 0.0f), out(r.output_floats());
  EXPECT_THROW(r.render(in.data(), 0, 4, 2, WindowFill::Pad, out.data()), std::invalid_argument);
  EXPECT_THROW(r.render(in.data(), 2, 4, 2, WindowFill::None, out.data()), std::invalid_argument);
}
