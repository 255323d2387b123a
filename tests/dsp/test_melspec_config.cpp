#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>

#include "dsp/mel_spectrogram.h"
#include "dsp/melspec_parameters.h"

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

// melspec's parameter table: defaults are the settings struct's own, the
// record holds the values in effect (win-length and fmax resolved, enum nicks),
// and a property set through the table lands in its field.
TEST(MelspecParameters, DefaultsRecordAndFieldsComeFromOneDeclaration) {
  const MelspecTable& table = melspec_parameters();
  const MelspecSettings defaults;
  EXPECT_EQ(table.find("sample-rate")->type, genre::params::Type::UInt);
  std::set<std::string> names;
  for (const auto& p : table.parameters()) {
    EXPECT_TRUE(names.insert(p.name).second) << "declared twice: " << p.name;
    EXPECT_TRUE(p.property) << p.name;
    EXPECT_NE(std::string(p.blurb), "") << p.name;
  }
  EXPECT_EQ(table.parameters().front().get(defaults), 0) << "sample-rate: any rate until the user asks for one";
  EXPECT_EQ(table.find("frames-per-buffer")->changes_model_input(), false);
  EXPECT_EQ(table.find("n-mels")->changes_model_input(), true);

  MelspecSettings s;
  for (const auto& p : table.parameters()) {
    if (p.name == std::string("n-fft")) p.set(s, 1024);
    if (p.name == std::string("window")) p.set(s, int(WindowType::Hamming));
    if (p.name == std::string("fmax")) p.set(s, 4000.0);
  }
  EXPECT_EQ(s.config.n_fft, 1024);
  EXPECT_EQ(s.config.window, WindowType::Hamming);
  s.config.sample_rate = 16000;
  const nlohmann::json r = table.record(s);
  EXPECT_EQ(r.size(), names.size());
  EXPECT_EQ(r["sample-rate"], 16000);
  EXPECT_EQ(r["win-length"], 1024) << "0 = n-fft, recorded as the length in effect";
  EXPECT_EQ(r["fmax"], 4000.0);
  EXPECT_EQ(r["window"], "hamming");
  EXPECT_EQ(r["frames-per-buffer"], 32);
  s.config.fmax = 0;
  EXPECT_EQ(table.record(s)["fmax"], 8000.0) << "0 = rate/2, recorded as the frequency in effect";
}
