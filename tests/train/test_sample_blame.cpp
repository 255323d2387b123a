// non_finite_samples: a NaN loss caused by the data names the samples, as the shards do.
#include <gtest/gtest.h>

#include <cmath>

#include "loader_test_util.h"
#include "train/sample_blame.h"

using namespace genre;
using namespace genre::loader::test;

namespace {

class SampleBlameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_tracks(tmp_.path(), plain_tracks(6), {1, 2, 2});
    reader_ = std::make_unique<shard::DatasetReader>(tmp_.path());
    table_ = std::make_unique<loader::SampleTable>(*reader_);
    samples_ = table_->select({"train"});
  }

  // A batch of the samples at `positions`, every pixel 0.5.
  loader::Batch batch(const std::vector<std::int64_t>& positions) const {
    loader::Batch b;
    b.size = static_cast<std::int64_t>(positions.size());
    b.positions = positions;
    b.images.assign(positions.size() * 4, 0.5f);
    return b;
  }

  std::string key_of(std::size_t position) const {
    return std::string(reader_->sample("train", samples_[position]->index).key);
  }

  shard::test::TempDir tmp_;
  std::unique_ptr<shard::DatasetReader> reader_;
  std::unique_ptr<loader::SampleTable> table_;
  train::SampleList samples_;
};

}  // namespace

TEST_F(SampleBlameTest, FiniteBatchesBlameNothing) {
  EXPECT_EQ(train::non_finite_samples(batch({0, 1, 2}), samples_, *reader_), "");
}

TEST_F(SampleBlameTest, NamesTheSamplesWithNanOrInfPixels) {
  loader::Batch b = batch({4, 1, 3});
  b.images[1 * 4 + 2] = std::nanf("");
  b.images[2 * 4 + 0] = -INFINITY;
  const std::string text = train::non_finite_samples(b, samples_, *reader_);
  EXPECT_NE(text.find("sample " + key_of(1) + " (split train, shard "), std::string::npos) << text;
  EXPECT_NE(text.find("sample " + key_of(3) + " "), std::string::npos) << text;
  EXPECT_EQ(text.find(key_of(4)), std::string::npos) << text;
  EXPECT_NE(text.find("hold NaN or Inf values"), std::string::npos) << text;
  EXPECT_EQ(text.find("mixup"), std::string::npos) << text;
  b.mix_perm = {1, 0, 2};
  EXPECT_NE(train::non_finite_samples(b, samples_, *reader_).find("mixup"), std::string::npos);
}

TEST_F(SampleBlameTest, NamesThreeAndCountsTheRest) {
  loader::Batch b = batch({0, 1, 2, 3, 4});
  for (float& v : b.images) v = INFINITY;
  const std::string text = train::non_finite_samples(b, samples_, *reader_);
  EXPECT_NE(text.find(" and 2 more hold"), std::string::npos) << text;
}
