#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dsp/mel_scale.h"
#include "test_paths.h"

using genre::dsp::hz_to_mel;
using genre::dsp::mel_to_hz;

TEST(MelScale, SlaneyIsLinearBelowOneKilohertzAndLogAbove) {
  EXPECT_DOUBLE_EQ(hz_to_mel(0.0, false), 0.0);
  EXPECT_DOUBLE_EQ(hz_to_mel(200.0 / 3.0, false), 1.0);
  EXPECT_DOUBLE_EQ(hz_to_mel(1000.0, false), 15.0);
  // Above 1 kHz, 27 mels per factor 6.4.
  EXPECT_NEAR(hz_to_mel(6400.0, false), 42.0, 1e-12);
}

TEST(MelScale, HtkFormula) {
  EXPECT_NEAR(hz_to_mel(700.0, true), 2595.0 * std::log10(2.0), 1e-9);
  EXPECT_NEAR(mel_to_hz(2595.0 * std::log10(2.0), true), 700.0, 1e-9);
}

TEST(MelScale, RoundTrips) {
  for (bool htk : {false, true})
    for (double hz : {0.0, 10.0, 440.0, 999.0, 1000.0, 1001.0, 8000.0, 22050.0})
      EXPECT_NEAR(mel_to_hz(hz_to_mel(hz, htk), htk), hz, 1e-9 * std::max(1.0, hz));
}

TEST(MelScale, MatchesLibrosaFixtures) {
  GENRE_REQUIRE_SHARED_DATA(shared);
  std::ifstream in(shared / "librosa_ref" / "index.json");
  const auto index = nlohmann::json::parse(in);
  // Entries hold a scalar or a list of inputs with the matching results.
  auto as_list = [](const nlohmann::json& v) {
    return v.is_array() ? v.get<std::vector<double>>() : std::vector<double>{v.get<double>()};
  };
  int checked = 0;
  for (const char* direction : {"hz_to_mel", "mel_to_hz"}) {
    for (const auto& e : index[direction]) {
      const auto inputs = as_list(e["input"]), results = as_list(e["result"]);
      ASSERT_EQ(inputs.size(), results.size());
      const bool htk = e["htk"].get<bool>();
      for (size_t i = 0; i < inputs.size(); ++i) {
        const double got = std::string(direction) == "hz_to_mel" ? hz_to_mel(inputs[i], htk)
                                                                  : mel_to_hz(inputs[i], htk);
        EXPECT_NEAR(got, results[i], 1e-9 * std::abs(results[i])) << direction << "(" << inputs[i] << ")";
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 2 + 26 + 2 + 24);
}
