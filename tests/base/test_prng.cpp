// The project's PRNG: the published xoshiro256** / splitmix64 sequences, so
// splits, synthetic data and the loader's augmentation repeat on every platform.
#include "base/prng.h"

#include <gtest/gtest.h>

#include <cstdint>

using genre::splitmix64;
using genre::Xoshiro256;

TEST(Prng, FixedSequenceOnEveryPlatform) {
  uint64_t state0 = 0;
  EXPECT_EQ(splitmix64(state0), 0xE220A8397B1DCDAFull);  // published first output for seed 0
  Xoshiro256 a(42), b(42), c(43);
  const uint64_t first = a.next();
  EXPECT_EQ(first, b.next());
  EXPECT_NE(first, c.next());
  // Reference value from the published xoshiro256** / splitmix64 algorithms.
  Xoshiro256 r(0);
  uint64_t sm = 0;
  uint64_t s[4];
  for (auto& w : s) w = splitmix64(sm);
  const uint64_t expected = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
  EXPECT_EQ(r.next(), expected);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_LT(a.bounded(7), 7u);
    double u = a.uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

// fnv1a64's offset basis is 1469598103934665603, a digit short of FNV's published
// 14695981039346656037. Folder-mode sample keys, cluster jobs and split streams
// depend on these values, so they are pinned here: a change must be deliberate.
TEST(Prng, FnvOfTextIsStable) {
  EXPECT_EQ(genre::fnv1a64(""), 1469598103934665603ull);
  EXPECT_EQ(genre::fnv1a64("a"), 4953267810257967366ull);
  EXPECT_NE(genre::fnv1a64("ab"), genre::fnv1a64("ba"));
}
