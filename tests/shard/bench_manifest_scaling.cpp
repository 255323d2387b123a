// Benchmark (issue 17, item 10): the cost of finalizing a shard must not grow
// with the number of shards already in the dataset. Writes N and then 4N
// one-sample shards (datasetsink max-samples=1) into fresh directories and
// prints the time per shard at each size and their ratio: about 1 when adding
// a shard is O(1), about 4 when every shard rewrites the whole manifest.
// Exit status 1 when the ratio exceeds 2 (clearly worse than linear).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shard_test_util.h"

using namespace genre::shard;
using namespace genre::shard::test;

static double seconds_per_shard(std::uint64_t shards) {
  TempDir tmp;
  WriterOptions o;
  o.dir = tmp.path();
  o.max_samples = 1;
  const auto start = std::chrono::steady_clock::now();
  {
    DatasetWriter w(o);
    for (std::uint64_t i = 0; i < shards; ++i)
      put_sample(w, "t" + std::to_string(i), {1, 8, 8}, static_cast<int>(i % 5), -1, static_cast<std::uint32_t>(i));
    w.close();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s / double(shards);
}

int main(int argc, char** argv) {
  const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 500;
  seconds_per_shard(n / 10);  // warm-up (page cache, allocator)
  const double small = seconds_per_shard(n);
  const double large = seconds_per_shard(4 * n);
  const double ratio = large / small;
  std::printf("datasetsink manifest scaling: %.3f ms/shard at %llu shards, %.3f ms/shard at %llu shards, "
              "ratio %.2f (1 = linear total time, 4 = quadratic)\n",
              small * 1e3, static_cast<unsigned long long>(n), large * 1e3,
              static_cast<unsigned long long>(4 * n), ratio);
  return ratio > 2.0 ? 1 : 0;
}
