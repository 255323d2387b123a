// BatchLoader: batches equal the reader's float32 data, in order; shuffling,
// drop_last and multi-hot labels; byte-identical batches for any worker count;
// worker exceptions reach next(); destruction and reset mid-epoch.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <cstring>
#include <numeric>

#include "loader/batch_loader.h"
#include "loader_test_util.h"
#include "shard/shard_error.h"

using namespace genre;
using namespace genre::loader;
using namespace genre::loader::test;

namespace {

const std::vector<std::uint64_t> kShape{1, 8, 12};

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<TrackSpec> tracks = plain_tracks(30);
    tracks[3].extra_labels = {6, 1};
    tracks[4].windows = 4;
    write_tracks(tmp_.path(), tracks, kShape);
    reader_ = std::make_unique<shard::DatasetReader>(tmp_.path());
    table_ = std::make_unique<SampleTable>(*reader_);
    samples_ = table_->select({"train"});
  }

  std::vector<Batch> epoch(LoaderOptions o) const {
    BatchLoader loader(*reader_, samples_, o);
    std::vector<Batch> out;
    while (auto b = loader.next()) out.push_back(std::move(*b));
    EXPECT_EQ(std::int64_t(out.size()), loader.batches());
    return out;
  }

  shard::test::TempDir tmp_;
  std::unique_ptr<shard::DatasetReader> reader_;
  std::unique_ptr<SampleTable> table_;
  std::vector<const SampleInfo*> samples_;  // 33 samples
};

// An empty vector's data() may be null, which memcmp must not get even for 0 bytes.
bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

void expect_identical(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].size, b[i].size);
    EXPECT_TRUE(same_bytes(a[i].images, b[i].images)) << "batch " << i;
    EXPECT_EQ(a[i].fine, b[i].fine);
    EXPECT_EQ(a[i].macro, b[i].macro);
    EXPECT_TRUE(same_bytes(a[i].multi_hot, b[i].multi_hot));
    EXPECT_EQ(a[i].positions, b[i].positions);
    EXPECT_EQ(std::memcmp(&a[i].mix_lambda, &b[i].mix_lambda, sizeof(float)), 0);
    EXPECT_EQ(a[i].mix_perm, b[i].mix_perm);
  }
}

}  // namespace

TEST_F(LoaderTest, BatchesEqualTheReadersDataInOrder) {
  ASSERT_EQ(samples_.size(), 33u);
  LoaderOptions o;
  o.batch_size = 8;
  o.fine_classes = 8;
  const auto batches = epoch(o);
  ASSERT_EQ(batches.size(), 5u);  // 8+8+8+8+1
  const std::size_t image = reader_->element_count();
  std::int64_t position = 0;
  for (const Batch& b : batches) {
    EXPECT_EQ(std::size_t(b.size), b.positions.size());
    EXPECT_EQ(b.images.size(), std::size_t(b.size) * image);
    EXPECT_EQ(b.multi_hot.size(), std::size_t(b.size) * 8);
    EXPECT_TRUE(b.mix_perm.empty());
    EXPECT_EQ(b.mix_lambda, 1.0f);
    for (std::int64_t i = 0; i < b.size; ++i, ++position) {
      EXPECT_EQ(b.positions[std::size_t(i)], position);
      const SampleInfo& s = *samples_[std::size_t(position)];
      const std::vector<float> want = reader_image(*reader_, s);
      EXPECT_EQ(std::memcmp(b.images.data() + std::size_t(i) * image, want.data(), image * sizeof(float)), 0);
      EXPECT_EQ(b.fine[std::size_t(i)], s.fine);
      EXPECT_EQ(b.macro[std::size_t(i)], s.macro);
      std::vector<float> hot(8, 0.0f);
      for (int l : s.fine_labels) hot[std::size_t(l)] = 1.0f;
      EXPECT_TRUE(std::equal(hot.begin(), hot.end(), b.multi_hot.begin() + i * 8));
    }
  }
  EXPECT_EQ(position, 33);
  // The extra labels of track 3 reach the multi-hot rows.
  EXPECT_EQ(samples_[3]->fine_labels, (std::vector<int>{3, 6, 1}));
  EXPECT_EQ(batches[0].multi_hot[3 * 8 + 6], 1.0f);
}

TEST_F(LoaderTest, ShuffleIsASeededPermutationPerEpochAndDropLastDropsTheTail) {
  LoaderOptions o;
  o.batch_size = 8;
  o.shuffle = true;
  o.drop_last = true;
  auto positions_of = [&](std::int64_t epoch, std::uint64_t seed) {
    LoaderOptions e = o;
    e.epoch = epoch;
    e.seed = seed;
    std::vector<std::int64_t> out;
    for (const Batch& b : this->epoch(e)) out.insert(out.end(), b.positions.begin(), b.positions.end());
    return out;
  };
  const auto a = positions_of(0, 42);
  EXPECT_EQ(a.size(), 32u);
  std::set<std::int64_t> distinct(a.begin(), a.end());
  EXPECT_EQ(distinct.size(), 32u);
  EXPECT_LT(*distinct.rbegin(), 33);
  EXPECT_EQ(a, positions_of(0, 42));
  EXPECT_NE(a, positions_of(1, 42));
  EXPECT_NE(a, positions_of(0, 43));
  std::vector<std::int64_t> identity(32);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(a, identity);
  BatchLoader loader(*reader_, samples_, o);
  EXPECT_EQ(loader.batches(), 4);
  EXPECT_EQ(loader.samples(), 32);
  EXPECT_EQ(loader.order(), a);
}

TEST_F(LoaderTest, IdenticalBatchesForAnyWorkerCount) {
  LoaderOptions o;
  o.batch_size = 5;
  o.shuffle = true;
  o.epoch = 3;
  o.fine_classes = 8;
  o.prefetch_batches = 2;
  o.augment.random_resized_crop = true;
  o.augment.crop_scale_min = 0.5;
  o.augment.time_masks = 2;
  o.augment.time_mask_max = 3;
  o.augment.freq_masks = 1;
  o.augment.freq_mask_max = 2;
  o.augment.hflip = true;
  o.augment.color_jitter = 0.2;
  o.augment.mixup_alpha = 0.4;
  o.workers = 1;
  const auto one = epoch(o);
  for (int workers : {0, 2, 4}) {
    o.workers = workers;
    SCOPED_TRACE(workers);
    expect_identical(one, epoch(o));
  }
  o.prefetch_batches = 1;
  expect_identical(one, epoch(o));
  // Recycled batches are refilled completely (the last, short batch included).
  o.workers = 2;
  {
    BatchLoader loader(*reader_, samples_, o);
    std::vector<Batch> copies;
    for (int pass = 0; pass < 2; ++pass) {
      while (auto b = loader.next()) {
        if (pass == 1) copies.push_back(*b);
        loader.recycle(std::move(*b));
      }
      loader.reset(3);
    }
    expect_identical(one, copies);
  }
  // Augmentation did change the images.
  o.augment = AugmentConfig{};
  const auto plain = epoch(o);
  EXPECT_FALSE(same_bytes(one[0].images, plain[0].images));
}

TEST_F(LoaderTest, ResetStartsAnotherEpochMidWay) {
  LoaderOptions o;
  o.batch_size = 4;
  o.shuffle = true;
  o.augment.hflip = true;
  o.augment.mixup_alpha = 1.0;
  o.epoch = 2;
  const auto want = epoch(o);
  o.epoch = 0;
  BatchLoader loader(*reader_, samples_, o);
  ASSERT_TRUE(loader.next());
  ASSERT_TRUE(loader.next());
  loader.reset(2);
  std::vector<Batch> got;
  while (auto b = loader.next()) got.push_back(std::move(*b));
  expect_identical(want, got);
}

TEST_F(LoaderTest, WorkerExceptionReachesNextAsTheSameException) {
  // An index past the split's end: the reader throws inside a worker thread.
  SampleInfo missing = *samples_[0];
  missing.index = 1000;
  std::string reader_message;
  try {
    reader_->read_float32(missing.split, missing.index, nullptr);
  } catch (const shard::ShardError& e) {
    reader_message = e.what();
  }
  ASSERT_FALSE(reader_message.empty());
  for (int workers : {0, 1, 2, 4}) {
    SCOPED_TRACE(workers);
    std::vector<const SampleInfo*> samples = samples_;
    samples[13] = &missing;  // in batch 2 of 5
    LoaderOptions o;
    o.batch_size = 5;
    o.workers = workers;
    BatchLoader loader(*reader_, samples, o);
    ASSERT_TRUE(loader.next());
    ASSERT_TRUE(loader.next());
    for (int again = 0; again < 2; ++again) {
      try {
        loader.next();
        ADD_FAILURE() << "no exception";
      } catch (const shard::ShardError& e) {
        EXPECT_EQ(std::string(e.what()), reader_message);
      }
    }
  }
}

TEST_F(LoaderTest, DestructionMidEpochDoesNotHang) {
  LoaderOptions o;
  o.batch_size = 1;
  o.workers = 4;
  o.prefetch_batches = 2;
  o.augment.random_resized_crop = true;
  for (int consumed = 0; consumed < 4; ++consumed) {
    BatchLoader loader(*reader_, samples_, o);
    for (int i = 0; i < consumed; ++i) ASSERT_TRUE(loader.next());
  }
  // And after a failure, with workers stopped early.
  SampleInfo missing = *samples_[0];
  missing.split = "nosuchsplit";
  std::vector<const SampleInfo*> samples(samples_.begin(), samples_.begin() + 3);
  samples.push_back(&missing);
  BatchLoader loader(*reader_, samples, o);
  EXPECT_TRUE(loader.next());
}

// Random time crops: each epoch takes windows_per_track windows of every track (all of a
// shorter one), a different draw per epoch, the same for any worker count.
TEST(LoaderCrops, WindowsPerTrackDrawsThatManyWindowsOfEveryTrackEachEpoch) {
  shard::test::TempDir tmp;
  std::vector<TrackSpec> tracks = plain_tracks(6);
  for (std::size_t i = 0; i < tracks.size(); ++i) tracks[i].windows = i == 0 ? 2 : 9;  // t000 has only 2
  write_tracks(tmp.path(), tracks, kShape);
  shard::DatasetReader reader(tmp.path());
  SampleTable table(reader);
  const std::vector<const SampleInfo*> samples = table.select({"train"});
  LoaderOptions o;
  o.batch_size = 5;
  o.shuffle = true;
  o.windows_per_track = 4;
  std::vector<std::vector<std::int64_t>> taken;
  for (std::int64_t epoch = 0; epoch < 3; ++epoch) {
    o.epoch = epoch;
    BatchLoader loader(reader, samples, o);
    EXPECT_EQ(loader.samples(), 2 + 5 * 4);
    std::map<std::string, int> per_track;
    std::vector<std::int64_t> positions;
    while (auto b = loader.next())
      for (std::int64_t p : b->positions) {
        ++per_track[samples[std::size_t(p)]->track_id];
        positions.push_back(p);
      }
    EXPECT_EQ(per_track["t000"], 2);
    for (int t = 1; t < 6; ++t) EXPECT_EQ(per_track["t00" + std::to_string(t)], 4) << t;
    std::sort(positions.begin(), positions.end());
    EXPECT_EQ(std::adjacent_find(positions.begin(), positions.end()), positions.end()) << "a window taken twice";
    taken.push_back(positions);
    o.workers = 0;  // the same draw with no worker thread
    BatchLoader inline_loader(reader, samples, o);
    std::vector<std::int64_t> inline_positions;
    while (auto b = inline_loader.next()) inline_positions.insert(inline_positions.end(), b->positions.begin(), b->positions.end());
    std::sort(inline_positions.begin(), inline_positions.end());
    EXPECT_EQ(inline_positions, positions);
    o.workers = 2;
  }
  EXPECT_NE(taken[0], taken[1]);
  EXPECT_NE(taken[1], taken[2]);
  o.windows_per_track = -1;
  EXPECT_THROW(BatchLoader(reader, samples, o), std::invalid_argument);
}

TEST_F(LoaderTest, EmptySampleListYieldsNoBatch) {
  BatchLoader loader(*reader_, {}, LoaderOptions{});
  EXPECT_EQ(loader.batches(), 0);
  EXPECT_FALSE(loader.next());
  EXPECT_FALSE(loader.next());
}

TEST_F(LoaderTest, RejectsBadOptions) {
  auto rejects = [&](LoaderOptions o) {
    EXPECT_THROW(BatchLoader(*reader_, samples_, o), std::invalid_argument);
  };
  LoaderOptions o;
  o.batch_size = 0;
  rejects(o);
  o = {};
  o.workers = -1;
  rejects(o);
  o = {};
  o.prefetch_batches = 0;
  rejects(o);
  o = {};
  o.fine_classes = 5;  // labels go up to 7
  rejects(o);
  o = {};
  o.augment.crop_scale_min = 0;
  rejects(o);
  o = {};
  o.augment.color_jitter = 1.5;
  rejects(o);
  o = {};
  o.augment.time_masks = -1;
  rejects(o);
  EXPECT_THROW(BatchLoader(*reader_, {nullptr}, LoaderOptions{}), std::invalid_argument);
}
