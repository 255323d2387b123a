// Batches for the trainer: background threads read float16 samples through
// shard::DatasetReader, convert them to float32, augment them and assemble
// batches ahead of the consumer, which receives them strictly in order.
//
// Determinism: the epoch's order is a seeded permutation of positions, each
// sample's augmentation is seeded by (seed, epoch, position) and mixup by
// (seed, epoch, batch index), so the batches are byte-identical for any
// number of workers. Memory: at most prefetch_batches batches are claimed
// ahead of the consumer, plus one mixup buffer per worker and the batches
// handed back through recycle() (at most prefetch_batches + workers).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "loader/augment.h"
#include "loader/sample_table.h"
#include "shard/dataset_reader.h"

namespace genre::loader {

struct Batch {
  std::int64_t size = 0;             // samples in this batch
  std::vector<float> images;         // [size][C][H][W] float32
  std::vector<std::int64_t> fine, macro;
  std::vector<float> multi_hot;      // [size][fine_classes] when LoaderOptions::fine_classes > 0, else empty
  std::vector<std::int64_t> positions;  // of each sample in the loader's sample list
  // Mixup: images = lambda * x + (1 - lambda) * x[perm]; empty perm = no mixup.
  // Labels are left unmixed: the trainer mixes its loss with lambda and perm.
  float mix_lambda = 1.0f;
  std::vector<std::int64_t> mix_perm;
};

struct LoaderOptions {
  std::int64_t batch_size = 32;
  bool shuffle = false;
  bool drop_last = false;
  std::uint64_t seed = 42;
  std::int64_t epoch = 0;
  AugmentConfig augment;
  int workers = 2;            // 0: batches are built in next() on the caller's thread
  int prefetch_batches = 4;   // >= 1
  std::int64_t fine_classes = 0;  // > 0: fill Batch::multi_hot from SampleInfo::fine_labels
  // Random time crops of windowed tracks: > 0 = each epoch takes at most this many windows of
  // every track (SampleInfo::track_id), drawn anew each epoch, so a track's many overlapping
  // windows act as random crops and long tracks weigh no more than short ones. 0 = every sample.
  std::int64_t windows_per_track = 0;
  // Distributed training (as torch's DistributedSampler): the epoch's order of
  // all samples, padded by wrapping round to a multiple of shard_count, and
  // this loader keeps order[shard_rank::shard_count]. Positions, and so the
  // per-sample augmentation, stay those of the whole list: the union of the
  // shards' step-s batches is the unsharded loader's step-s batch (batch_size
  // = global batch / shard_count) whenever no padding is needed.
  std::int64_t shard_rank = 0;
  std::int64_t shard_count = 1;
};

class BatchLoader {
 public:
  // `reader` and the SampleInfos behind `samples` must outlive the loader.
  // Throws std::invalid_argument for bad options, a null sample, a fine label
  // outside [0, fine_classes), or augmentation of a dataset whose samples are
  // not at least 2-D. The first epoch starts at once.
  BatchLoader(const shard::DatasetReader& reader, std::vector<const SampleInfo*> samples, LoaderOptions options);
  ~BatchLoader();  // stops and joins the workers, even mid-epoch
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch in order; nullopt after the last one. A worker's exception
  // (e.g. shard::ShardError) is rethrown here when its batch is due, and again
  // by every later call.
  std::optional<Batch> next();
  // Optional: hands a consumed batch back so a worker refills its vectors
  // instead of allocating (a fresh multi-megabyte vector costs page faults and
  // zeroing, a large share of an unaugmented batch's time).
  void recycle(Batch&& used);
  // Abandons the current epoch and starts `epoch` (new order and augmentation);
  // a no-op for the epoch already started when no batch of it was taken yet.
  void reset(std::int64_t epoch);

  std::int64_t batches() const;  // per epoch
  std::int64_t samples() const;  // per epoch, drop_last applied
  const std::vector<std::int64_t>& order() const;  // this epoch's positions, in batch order

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace genre::loader
