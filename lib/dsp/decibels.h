// 10*log10(x) for mel power, in a form the compiler vectorises: std::log10
// is a scalar libm call and cost a fifth of the whole spectrogram. Accurate
// to ~1e-5 dB (a float's own rounding at 100 dB is 7.6e-6).
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

namespace genre::dsp {

// x must be a positive normal float; infinities and NaN pass through.
inline float power_to_decibels(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)), so ln(m) = 2*atanh(t) with |t| < 0.172.
  int32_t e = int32_t((bits >> 23) & 0xffu) - 127;
  const uint32_t mantissa_bits = (bits & 0x007fffffu) | 0x3f800000u;
  float m;
  std::memcpy(&m, &mantissa_bits, sizeof m);
  const bool high = m > 1.41421356f;
  m = high ? m * 0.5f : m;
  e += high ? 1 : 0;
  const float t = (m - 1.f) / (m + 1.f);
  const float t2 = t * t;
  const float ln_m = 2.f * t * (1.f + t2 * (1.f / 3 + t2 * (1.f / 5 + t2 * (1.f / 7 + t2 * (1.f / 9)))));
  constexpr float kDbPerOctave = 3.01029995664f;   // 10*log10(2)
  constexpr float kDbPerNeper = 4.34294481903f;    // 10/ln(10)
  const float db = float(e) * kDbPerOctave + ln_m * kDbPerNeper;
  return x <= std::numeric_limits<float>::max() ? db : x;
}

}  // namespace genre::dsp
