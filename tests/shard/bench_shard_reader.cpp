// Benchmark: random-access reads of 224x224x1 float16 samples from page cache,
// one thread. Prints samples/s for the zero-copy view (tensor bytes copied
// out) and for float32 conversion, against a baseline measured in the same
// process: memcpy of the same bytes from one in-RAM buffer. Target: >= 20,000
// samples/s.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "shard/dataset_reader.h"
#include "shard/dataset_writer.h"
#include "shard_test_util.h"

using namespace genre::shard;
using Clock = std::chrono::steady_clock;

int main() {
  test::TempDir tmp;
  constexpr int kSamples = 2000;
  const std::vector<std::uint64_t> shape{1, 224, 224};
  {
    WriterOptions o;
    o.dir = tmp.path();
    o.max_samples = 500;
    DatasetWriter w(o);
    const std::vector<float> data = test::sample_data(224 * 224, 1);
    for (int i = 0; i < kSamples; ++i) {
      SampleInput in;
      in.key = "t" + std::to_string(i);
      in.shape = shape;
      in.data = data.data();
      in.fine = i % 16;
      w.stage(in);
      w.commit();
    }
  }
  DatasetReader r(tmp.path());
  const std::size_t bytes = r.sample("train", 0).data_size;
  std::vector<std::uint8_t> copy(bytes);
  std::vector<float> f32(r.element_count());
  for (std::size_t i = 0; i < r.size("train"); ++i) std::memcpy(copy.data(), r.sample("train", i).data, bytes);  // warm

  std::mt19937 rng(42);
  std::uniform_int_distribution<std::size_t> pick(0, r.size("train") - 1);
  auto rate = [&](auto&& body) {
    std::size_t n = 0;
    const auto start = Clock::now();
    double secs = 0;
    do {
      for (int k = 0; k < 256; ++k, ++n) body(pick(rng));
      secs = std::chrono::duration<double>(Clock::now() - start).count();
    } while (secs < 2.0);
    return double(n) / secs;
  };
  volatile std::uint8_t sink = 0;
  const std::vector<std::uint8_t> ram(bytes * 64, 1);
  const double baseline = rate([&](std::size_t i) {
    std::memcpy(copy.data(), ram.data() + (i % 64) * bytes, bytes);
    sink = sink + copy[i % bytes];
  });
  const double view = rate([&](std::size_t i) {
    const SampleView v = r.sample("train", i);
    std::memcpy(copy.data(), v.data, v.data_size);
    sink = sink + copy[i % bytes] + std::uint8_t(v.fine);
  });
  const double conv = rate([&](std::size_t i) {
    r.read_float32("train", i, f32.data());
    sink = sink + std::uint8_t(f32[i % f32.size()] > 0);
  });
  std::printf("reader random access, 224x224x1 float16, %d samples in %zu shards, 1 thread, page cache\n", kSamples,
              r.manifest().shards.size());
  std::printf("  baseline memcpy from RAM : %9.0f samples/s\n", baseline);
  std::printf("  sample() + copy out      : %9.0f samples/s  (%.2fx baseline, %.1fx the 20,000/s target)\n", view,
              view / baseline, view / 20000);
  std::printf("  read_float32()           : %9.0f samples/s  (%.2fx baseline, %.1fx the 20,000/s target)\n", conv,
              conv / baseline, conv / 20000);
  return conv >= 20000 ? 0 : 1;
}
