// specresize's per-window cost and memory, on one thread.
//  1. One 1292x128 window (30 s at 22.05 kHz, hop 512, 128 mels) -> 224x224x3
//     with dB (power input, ref=max, top-db 80), viridis and ImageNet
//     normalisation; against baselines measured here: a memcpy of the window
//     and a plain cv::resize(INTER_AREA) of it.
//  2. Sliding windows (1292 frames, hop 64) over an hour of frames: resident
//     memory after the first minutes and at the end must be the same.
// Exits non-zero only when memory grows (the constant-memory claim).
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "image/frame_windower.h"
#include "image/spectrogram_renderer.h"

using namespace genre::image;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kFrames = 1292, kMels = 128;

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// Median time per call in microseconds over `reps` calls (after a warm-up).
template <class F>
double median_us(int reps, F&& f) {
  f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto s = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s).count());
  }
  std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
  return t[size_t(reps / 2)];
}

ImageConfig full_config(InputScale scale) {
  ImageConfig c;
  c.channels = 3;
  c.input_scale = scale;
  c.db_ref = DbRef::Max;
  c.top_db = 80.0;
  c.colormap = Colormap::Viridis;
  c.normalization = Normalization::ImageNet;
  return c;
}

}  // namespace

int main() {
  cv::setNumThreads(1);
  std::mt19937 rng(42);
  std::exponential_distribution<float> power(1.0f);
  std::vector<float> window(size_t(kFrames) * kMels);
  for (float& x : window) x = power(rng) * 1e-3f;
  std::vector<float> db_window(window.size());
  for (size_t i = 0; i < window.size(); ++i) db_window[i] = 10.0f * std::log10(std::max(window[i], 1e-10f));

  const int reps = 300;
  std::vector<float> copy(window.size());
  double memcpy_us = median_us(reps, [&] { std::memcpy(copy.data(), window.data(), window.size() * sizeof(float)); });
  cv::Mat img(int(kMels), int(kFrames), CV_32F, db_window.data()), resized;
  double cv_resize_us = median_us(reps, [&] { cv::resize(img, resized, cv::Size(224, 224), 0, 0, cv::INTER_AREA); });

  SpectrogramRenderer power_renderer(full_config(InputScale::Power));
  SpectrogramRenderer db_renderer(full_config(InputScale::Db));
  std::vector<float> out(power_renderer.output_floats());
  double power_us = median_us(reps, [&] {
    power_renderer.render(window.data(), kFrames, kFrames, kMels, WindowFill::None, out.data());
  });
  double db_us = median_us(reps, [&] {
    db_renderer.render(db_window.data(), kFrames, kFrames, kMels, WindowFill::None, out.data());
  });

  std::printf("window 1292x128 -> 224x224x3, viridis + imagenet, 1 thread (median of %d):\n", reps);
  std::printf("  baseline memcpy of the window:        %8.1f us\n", memcpy_us);
  std::printf("  baseline cv::resize INTER_AREA only:  %8.1f us\n", cv_resize_us);
  std::printf("  render, power input (log + top-db):   %8.1f us  = %.1fx memcpy, %.1fx cv::resize  (budget 500 us)\n",
              power_us, power_us / memcpy_us, power_us / cv_resize_us);
  std::printf("  render, dB input (ref=max, top-db):   %8.1f us  = %.1fx memcpy, %.1fx cv::resize  (budget 500 us)\n",
              db_us, db_us / memcpy_us, db_us / cv_resize_us);

  // An hour of frames at 22050 Hz / hop 512, pushed 32 frames at a time.
  const uint64_t hour_frames = 3600ull * 22050 / 512;
  const uint32_t chunk = 32;
  FrameWindower windower(WindowConfig{kFrames, 64, ShortPolicy::Pad, 0}, kMels);
  std::vector<float> frames(size_t(chunk) * kMels);
  uint64_t windows = 0;
  auto emit = [&](const Window& w) {
    power_renderer.render(w, kMels, out.data());
    ++windows;
  };
  long rss_early = 0;
  auto start = Clock::now();
  for (uint64_t pushed = 0; pushed < hour_frames; pushed += chunk) {
    for (float& x : frames) x = power(rng) * 1e-3f;
    windower.push(frames.data(), chunk, emit);
    if (rss_early == 0 && pushed >= hour_frames / 10) rss_early = rss_kib();
  }
  // Measured before the EOS window: its padding path pages in more OpenCV code
  // once (~256 KiB of RSS), which is not growth.
  long rss_end = rss_kib();
  windower.finish(emit);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("sliding window 1292 / hop 64 over one hour (%llu frames): %llu windows in %.2f s "
              "(%.1f us/window); RSS after 6 min %ld KiB, after 60 min %ld KiB (growth %ld KiB)\n",
              (unsigned long long)hour_frames, (unsigned long long)windows, seconds, seconds * 1e6 / double(windows),
              rss_early, rss_end, rss_end - rss_early);
  if (rss_end - rss_early > 256) {
    std::fprintf(stderr, "FAIL: resident memory grew by %ld KiB over the hour\n", rss_end - rss_early);
    return 1;
  }
  return 0;
}
