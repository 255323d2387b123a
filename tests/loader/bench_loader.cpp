// Benchmark: BatchLoader samples/s over generated float16 datasets (224x224x1,
// 224x224x3, 128x128x1), augmentation off and on, 1 and 2 workers, beside a
// baseline measured in the same run: the plain DatasetReader::read_float32
// loop over the same samples on one thread. Targets (per worker thread, with
// augmentation): several thousand 128x128 samples/s and far above the ~150
// 224x224x3 samples/s a resnet18 step could ever consume here; the exit status
// fails when augmented 1-worker throughput is below 2,000 (128x128) or 300
// (224x224x3) samples/s.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "loader/batch_loader.h"
#include "shard/dataset_writer.h"
#include "shard_test_util.h"

using namespace genre;
using namespace genre::loader;
using Clock = std::chrono::steady_clock;

namespace {

void write_dataset(const std::string& dir, const std::vector<std::uint64_t>& shape, int samples) {
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<std::vector<float>> variants;
  for (std::uint32_t v = 0; v < 8; ++v) variants.push_back(shard::test::sample_data(n, v + 1));
  shard::WriterOptions o;
  o.dir = dir;
  o.max_samples = 256;
  shard::DatasetWriter w(o);
  for (int i = 0; i < samples; ++i) {
    shard::SampleInput in;
    in.key = "t" + std::to_string(i);
    in.shape = shape;
    in.data = variants[std::size_t(i) % variants.size()].data();
    in.fine = i % 16;
    in.meta["track_id"] = in.key;
    w.stage(in);
    w.commit();
  }
  w.close();
}

// Runs `epoch` (which returns the samples it produced) until at least `seconds` passed.
template <typename F>
double rate(F&& epoch, double seconds = 1.0) {
  std::size_t n = 0;
  const auto start = Clock::now();
  double secs = 0;
  do {
    n += epoch();
    secs = std::chrono::duration<double>(Clock::now() - start).count();
  } while (secs < seconds);
  return double(n) / secs;
}

AugmentConfig full_augmentation(const std::vector<std::uint64_t>& shape) {
  AugmentConfig a;
  a.random_resized_crop = true;
  a.hflip = true;
  a.color_jitter = 0.2;
  a.time_masks = 2;
  a.time_mask_max = int(shape[2] / 8);
  a.freq_masks = 2;
  a.freq_mask_max = int(shape[1] / 8);
  a.mixup_alpha = 0.4;
  return a;
}

// Prints the figures for one dataset; returns the augmented 1-worker rate.
double bench(const std::vector<std::uint64_t>& shape, int samples) {
  shard::test::TempDir tmp;
  write_dataset(tmp.path(), shape, samples);
  shard::DatasetReader reader(tmp.path());
  const SampleTable table(reader);
  const std::vector<const SampleInfo*> list = table.select({"train"});
  std::vector<float> buffer(reader.element_count());
  volatile float sink = 0;
  auto plain_epoch = [&] {
    for (const SampleInfo* s : list) {
      reader.read_float32(s->split, s->index, buffer.data());
      sink = sink + buffer[s->index % buffer.size()];
    }
    return list.size();
  };
  plain_epoch();  // page cache
  const double baseline = rate(plain_epoch);
  std::printf("%llux%llux%llu float16, %d samples, batch 32, shuffled\n", (unsigned long long)shape[1],
              (unsigned long long)shape[2], (unsigned long long)shape[0], samples);
  std::printf("  baseline read_float32 loop, 1 thread : %8.0f samples/s\n", baseline);
  double augmented_one = 0;
  for (const bool augment : {false, true}) {
    for (const int workers : {1, 2}) {
      LoaderOptions o;
      o.shuffle = true;
      o.workers = workers;
      if (augment) o.augment = full_augmentation(shape);
      BatchLoader loader(reader, list, o);
      std::int64_t epoch = 0;
      const double r = rate([&] {
        loader.reset(epoch++);
        std::size_t n = 0;
        while (auto b = loader.next()) {
          n += std::size_t(b->size);
          sink = sink + b->images[0];
          loader.recycle(std::move(*b));
        }
        return n;
      });
      std::printf("  loader, %-13s %d worker%s     : %8.0f samples/s  (%.2fx baseline, %.0f per worker)\n",
                  augment ? "augmented," : "plain,", workers, workers > 1 ? "s" : " ", r, r / baseline, r / workers);
      if (augment && workers == 1) augmented_one = r;
    }
  }
  return augmented_one;
}

}  // namespace

int main() {
  std::printf("one loader per configuration, reset() per epoch, consumed batches recycled\n");
  std::printf("augmented = random resized crop + flip + brightness/contrast + 2 time and 2 freq masks + mixup\n");
  bench({1, 224, 224}, 512);
  const double colour = bench({3, 224, 224}, 256);
  const double small = bench({1, 128, 128}, 2048);
  const bool ok = small >= 2000 && colour >= 300;
  std::printf("targets (augmented, 1 worker): 128x128 >= 2000/s: %s, 224x224x3 >= 300/s: %s\n",
              small >= 2000 ? "met" : "MISSED", colour >= 300 ? "met" : "MISSED");
  return ok ? 0 : 1;
}
