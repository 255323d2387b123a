#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "dsp/decibels.h"

using genre::dsp::power_to_decibels;

// Against double-precision log10 over the whole normal float range.
TEST(PowerToDecibels, MatchesLog10AcrossTheFloatRange) {
  double worst = 0;
  for (double lg = -37.9; lg < 38.5; lg += 0.000731) {
    const float x = float(std::pow(10.0, lg));
    const double want = 10.0 * std::log10(double(x));
    worst = std::max(worst, std::abs(power_to_decibels(x) - want));
  }
  EXPECT_LT(worst, 4e-5);  // float's own spacing at 380 dB is 3e-5
  for (double lg = -10; lg < 10; lg += 0.000193) {
    const float x = float(std::pow(10.0, lg));
    EXPECT_NEAR(power_to_decibels(x), 10.0 * std::log10(double(x)), 1.2e-5) << x;
  }
}

TEST(PowerToDecibels, ExactPowersOfTen) {
  EXPECT_NEAR(power_to_decibels(1.f), 0.f, 1e-7);
  EXPECT_NEAR(power_to_decibels(10.f), 10.f, 2e-6);
  EXPECT_NEAR(power_to_decibels(1e-10f), -100.f, 2e-5);
}

TEST(PowerToDecibels, NonFiniteInputPassesThrough) {
  EXPECT_TRUE(std::isnan(power_to_decibels(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(power_to_decibels(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
}
