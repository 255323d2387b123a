// band_statistics: per (channel, row) mean and population standard deviation over every
// column of every sample, checked against a direct computation on the reader's images.
#include <gtest/gtest.h>

#include <cmath>

#include "loader/band_stats.h"
#include "loader_test_util.h"

using namespace genre;
using namespace genre::loader;
using namespace genre::loader::test;

TEST(BandStats, MeanAndStdOfEveryRowOverAllSamplesAndColumns) {
  shard::test::TempDir tmp;
  const std::vector<std::uint64_t> shape{2, 5, 7};
  write_tracks(tmp.path(), plain_tracks(9), shape);
  shard::DatasetReader reader(tmp.path());
  SampleTable table(reader);
  const std::vector<const SampleInfo*> samples = table.select({"train"});
  const BandStats stats = band_statistics(reader, samples);
  ASSERT_EQ(stats.channels, 2u);
  ASSERT_EQ(stats.rows, 5u);
  ASSERT_EQ(stats.mean.size(), 10u);
  for (std::size_t band = 0; band < 10; ++band) {
    std::vector<double> values;
    for (const SampleInfo* s : samples) {
      const std::vector<float> image = reader_image(reader, *s);
      for (std::size_t x = 0; x < 7; ++x) values.push_back(image[band * 7 + x]);
    }
    double mean = 0, var = 0;
    for (double v : values) mean += v;
    mean /= double(values.size());
    for (double v : values) var += (v - mean) * (v - mean);
    EXPECT_NEAR(stats.mean[band], mean, 1e-9) << band;
    EXPECT_NEAR(stats.std[band], std::sqrt(var / double(values.size())), 1e-9) << band;
  }
  EXPECT_THROW(band_statistics(reader, {}), std::invalid_argument);
}

TEST(BandStats, ABandThatNeverVariesGetsAFloorInsteadOfZero) {
  shard::test::TempDir tmp;
  const std::vector<std::uint64_t> shape{1, 4, 6};
  shard::WriterOptions o;
  o.dir = tmp.path();
  o.classes = classes(2, 0);
  {
    shard::DatasetWriter w(o);
    w.set_split("train");
    for (int k = 0; k < 3; ++k) {
      std::vector<float> data(24);
      for (std::size_t i = 0; i < 24; ++i) data[i] = i < 6 ? -80.0f : float(k * 10 + int(i % 7));  // row 0 constant
      shard::SampleInput in;
      in.key = "t" + std::to_string(k);
      in.shape = shape;
      in.data = data.data();
      in.fine = 0;
      in.meta["track_id"] = in.key;
      in.meta["window"] = nullptr;
      w.stage(in);
      w.commit();
    }
    w.close();
  }
  shard::DatasetReader reader(tmp.path());
  SampleTable table(reader);
  const BandStats stats = band_statistics(reader, table.select({"train"}));
  EXPECT_DOUBLE_EQ(stats.mean[0], -80.0);
  const double mean_std = (stats.std[0] + stats.std[1] + stats.std[2] + stats.std[3]) / 4;
  EXPECT_GT(stats.std[0], 0.0);
  EXPECT_NEAR(stats.std[0], 1e-3 * (stats.std[1] + stats.std[2] + stats.std[3]) / 4, 1e-3 * mean_std);
}
