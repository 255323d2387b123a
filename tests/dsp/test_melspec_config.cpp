#include <gtest/gtest.h>

#include <functional>

#include "dsp/mel_spectrogram.h"

using namespace genre::dsp;

namespace {
std::string rejected_property(const std::function<void(MelSpectrogramConfig&)>& change) {
  MelSpectrogramConfig c;
  change(c);
  try {
    MelSpectrogram m(c);
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(e.property()), std::string::npos) << e.what();
    return e.property();
  }
  return "";
}
}  // namespace

TEST(MelSpectrogramConfig, DefaultsAreLibrosas) {
  MelSpectrogramConfig c;
  EXPECT_EQ(c.n_fft, 2048);
  EXPECT_EQ(c.hop_length, 512);
  EXPECT_EQ(c.effective_win_length(), 2048);
  EXPECT_EQ(c.n_mels, 128);
  EXPECT_EQ(c.effective_fmax(), 11025.0);
  EXPECT_TRUE(c.center);
  EXPECT_EQ(c.pad_mode, PadMode::Constant);
  EXPECT_NO_THROW(MelSpectrogram m(c));
}

TEST(MelSpectrogramConfig, InvalidCombinationsNameTheProperty) {
  EXPECT_EQ(rejected_property([](auto& c) { c.hop_length = 0; }), "hop-length");
  EXPECT_EQ(rejected_property([](auto& c) { c.win_length = 4096; }), "win-length");
  EXPECT_EQ(rejected_property([](auto& c) { c.fmax = 12000; }), "fmax");
  EXPECT_EQ(rejected_property([](auto& c) { c.fmin = 11025; }), "fmin");
  EXPECT_EQ(rejected_property([](auto& c) { c.fmin = 500; c.fmax = 400; }), "fmin");
  EXPECT_EQ(rejected_property([](auto& c) { c.n_fft = 256; }), "n-mels");
  EXPECT_EQ(rejected_property([](auto& c) { c.n_fft = 1; }), "n-fft");
  EXPECT_EQ(rejected_property([](auto& c) { c.n_fft = MelSpectrogramConfig::kMaxNFft * 2; }), "n-fft");
  EXPECT_EQ(rejected_property([](auto& c) { c.hop_length = MelSpectrogramConfig::kMaxHopLength + 1; }),
            "hop-length");
  EXPECT_EQ(rejected_property([](auto& c) { c.n_mels = 100000; }), "n-mels");
  EXPECT_EQ(rejected_property([](auto& c) { c.power = 0; }), "power");
  EXPECT_EQ(rejected_property([](auto& c) { c.amin = 0; }), "amin");
  EXPECT_EQ(rejected_property([](auto& c) { c.ref = -1; }), "ref");
  EXPECT_EQ(rejected_property([](auto& c) { c.sample_rate = 0; }), "sample-rate");
}

TEST(MelSpectrogramConfig, RateIndependentChecksNeedNoRate) {
  MelSpectrogramConfig c;
  c.sample_rate = 0;
  EXPECT_NO_THROW(c.validate_rate_independent());
  c.hop_length = 0;
  EXPECT_THROW(c.validate_rate_independent(), ConfigError);
}
