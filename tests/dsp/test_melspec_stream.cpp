// The streaming mel spectrogram against an independent float64 reference
// (naive DFT, explicit numpy-style padding) and against itself under every
// way of splitting the signal into chunks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <vector>

#include "dsp/mel_spectrogram_stream.h"

using namespace genre::dsp;

namespace {

// Deterministic test signal: a chirp, a tone and a little noise.
std::vector<float> make_signal(size_t n, int rate) {
  std::vector<float> y(n);
  uint32_t lcg = 12345;
  for (size_t i = 0; i < n; ++i) {
    const double t = double(i) / rate;
    lcg = lcg * 1664525u + 1013904223u;
    const double noise = (lcg >> 8) / double(1 << 24) - 0.5;
    y[i] = float(0.4 * std::sin(2 * M_PI * (100 + 2000 * t) * t) + 0.2 * std::sin(2 * M_PI * 3000 * t) +
                 0.05 * noise);
  }
  return y;
}

std::vector<float> run(const MelSpectrogramConfig& c, const std::vector<float>& y, size_t chunk) {
  MelSpectrogramStream s(c);
  std::vector<float> frames;
  for (size_t at = 0; at < y.size(); at += chunk) s.push(y.data() + at, std::min(chunk, y.size() - at), frames);
  s.finish(frames);
  return frames;
}

// librosa.feature.melspectrogram in float64, written out longhand.
std::vector<double> reference_power(const MelSpectrogramConfig& c, const std::vector<float>& y) {
  const int n_fft = c.n_fft, hop = c.hop_length, win = c.effective_win_length();
  const int64_t L = int64_t(y.size()), pad = c.center ? n_fft / 2 : 0;
  std::vector<double> padded;
  for (int64_t i = -pad; i < L + pad; ++i) {
    if (i >= 0 && i < L) padded.push_back(y[size_t(i)]);
    else if (c.pad_mode == PadMode::Constant) padded.push_back(0.0);
    else padded.push_back(y[size_t(i < 0 ? -i : 2 * (L - 1) - i)]);  // needs pad < L
  }
  std::vector<double> window(n_fft, 0.0);
  for (int n = 0; n < win; ++n) {
    const double phase = 2 * M_PI * n / win;
    window[(n_fft - win) / 2 + n] = c.window == WindowType::Hann      ? 0.5 - 0.5 * std::cos(phase)
                                    : c.window == WindowType::Hamming ? 0.54 - 0.46 * std::cos(phase)
                                                                      : 1.0;
  }
  const MelFilterbank bank(c.filterbank_params());
  const auto fb = bank.dense();
  const int bins = n_fft / 2 + 1;
  std::vector<double> out;
  if (int64_t(padded.size()) < n_fft) return out;
  const size_t frames = 1 + (padded.size() - n_fft) / hop;
  std::vector<double> spec(bins);
  for (size_t f = 0; f < frames; ++f) {
    for (int k = 0; k < bins; ++k) {
      std::complex<double> acc = 0;
      for (int n = 0; n < n_fft; ++n)
        acc += padded[f * hop + n] * window[n] * std::polar(1.0, -2 * M_PI * double(k) * n / n_fft);
      spec[k] = std::pow(std::abs(acc), c.power);
    }
    for (int m = 0; m < c.n_mels; ++m) {
      double v = 0;
      for (int k = 0; k < bins; ++k) v += fb[size_t(m) * bins + k] * spec[k];
      out.push_back(v);
    }
  }
  return out;
}

void expect_close_to_reference(const MelSpectrogramConfig& c, const std::vector<float>& y) {
  const auto got = run(c, y, 1000);
  const auto want = reference_power(c, y);
  ASSERT_EQ(got.size(), want.size());
  const size_t n_mels = size_t(c.n_mels);
  for (size_t f = 0; f * n_mels < want.size(); ++f) {
    const double peak = *std::max_element(want.begin() + f * n_mels, want.begin() + (f + 1) * n_mels);
    for (size_t m = 0; m < n_mels; ++m)
      ASSERT_LE(std::abs(got[f * n_mels + m] - want[f * n_mels + m]), 1e-4 * peak + 1e-12)
          << "frame " << f << " mel " << m;
  }
}

MelSpectrogramConfig power_config() {
  MelSpectrogramConfig c;
  c.output = MelOutput::Power;
  return c;
}

}  // namespace

TEST(MelSpectrogramStream, LibrosaDefaultsMatchReference) {
  expect_close_to_reference(power_config(), make_signal(22050, 22050));
}

TEST(MelSpectrogramStream, VariantsMatchReference) {
  const auto y = make_signal(9000, 16000);
  MelSpectrogramConfig c = power_config();
  c.sample_rate = 16000;
  c.n_fft = 512;
  c.hop_length = 160;
  c.n_mels = 40;
  {
    SCOPED_TRACE("reflect padding");
    MelSpectrogramConfig v = c;
    v.pad_mode = PadMode::Reflect;
    expect_close_to_reference(v, y);
  }
  {
    SCOPED_TRACE("hamming window shorter than n_fft, magnitude, htk, no norm");
    MelSpectrogramConfig v = c;
    v.window = WindowType::Hamming;
    v.win_length = 400;
    v.power = 1.0;
    v.htk = true;
    v.norm = MelNorm::None;
    v.fmin = 50;
    v.fmax = 7000;
    expect_close_to_reference(v, y);
  }
  {
    SCOPED_TRACE("no centring, rectangular window, power 1.5");
    MelSpectrogramConfig v = c;
    v.center = false;
    v.window = WindowType::Rectangular;
    v.power = 1.5;
    expect_close_to_reference(v, y);
  }
  {
    SCOPED_TRACE("hop longer than n_fft skips samples");
    MelSpectrogramConfig v = c;
    v.hop_length = 700;
    expect_close_to_reference(v, y);
  }
}

TEST(MelSpectrogramStream, DecibelsAreLibrosaPowerToDb) {
  const auto y = make_signal(30000, 22050);
  MelSpectrogramConfig c = power_config();
  const auto power = run(c, y, 4096);
  c.output = MelOutput::Decibel;
  c.ref = 3.5;
  c.amin = 1e-6;
  const auto db = run(c, y, 4096);
  ASSERT_EQ(power.size(), db.size());
  for (size_t i = 0; i < db.size(); ++i) {
    const double want = 10 * std::log10(std::max<double>(power[i], 1e-6)) - 10 * std::log10(3.5);
    ASSERT_NEAR(db[i], want, 1e-3) << i;
  }
}

TEST(MelSpectrogramStream, ChunkingDoesNotChangeFrames) {
  const auto y = make_signal(3 * 22050 + 123, 22050);
  for (PadMode mode : {PadMode::Constant, PadMode::Reflect}) {
    for (bool center : {true, false}) {
      MelSpectrogramConfig c;
      c.pad_mode = mode;
      c.center = center;
      const auto whole = run(c, y, y.size());
      ASSERT_FALSE(whole.empty());
      for (size_t chunk : {size_t(1), size_t(7), size_t(1000), size_t(44100)}) {
        const auto split = run(c, y, chunk);
        ASSERT_EQ(split.size(), whole.size()) << "chunk " << chunk;
        for (size_t i = 0; i < whole.size(); ++i)
          ASSERT_LE(std::abs(split[i] - whole[i]), 1e-6 * std::max(1.f, std::abs(whole[i])))
              << "chunk " << chunk << " value " << i << " center " << center;
      }
    }
  }
}

TEST(MelSpectrogramStream, CentredFrameCountIsOnePlusLengthOverHop) {
  for (PadMode mode : {PadMode::Constant, PadMode::Reflect}) {
    MelSpectrogramConfig c;
    c.pad_mode = mode;
    for (size_t len : {1, 2, 511, 512, 513, 1024, 1025, 2047, 2048, 2049, 22050}) {
      const auto frames = run(c, make_signal(len, 22050), 300);
      EXPECT_EQ(frames.size() / 128, 1 + len / 512) << "len " << len;
    }
  }
}

TEST(MelSpectrogramStream, UncentredFrameCount) {
  MelSpectrogramConfig c;
  c.center = false;
  EXPECT_EQ(run(c, make_signal(2047, 22050), 100).size(), 0u);
  EXPECT_EQ(run(c, make_signal(2048, 22050), 100).size() / 128, 1u);
  EXPECT_EQ(run(c, make_signal(5000, 22050), 100).size() / 128, 1u + (5000 - 2048) / 512);
}

TEST(MelSpectrogramStream, EmptySignalGivesNoFrames) {
  MelSpectrogramStream s(MelSpectrogramConfig{});
  std::vector<float> frames;
  EXPECT_EQ(s.finish(frames), 0u);
  EXPECT_TRUE(frames.empty());
}

TEST(MelSpectrogramStream, FinishStartsANewSignal) {
  const auto y = make_signal(10000, 22050);
  MelSpectrogramConfig c;
  MelSpectrogramStream s(c);
  std::vector<float> first, second;
  s.push(y.data(), y.size(), first);
  s.finish(first);
  EXPECT_EQ(s.samples_in_signal(), 0u);
  s.push(y.data(), y.size(), second);
  s.finish(second);
  EXPECT_EQ(first, second);
}

TEST(MelSpectrogramStream, ResetDropsTheSignal) {
  const auto y = make_signal(10000, 22050);
  MelSpectrogramStream s(MelSpectrogramConfig{});
  std::vector<float> frames;
  s.push(y.data(), 5000, frames);
  s.reset();
  frames.clear();
  s.push(y.data(), y.size(), frames);
  s.finish(frames);
  EXPECT_EQ(frames, run(MelSpectrogramConfig{}, y, y.size()));
}

TEST(ReflectPad, MatchesNumpyForSignalsShorterThanThePad) {
  // np.pad([1, 2, 3], 4, mode='reflect'), np.pad([1, 2], 3, ...), np.pad([5], 2, ...)
  EXPECT_EQ(reflect_pad({1, 2, 3}, 4), (std::vector<float>{1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3}));
  EXPECT_EQ(reflect_pad({1, 2}, 3), (std::vector<float>{2, 1, 2, 1, 2, 1, 2, 1}));
  EXPECT_EQ(reflect_pad({5}, 2), (std::vector<float>{5, 5, 5, 5, 5}));
}
