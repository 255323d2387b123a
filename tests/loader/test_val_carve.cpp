// carve_validation: val from the training split of a dataset that has none: whole
// tracks, every class represented in proportion, deterministic from the seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "loader/val_carve.h"
#include "loader_test_util.h"

using namespace genre;
using namespace genre::loader;
using namespace genre::loader::test;

namespace {

const std::vector<std::uint64_t> kShape{1, 2, 3};

// 40 training tracks: classes of 20/12/6/2 tracks, every third one windowed.
std::vector<TrackSpec> training_tracks() {
  const int per_class[] = {20, 12, 6, 2};
  std::vector<TrackSpec> out;
  int i = 0;
  for (int c = 0; c < 4; ++c)
    for (int k = 0; k < per_class[c]; ++k, ++i) {
      TrackSpec t;
      t.id = "tr" + std::to_string(2000 + i * 3);
      t.split = "train";
      t.fine = c;
      t.macro = c % 2;
      t.windows = i % 3 == 0 ? 3 : 0;
      out.push_back(t);
    }
  return out;
}

std::map<std::string, int> tracks_by_class(const std::vector<const SampleInfo*>& part, std::map<int, int>* per_class) {
  std::map<std::string, int> tracks;
  for (const SampleInfo* s : part) tracks[s->track_id] = s->fine;
  for (const auto& [id, fine] : tracks) ++(*per_class)[fine];
  return tracks;
}

class ValCarveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_tracks(tmp_.path(), training_tracks(), kShape);
    reader_ = std::make_unique<shard::DatasetReader>(tmp_.path());
    table_ = std::make_unique<SampleTable>(*reader_);
    samples_ = table_->select({"train"});
  }

  shard::test::TempDir tmp_;
  std::unique_ptr<shard::DatasetReader> reader_;
  std::unique_ptr<SampleTable> table_;
  std::vector<const SampleInfo*> samples_;
};

}  // namespace

TEST_F(ValCarveTest, WholeTracksStratifiedByClass) {
  const ValCarve carve = carve_validation(samples_, 0.2, 7);
  EXPECT_EQ(carve.train.size() + carve.val.size(), samples_.size());
  EXPECT_EQ(carve.val_tracks, 8u);
  EXPECT_EQ(carve.train_tracks, 32u);
  std::map<int, int> val_classes, train_classes;
  const auto val = tracks_by_class(carve.val, &val_classes);
  const auto train = tracks_by_class(carve.train, &train_classes);
  EXPECT_EQ(val.size(), 8u);
  for (const auto& [id, fine] : val) EXPECT_EQ(train.count(id), 0u) << id << " is on both sides";
  // 20% of 20/12/6/2 tracks: 4, 2.4, 1.2, 0.4 -> 4, 2, 1, 1 (largest remainder).
  EXPECT_EQ(val_classes, (std::map<int, int>{{0, 4}, {1, 2}, {2, 1}, {3, 1}}));
  EXPECT_EQ(train_classes[3], 1) << "a class keeps a training track";
}

TEST_F(ValCarveTest, DeterministicFromTheSeedAndIndependentOfOrder) {
  const ValCarve a = carve_validation(samples_, 0.2, 7);
  std::vector<const SampleInfo*> reversed(samples_.rbegin(), samples_.rend());
  const ValCarve b = carve_validation(reversed, 0.2, 7);
  std::set<std::string> va, vb, vc;
  for (const SampleInfo* s : a.val) va.insert(s->track_id);
  for (const SampleInfo* s : b.val) vb.insert(s->track_id);
  EXPECT_EQ(va, vb);
  for (const SampleInfo* s : carve_validation(samples_, 0.2, 8).val) vc.insert(s->track_id);
  EXPECT_NE(va, vc) << "another seed, another carve";
}

TEST_F(ValCarveTest, RefusesWhatCannotBeCarved) {
  EXPECT_THROW(carve_validation(samples_, 0.0, 1), std::invalid_argument);
  EXPECT_THROW(carve_validation(samples_, 1.0, 1), std::invalid_argument);
  std::vector<const SampleInfo*> one_track;
  for (const SampleInfo* s : samples_)
    if (s->track_id == samples_.front()->track_id) one_track.push_back(s);
  EXPECT_THROW(carve_validation(one_track, 0.5, 1), std::invalid_argument);
}
