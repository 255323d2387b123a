// make_folds: track-level, stratified, val carved from the training folds only,
// deterministic from the seed and independent of the samples' order.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "loader/folds.h"
#include "loader_test_util.h"

using namespace genre;
using namespace genre::loader;
using namespace genre::loader::test;

namespace {

const std::vector<std::uint64_t> kShape{1, 2, 3};

// 61 tracks over 5 classes of 23/17/11/7/3 tracks, in train and val, a third windowed.
std::vector<TrackSpec> imbalanced_tracks() {
  const int per_class[] = {23, 17, 11, 7, 3};
  std::vector<TrackSpec> out;
  int i = 0;
  for (int c = 0; c < 5; ++c) {
    for (int k = 0; k < per_class[c]; ++k, ++i) {
      TrackSpec t;
      t.id = "tr" + std::to_string(1000 + i * 7);
      t.split = i % 4 == 0 ? "val" : "train";
      t.fine = c;
      t.macro = c % 3;
      t.windows = i % 3 == 0 ? 1 + i % 4 : 0;
      out.push_back(t);
    }
  }
  return out;
}

class FoldsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_tracks(tmp_.path(), imbalanced_tracks(), kShape);
    write_tracks(tmp_.path(), plain_tracks(4, 5, "test"), kShape);
    reader_ = std::make_unique<shard::DatasetReader>(tmp_.path());
    table_ = std::make_unique<SampleTable>(*reader_);
    samples_ = table_->select({"train", "val"});
  }

  shard::test::TempDir tmp_;
  std::unique_ptr<shard::DatasetReader> reader_;
  std::unique_ptr<SampleTable> table_;
  std::vector<const SampleInfo*> samples_;
};

std::set<std::string> tracks_of(const std::vector<const SampleInfo*>& part) {
  std::set<std::string> out;
  for (const SampleInfo* s : part) out.insert(s->track_id);
  return out;
}

std::map<std::string, int> track_classes(const std::vector<const SampleInfo*>& samples) {
  std::map<std::string, int> out;
  for (const SampleInfo* s : samples) out[s->track_id] = s->fine;
  return out;
}

}  // namespace

TEST_F(FoldsTest, PartitionEverySampleAndHoldEachTrackOutOnce) {
  const int k = 5;
  const auto folds = make_folds(samples_, k, 0.2, 42);
  ASSERT_EQ(folds.size(), std::size_t(k));
  std::map<std::string, int> held_out_count;
  for (const Fold& f : folds) {
    std::multiset<const SampleInfo*> all;
    for (const auto* part : {&f.train, &f.val, &f.held_out}) all.insert(part->begin(), part->end());
    EXPECT_EQ(all.size(), samples_.size());
    EXPECT_EQ(std::set<const SampleInfo*>(all.begin(), all.end()),
              std::set<const SampleInfo*>(samples_.begin(), samples_.end()));
    // A track's windows share one part: the parts' track sets are disjoint.
    const auto train = tracks_of(f.train), val = tracks_of(f.val), held = tracks_of(f.held_out);
    EXPECT_EQ(train.size() + val.size() + held.size(), track_classes(samples_).size());
    for (const auto& t : held) ++held_out_count[t];
    for (const SampleInfo* s : f.held_out) EXPECT_NE(s->split, "test");
  }
  EXPECT_EQ(held_out_count.size(), track_classes(samples_).size());
  for (const auto& [track, count] : held_out_count) EXPECT_EQ(count, 1) << track;
}

TEST_F(FoldsTest, StratifiedByFineClass) {
  const int k = 4;
  const auto folds = make_folds(samples_, k, 0.25, 7);
  const auto cls = track_classes(samples_);
  std::map<int, std::vector<int>> per_class(
      {{0, std::vector<int>(k)}, {1, std::vector<int>(k)}, {2, std::vector<int>(k)}, {3, std::vector<int>(k)},
       {4, std::vector<int>(k)}});
  std::vector<int> sizes(k);
  for (int f = 0; f < k; ++f)
    for (const auto& t : tracks_of(folds[std::size_t(f)].held_out)) {
      ++per_class[cls.at(t)][std::size_t(f)];
      ++sizes[std::size_t(f)];
    }
  for (const auto& [c, counts] : per_class)
    EXPECT_LE(*std::max_element(counts.begin(), counts.end()) - *std::min_element(counts.begin(), counts.end()), 1)
        << "class " << c;
  EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()) - *std::min_element(sizes.begin(), sizes.end()), 1);
}

TEST_F(FoldsTest, ValIsAStratifiedShareOfTheTrainingFolds) {
  const double fraction = 0.2;
  const auto folds = make_folds(samples_, 5, fraction, 3);
  const auto cls = track_classes(samples_);
  for (const Fold& f : folds) {
    const auto held = tracks_of(f.held_out), val = tracks_of(f.val), train = tracks_of(f.train);
    for (const auto& t : val) EXPECT_EQ(held.count(t), 0u) << t;
    const std::size_t n_train = train.size() + val.size();
    EXPECT_EQ(val.size(), std::size_t(std::llround(fraction * double(n_train))));
    // Per class: the floor or the ceiling of the class's exact share.
    std::map<int, int> class_train, class_val;
    for (const auto& t : train) ++class_train[cls.at(t)];
    for (const auto& t : val) ++class_val[cls.at(t)];
    for (const auto& [c, n] : class_train) {
      const double share = double(val.size()) * double(n + class_val[c]) / double(n_train);
      EXPECT_GE(class_val[c], int(std::floor(share))) << "class " << c;
      EXPECT_LE(class_val[c], int(std::ceil(share))) << "class " << c;
    }
  }
}

TEST_F(FoldsTest, DeterministicFromTheSeedAndIndependentOfSampleOrder) {
  const auto a = make_folds(samples_, 5, 0.2, 11);
  const auto b = make_folds(samples_, 5, 0.2, 11);
  const auto c = make_folds(samples_, 5, 0.2, 12);
  std::vector<const SampleInfo*> reversed(samples_.rbegin(), samples_.rend());
  const auto d = make_folds(reversed, 5, 0.2, 11);
  bool seed_matters = false;
  for (std::size_t f = 0; f < a.size(); ++f) {
    EXPECT_EQ(a[f].train, b[f].train);
    EXPECT_EQ(a[f].val, b[f].val);
    EXPECT_EQ(a[f].held_out, b[f].held_out);
    seed_matters = seed_matters || tracks_of(a[f].held_out) != tracks_of(c[f].held_out);
    EXPECT_EQ(tracks_of(a[f].held_out), tracks_of(d[f].held_out));
    EXPECT_EQ(tracks_of(a[f].val), tracks_of(d[f].val));
    // Parts keep the input order.
    std::map<const SampleInfo*, std::size_t> input_position;
    for (std::size_t i = 0; i < samples_.size(); ++i) input_position[samples_[i]] = i;
    for (std::size_t i = 1; i < a[f].train.size(); ++i)
      EXPECT_LT(input_position.at(a[f].train[i - 1]), input_position.at(a[f].train[i]));
  }
  EXPECT_TRUE(seed_matters);
}

TEST_F(FoldsTest, AtLeastOneValTrackWherePossible) {
  std::vector<const SampleInfo*> five;
  std::set<std::string> seen;
  for (const SampleInfo* s : samples_)
    if (seen.size() < 5 || seen.count(s->track_id)) {
      seen.insert(s->track_id);
      five.push_back(s);
    }
  ASSERT_EQ(seen.size(), 5u);
  for (const Fold& f : make_folds(five, 5, 0.05, 1)) {
    EXPECT_EQ(tracks_of(f.val).size(), 1u);
    EXPECT_EQ(tracks_of(f.train).size(), 3u);
    EXPECT_EQ(tracks_of(f.held_out).size(), 1u);
  }
  for (const Fold& f : make_folds(five, 5, 0.0, 1)) EXPECT_TRUE(f.val.empty());
}

TEST_F(FoldsTest, RejectsBadArguments) {
  EXPECT_THROW(make_folds(samples_, 1, 0.2, 1), std::invalid_argument);
  EXPECT_THROW(make_folds(samples_, 62, 0.2, 1), std::invalid_argument);  // 61 tracks
  EXPECT_NO_THROW(make_folds(samples_, 61, 0.2, 1));
  EXPECT_THROW(make_folds(samples_, 5, 1.0, 1), std::invalid_argument);
  EXPECT_THROW(make_folds(samples_, 5, -0.1, 1), std::invalid_argument);
  EXPECT_THROW(make_folds({}, 2, 0.2, 1), std::invalid_argument);
}

// ---- group-disjoint folds (FoldGroup::Artist / Album) --------------------------------------

namespace {

// 90 tracks of 3 classes by 17 artists of 2-9 tracks (an artist mostly plays one class, some
// cross over), each artist's tracks split over 1-3 albums, a few tracks without artist or album.
std::vector<TrackSpec> artist_tracks() {
  std::vector<TrackSpec> out;
  int i = 0;
  for (int a = 0; a < 17; ++a) {
    const int n = 2 + (a * 5) % 8;
    for (int k = 0; k < n && i < 90; ++k, ++i) {
      TrackSpec t;
      t.id = "g" + std::to_string(500 + i * 3);
      t.split = i % 5 == 0 ? "val" : "train";
      t.fine = k == 0 && a % 4 == 0 ? (a + 1) % 3 : a % 3;
      t.windows = i % 4 == 0 ? 2 : 0;
      t.artist = i % 23 == 7 ? "" : "artist" + std::to_string(a);
      t.album = i % 19 == 3 ? "" : "album" + std::to_string(a) + "-" + std::to_string(k % (1 + a % 3));
      out.push_back(t);
    }
  }
  while (i < 90) {  // the rest: lone tracks
    TrackSpec t;
    t.id = "g" + std::to_string(500 + i * 3);
    t.fine = i % 3;
    out.push_back(t);
    ++i;
  }
  return out;
}

class GroupFoldsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_tracks(tmp_.path(), artist_tracks(), kShape);
    reader_ = std::make_unique<shard::DatasetReader>(tmp_.path());
    table_ = std::make_unique<SampleTable>(*reader_);
    samples_ = table_->select({"train", "val"});
  }

  shard::test::TempDir tmp_;
  std::unique_ptr<shard::DatasetReader> reader_;
  std::unique_ptr<SampleTable> table_;
  std::vector<const SampleInfo*> samples_;
};

std::string group_of(const SampleInfo* s, FoldGroup g) {
  const std::string& v = g == FoldGroup::Artist ? s->artist : s->album;
  return v.empty() ? "track " + s->track_id : v;
}

std::set<std::string> groups_of(const std::vector<const SampleInfo*>& part, FoldGroup g) {
  std::set<std::string> out;
  for (const SampleInfo* s : part) out.insert(group_of(s, g));
  return out;
}

bool disjoint(const std::set<std::string>& a, const std::set<std::string>& b) {
  for (const auto& x : a)
    if (b.count(x)) return false;
  return true;
}

}  // namespace

TEST(FoldGroupParse, NamesAndErrors) {
  EXPECT_EQ(parse_fold_group("none"), FoldGroup::None);
  EXPECT_EQ(parse_fold_group("artist"), FoldGroup::Artist);
  EXPECT_EQ(parse_fold_group("album"), FoldGroup::Album);
  EXPECT_STREQ(fold_group_name(FoldGroup::Album), "album");
  try {
    parse_fold_group("label");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("none, artist or album"), std::string::npos) << e.what();
  }
}

TEST_F(GroupFoldsTest, SampleTableReadsArtistAndAlbum) {
  std::size_t with_artist = 0, without = 0;
  for (const SampleInfo* s : samples_) {
    if (s->artist.empty()) ++without;
    else ++with_artist;
    if (!s->artist.empty()) {
      EXPECT_EQ(s->artist.rfind("artist", 0), 0u) << s->artist;
    }
  }
  EXPECT_GT(with_artist, 50u);
  EXPECT_GT(without, 0u);
}

TEST_F(GroupFoldsTest, NoGroupSpansHeldOutAndTraining) {
  for (FoldGroup g : {FoldGroup::Artist, FoldGroup::Album}) {
    const std::vector<Fold> folds = make_folds(samples_, 4, 0.2, 11, g);
    ASSERT_EQ(folds.size(), 4u);
    std::map<std::string, int> held_in;  // group -> the fold holding it out
    std::set<std::string> all_tracks;
    for (std::size_t f = 0; f < folds.size(); ++f) {
      const Fold& fold = folds[f];
      EXPECT_FALSE(fold.held_out.empty());
      EXPECT_FALSE(fold.train.empty());
      EXPECT_FALSE(fold.val.empty());
      const auto held = groups_of(fold.held_out, g), train = groups_of(fold.train, g), val = groups_of(fold.val, g);
      EXPECT_TRUE(disjoint(held, train)) << fold_group_name(g) << " fold " << f;
      EXPECT_TRUE(disjoint(held, val)) << fold_group_name(g) << " fold " << f;
      EXPECT_TRUE(disjoint(val, train)) << fold_group_name(g) << " fold " << f;
      EXPECT_EQ(fold.held_out.size() + fold.train.size() + fold.val.size(), samples_.size());
      for (const auto& name : held) {
        EXPECT_EQ(held_in.count(name), 0u) << name << " held out twice";
        held_in[name] = static_cast<int>(f);
      }
      for (const auto& t : tracks_of(fold.held_out)) all_tracks.insert(t);
    }
    EXPECT_EQ(all_tracks, tracks_of(samples_));  // every track held out once
  }
}

TEST_F(GroupFoldsTest, FoldsAreBalancedAndDeterministic) {
  const std::vector<Fold> a = make_folds(samples_, 3, 0.1, 5, FoldGroup::Artist);
  const std::vector<Fold> b = make_folds(samples_, 3, 0.1, 5, FoldGroup::Artist);
  std::vector<const SampleInfo*> reversed(samples_.rbegin(), samples_.rend());
  const std::vector<Fold> c = make_folds(reversed, 3, 0.1, 5, FoldGroup::Artist);
  std::size_t total_tracks = tracks_of(samples_).size();
  for (std::size_t f = 0; f < a.size(); ++f) {
    EXPECT_EQ(a[f].held_out, b[f].held_out);
    EXPECT_EQ(a[f].val, b[f].val);
    EXPECT_EQ(tracks_of(a[f].held_out), tracks_of(c[f].held_out));
    // Whole artists of 2-9 tracks: each fold holds out roughly a third of the tracks.
    const double share = double(tracks_of(a[f].held_out).size()) / double(total_tracks);
    EXPECT_GT(share, 0.2) << f;
    EXPECT_LT(share, 0.45) << f;
  }
}

TEST_F(GroupFoldsTest, NoneIsTheTrackLevelFolds) {
  const std::vector<Fold> a = make_folds(samples_, 4, 0.2, 3, FoldGroup::None);
  const std::vector<Fold> b = make_folds(samples_, 4, 0.2, 3);
  for (std::size_t f = 0; f < a.size(); ++f) {
    EXPECT_EQ(a[f].train, b[f].train);
    EXPECT_EQ(a[f].val, b[f].val);
    EXPECT_EQ(a[f].held_out, b[f].held_out);
  }
}

TEST_F(GroupFoldsTest, FewerGroupsThanFoldsIsAnError) {
  std::vector<const SampleInfo*> two_artists;
  for (const SampleInfo* s : samples_)
    if (s->artist == "artist1" || s->artist == "artist2") two_artists.push_back(s);
  ASSERT_GE(tracks_of(two_artists).size(), 3u);
  EXPECT_NO_THROW(make_folds(two_artists, 2, 0.0, 1, FoldGroup::Artist));
  try {
    make_folds(two_artists, 3, 0.0, 1, FoldGroup::Artist);
    FAIL() << "3 folds from 2 artists";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("2 artist groups cannot fill 3 folds"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(make_folds(two_artists, 3, 0.0, 1, FoldGroup::None));  // tracks, not artists
}
