// |STFT| against librosa's core-stft fixtures (center=False, so frame i is
// y[i*hop : i*hop + n_fft]).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dsp/power_spectrum.h"
#include "fixtures.h"
#include "test_paths.h"

using genre::dsp::PowerSpectrum;
using genre::dsp::WindowType;

TEST(StftMagnitude, MatchesAllLibrosaFixtures) {
  GENRE_REQUIRE_SHARED_DATA(shared);
  const auto root = shared / "librosa_ref";
  std::ifstream in(root / "index.json");
  const auto index = nlohmann::json::parse(in);
  const auto wav = genre::test::read_wav_pcm16(root / "stft" / "test1_22050.wav");
  ASSERT_EQ(wav.sample_rate, 22050);
  int checked = 0;
  for (const auto& e : index["stft"]) {
    ASSERT_FALSE(e["center"].get<bool>());
    const int n_fft = e["n_fft"].get<int>();
    const int hop = e["hop_length"].get<int>();
    const std::string window = e["window"];
    const WindowType type = window.rfind("hann", 0) == 0 ? WindowType::Hann : WindowType::Rectangular;
    const auto expected = genre::test::read_npy_f64(root / e["file"].get<std::string>());
    const size_t bins = expected.shape[0], frames = expected.shape[1];
    ASSERT_EQ(bins, size_t(n_fft / 2 + 1));
    ASSERT_EQ(frames, 1 + (wav.mono.size() - n_fft) / hop) << e["file"];

    PowerSpectrum stft(n_fft, genre::dsp::make_window(type, n_fft, n_fft), 1.0);
    std::vector<float> mag(bins);
    double worst = 0;
    for (size_t f = 0; f < frames; ++f) {
      stft.compute(wav.mono.data() + f * hop, mag.data());
      double frame_max = 0;
      for (size_t k = 0; k < bins; ++k) frame_max = std::max(frame_max, expected.data[k * frames + f]);
      for (size_t k = 0; k < bins; ++k) {
        const double err = std::abs(mag[k] - expected.data[k * frames + f]);
        worst = std::max(worst, frame_max > 0 ? err / frame_max : err);
      }
    }
    EXPECT_LE(worst, 1e-4) << e["file"] << " (" << window << ", n_fft " << n_fft << ", hop " << hop << ")";
    ++checked;
  }
  EXPECT_EQ(checked, 14);
}
