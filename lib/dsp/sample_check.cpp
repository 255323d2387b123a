#include "dsp/sample_check.h"

#include <algorithm>
#include <cmath>

namespace genre::dsp {

namespace {
// Blocks checked with a branch-free (vectorisable) test; only a bad block is searched.
constexpr std::size_t kBlock = 1024;

bool usable(float v) { return std::fabs(v) <= kMaxSampleMagnitude; }  // false for NaN too
}  // namespace

std::size_t first_unusable_sample(const float* x, std::size_t n) {
  for (std::size_t at = 0; at < n; at += kBlock) {
    const std::size_t end = std::min(n, at + kBlock);
    bool all = true;
    for (std::size_t i = at; i < end; ++i) all &= usable(x[i]);
    if (all) continue;
    for (std::size_t i = at; i < end; ++i)
      if (!usable(x[i])) return i;
  }
  return n;
}

}  // namespace genre::dsp
