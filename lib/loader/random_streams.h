// Seeded randomness for the loader, built on genre::Xoshiro256 so every
// platform and every worker count draws the same numbers. Each consumer (fold
// dealing, shuffling, per-sample augmentation, mixup) has its own stream,
// derived from the user's seed and a fixed tag, so enabling one feature never
// shifts the numbers another one sees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/prng.h"

namespace genre::loader {

enum class Stream : std::uint64_t {
  kFoldDeal = 0x666f6c64,   // "fold"
  kValCarve = 0x76616c73,   // "vals"
  kShuffle = 0x73687566,    // "shuf"
  kAugment = 0x61756776,    // "augm"
  kMixup = 0x6d697875,      // "mixu"
  kCrops = 0x63726f70,      // "crop": which windows of a track an epoch takes
};

// A seed for one item (a class, a fold, a sample position, a batch) of one stream.
inline std::uint64_t stream_seed(std::uint64_t seed, Stream stream, std::uint64_t item) {
  return mix_seed(mix_seed(seed, static_cast<std::uint64_t>(stream)), item);
}

// Fisher-Yates with unbiased bounded draws.
template <typename T>
void shuffle_in_place(std::vector<T>& items, Xoshiro256& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(rng.bounded(i));
    std::swap(items[i - 1], items[j]);
  }
}

// Standard normal (Box-Muller from two uniforms).
double sample_normal(Xoshiro256& rng);
// Gamma(shape, 1), shape > 0 (Marsaglia-Tsang; shape < 1 boosted by U^(1/shape)).
double sample_gamma(double shape, Xoshiro256& rng);
// Beta(a, b), a, b > 0, as X / (X + Y) of two gammas; in [0, 1].
double sample_beta(double a, double b, Xoshiro256& rng);

}  // namespace genre::loader
