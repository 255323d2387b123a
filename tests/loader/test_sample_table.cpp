// SampleTable: fields parsed from each sample's JSON, fallbacks for datasets
// written without them, and clear errors for malformed fields.
#include <gtest/gtest.h>

#include "loader/sample_table.h"
#include "loader_test_util.h"
#include "shard/shard_error.h"

using namespace genre;
using namespace genre::loader;
using namespace genre::loader::test;

namespace {

const std::vector<std::uint64_t> kShape{1, 4, 6};

// One sample with a hand-made meta (fields absent, other forms, wrong types).
void write_one(const std::string& dir, const std::string& key, int fine, const nlohmann::json& meta) {
  shard::WriterOptions o;
  o.dir = dir;
  o.classes = classes(8, 3);
  shard::DatasetWriter w(o);
  const std::vector<float> data = shard::test::sample_data(24, 7);
  shard::SampleInput in;
  in.key = key;
  in.shape = kShape;
  in.data = data.data();
  in.fine = fine;
  in.macro = 1;
  in.meta = meta;
  w.stage(in);
  w.commit();
  w.close();
}

}  // namespace

TEST(SampleTable, FieldsOfWholeClipAndWindowedSamples) {
  shard::test::TempDir tmp;
  std::vector<TrackSpec> tracks(3);
  tracks[0] = {"a", "train", 2, 1, {5, 7}, 0, "", ""};
  tracks[1] = {"b", "train", 4, -1, {}, 3, "", ""};
  tracks[2] = {"c", "val", 1, 0, {}, 0, "", ""};
  write_tracks(tmp.path(), tracks, kShape);
  shard::DatasetReader reader(tmp.path());
  const SampleTable table(reader);

  EXPECT_TRUE(table.windowed());
  EXPECT_EQ(table.split_names(), (std::vector<std::string>{"train", "val"}));
  EXPECT_TRUE(table.split("test").empty());
  const auto& train = table.split("train");
  ASSERT_EQ(train.size(), 4u);
  for (std::size_t i = 0; i < train.size(); ++i) {
    const SampleInfo& s = train[i];
    EXPECT_EQ(s.split, "train");
    EXPECT_EQ(s.index, i);
    // The table and the reader agree on which sample an index names.
    const std::string key(reader.sample("train", i).key);
    EXPECT_EQ(key, s.window < 0 ? s.track_id : s.track_id + "_w" + std::to_string(s.window));
    if (s.track_id == "a") {
      EXPECT_EQ(s.window, -1);
      EXPECT_EQ(s.fine, 2);
      EXPECT_EQ(s.macro, 1);
      EXPECT_EQ(s.fine_labels, (std::vector<int>{2, 5, 7}));
    } else {
      EXPECT_EQ(s.track_id, "b");
      EXPECT_EQ(s.fine, 4);
      EXPECT_EQ(s.macro, -1);
      EXPECT_EQ(s.fine_labels, (std::vector<int>{4}));
    }
  }
  std::vector<int> windows;
  for (const SampleInfo& s : train)
    if (s.track_id == "b") windows.push_back(s.window);
  std::sort(windows.begin(), windows.end());
  EXPECT_EQ(windows, (std::vector<int>{0, 1, 2}));

  const auto& val = table.split("val");
  ASSERT_EQ(val.size(), 1u);
  EXPECT_EQ(val[0].track_id, "c");
  EXPECT_EQ(val[0].macro, 0);

  const auto both = table.select({"val", "train", "test"});
  ASSERT_EQ(both.size(), 5u);
  EXPECT_EQ(both[0], &val[0]);
  EXPECT_EQ(both[1], &train[0]);
}

TEST(SampleTable, WholeClipsOnlyAreNotWindowed) {
  shard::test::TempDir tmp;
  write_tracks(tmp.path(), plain_tracks(5), kShape);
  shard::DatasetReader reader(tmp.path());
  const SampleTable table(reader);
  EXPECT_FALSE(table.windowed());
  EXPECT_EQ(table.split("train").size(), 5u);
}

TEST(SampleTable, FallsBackOnKeyAndFineLabel) {
  shard::test::TempDir tmp;
  write_one(tmp.path(), "000123_w4", 3, nlohmann::json::object());  // no track_id, fine_labels or window
  shard::DatasetReader reader(tmp.path());
  const SampleInfo s = SampleTable(reader).split("train").at(0);
  EXPECT_EQ(s.track_id, "000123");
  EXPECT_EQ(s.window, 4);
  EXPECT_EQ(s.fine_labels, std::vector<int>{3});
}

TEST(SampleTable, PlainIntegerLabelsAndWholeClipWindowMeta) {
  shard::test::TempDir tmp;
  // specresize's per-clip image: window meta present but whole_clip, no index.
  write_one(tmp.path(), "x9", 3,
            {{"track_id", "x9"}, {"fine_labels", {3, 6}}, {"window", {{"whole_clip", true}, {"valid_frames", 10}}}});
  shard::DatasetReader reader(tmp.path());
  const SampleTable table(reader);
  const SampleInfo& s = table.split("train").at(0);
  EXPECT_EQ(s.window, -1);
  EXPECT_EQ(s.fine_labels, (std::vector<int>{3, 6}));
  EXPECT_FALSE(table.windowed());
}

TEST(SampleTable, MalformedFieldsAreShardErrorsNamingTheSample) {
  const std::vector<nlohmann::json> bad = {
      {{"track_id", 17}},
      {{"fine_labels", "rock"}},
      {{"fine_labels", {{{"name", "no index"}}}}},
      {{"fine_labels", {-2}}},
      {{"window", {{"index", "first"}}}},
      {{"window", 3}},
  };
  for (const auto& meta : bad) {
    shard::test::TempDir tmp;
    write_one(tmp.path(), "bad7", 1, meta);
    shard::DatasetReader reader(tmp.path());
    shard::test::expect_shard_error([&] { SampleTable table(reader); }, "sample 'bad7'");
  }
}

TEST(SampleTable, LargeSplitsParsedInParallelKeepEverySampleInPlace) {
  shard::test::TempDir tmp;
  std::vector<TrackSpec> tracks = plain_tracks(900);
  for (TrackSpec& t : tracks) t.windows = 10;  // 9,000 samples: several parsing threads
  write_tracks(tmp.path(), tracks, {1, 1, 2}, 8, 3, 3000);
  shard::DatasetReader reader(tmp.path());
  const SampleTable table(reader);
  const auto& train = table.split("train");
  ASSERT_EQ(train.size(), 9000u);
  for (std::size_t i = 0; i < train.size(); ++i) {
    ASSERT_EQ(train[i].index, i);
    ASSERT_EQ(train[i].track_id + "_w" + std::to_string(train[i].window), std::string(reader.sample("train", i).key));
    ASSERT_EQ(train[i].fine_labels, std::vector<int>{train[i].fine});
  }
}
