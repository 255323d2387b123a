#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dsp/mel_filterbank.h"
#include "fixtures.h"
#include "test_paths.h"

using genre::dsp::MelFilterbank;
using genre::dsp::MelFilterbankParams;

// Every one of librosa's 144 filterbank fixtures, both as the float64 matrix
// and as the float32 sparse filters actually applied to spectra.
TEST(MelFilterbank, MatchesAllLibrosaFixtures) {
  GENRE_REQUIRE_SHARED_DATA(shared);
  const auto root = shared / "librosa_ref";
  std::ifstream in(root / "index.json");
  const auto index = nlohmann::json::parse(in);
  int checked = 0;
  for (const auto& e : index["melfb"]) {
    ASSERT_EQ(e["norm"], "slaney");
    MelFilterbankParams p;
    p.sample_rate = e["sr"].get<double>();
    p.n_fft = e["n_fft"].get<int>();
    p.n_mels = e["n_mels"].get<int>();
    p.fmin = e["fmin"].get<double>();
    p.fmax = e["fmax"].is_null() ? p.sample_rate / 2 : e["fmax"].get<double>();
    p.htk = e["htk"].get<bool>();
    p.slaney_norm = true;
    const auto expected = genre::test::read_npy_f64(root / e["file"].get<std::string>());
    MelFilterbank bank(p);
    ASSERT_EQ(expected.shape[0], size_t(bank.n_mels())) << e["file"];
    ASSERT_EQ(expected.shape[1], size_t(bank.n_bins())) << e["file"];

    const auto dense = bank.dense();
    const int bins = bank.n_bins();
    std::vector<float> unit(bins, 0.f), column(bank.n_mels());
    std::vector<double> sparse(dense.size());
    for (int k = 0; k < bins; ++k) {
      unit[k] = 1.f;
      bank.apply(unit.data(), column.data());
      for (int m = 0; m < bank.n_mels(); ++m) sparse[size_t(m) * bins + k] = column[m];
      unit[k] = 0.f;
    }
    for (int m = 0; m < bank.n_mels(); ++m) {
      const double* row = &expected.data[size_t(m) * bins];
      const double peak = *std::max_element(row, row + bins);
      for (int k = 0; k < bins; ++k) {
        const size_t i = size_t(m) * bins + k;
        ASSERT_LE(std::abs(dense[i] - row[k]), 1e-6 * peak) << e["file"] << " filter " << m << " bin " << k;
        ASSERT_LE(std::abs(sparse[i] - row[k]), 1e-6 * peak) << e["file"] << " filter " << m << " bin " << k;
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, 144);
}

TEST(MelFilterbank, ReportsEmptyFilters) {
  // 128 mels over 129 bins of a 256-point FFT at 22050 Hz: the lowest
  // filters fall between bins.
  MelFilterbank bank({22050, 256, 128, 0.0, 11025.0, false, true});
  EXPECT_FALSE(bank.empty_filters().empty());
  MelFilterbank ok({22050, 2048, 128, 0.0, 11025.0, false, true});
  EXPECT_TRUE(ok.empty_filters().empty());
}

TEST(MelFilterbank, UnnormalisedTrianglesPeakAtOne) {
  MelFilterbank bank({16000, 4096, 10, 0.0, 8000.0, true, false});
  const auto dense = bank.dense();
  for (int m = 0; m < bank.n_mels(); ++m) {
    const double peak = *std::max_element(dense.begin() + m * bank.n_bins(),
                                          dense.begin() + (m + 1) * bank.n_bins());
    EXPECT_GT(peak, 0.95);
    EXPECT_LE(peak, 1.0);
  }
}
