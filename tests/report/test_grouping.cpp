// mean_by_group (track-level scores from windows) and sum_to_parents
// (macrogenre scores from fine ones) against hand-computed values.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "report/grouping.h"
#include "report/metrics.h"

using namespace genre::report;

namespace {

template <typename F>
std::string invalid_message(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no std::invalid_argument";
}

}  // namespace

// Windows of tracks "t7" (3 windows), "t2" (1), "t9" (2), interleaved.
TEST(MeanByGroup, AveragesEachTracksWindowsInFirstSeenOrder) {
  const std::vector<float> probs = {
      0.6f, 0.3f, 0.1f,  // t7
      0.2f, 0.2f, 0.6f,  // t2
      0.0f, 0.9f, 0.1f,  // t7
      0.5f, 0.5f, 0.0f,  // t9
      0.3f, 0.3f, 0.4f,  // t7
      0.1f, 0.7f, 0.2f,  // t9
  };
  const std::vector<int64_t> labels = {1, 2, 1, 0, 1, 0};
  const std::vector<std::string> groups = {"t7", "t2", "t7", "t9", "t7", "t9"};
  const Grouped g = mean_by_group(probs.data(), 6, 3, labels.data(), groups);
  EXPECT_EQ(g.groups, (std::vector<std::string>{"t7", "t2", "t9"}));
  EXPECT_EQ(g.labels, (std::vector<int64_t>{1, 2, 0}));
  const std::vector<float> want = {0.3f, 0.5f, 0.2f, 0.2f, 0.2f, 0.6f, 0.3f, 0.6f, 0.1f};
  ASSERT_EQ(g.probs.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(g.probs[i], want[i], 1e-6f) << i;

  // Track level can differ from window level: t9's windows vote 0 and 1, its mean says 1.
  const ClassificationMetrics m = evaluate(g.probs.data(), 3, 3, g.labels.data());
  EXPECT_DOUBLE_EQ(m.top1, 2.0 / 3.0);  // t7 -> 1 right, t2 -> 2 right, t9 -> 1 wrong
}

TEST(MeanByGroup, RejectsWindowsOfOneTrackWithDifferentLabels) {
  const std::vector<float> probs(4 * 2, 0.5f);
  const std::vector<int64_t> labels = {0, 1, 0, 0};
  const std::string msg = invalid_message([&] {
    mean_by_group(probs.data(), 4, 2, labels.data(), {"a", "b", "b", "a"});
  });
  EXPECT_NE(msg.find("group \"b\" has label 1 at sample 1 but label 0 at sample 2"), std::string::npos) << msg;
}

TEST(MeanByGroup, RejectsSizeMismatchAndBadLabels) {
  const std::vector<float> probs(3 * 2, 0.5f);
  const std::vector<int64_t> labels = {0, 1, 2};
  EXPECT_NE(invalid_message([&] {
              mean_by_group(probs.data(), 3, 2, labels.data(), {"a", "b"});
            }).find("2 group ids for 3 samples"),
            std::string::npos);
  EXPECT_NE(invalid_message([&] {
              mean_by_group(probs.data(), 3, 2, labels.data(), {"a", "b", "c"});
            }).find("label 2 of sample 2 is out of range [0, 2)"),
            std::string::npos);
}

// Fine classes 0,1 -> coarse 1; 2 -> coarse 0; 3 dropped.
TEST(SumToParents, SumsEachParentsChildrenAndDropsUnmapped) {
  const std::vector<float> fine = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.25f, 0.15f, 0.1f};
  const auto coarse = sum_to_parents(fine.data(), 2, 4, {1, 1, 0, -1}, 2);
  ASSERT_EQ(coarse.size(), 4u);
  EXPECT_NEAR(coarse[0], 0.3f, 1e-6f);
  EXPECT_NEAR(coarse[1], 0.3f, 1e-6f);
  EXPECT_NEAR(coarse[2], 0.15f, 1e-6f);
  EXPECT_NEAR(coarse[3], 0.75f, 1e-6f);
}

TEST(SumToParents, RejectsAMapThatDoesNotFit) {
  const std::vector<float> fine(4, 0.25f);
  EXPECT_NE(invalid_message([&] {
              sum_to_parents(fine.data(), 1, 4, {0, 1, 0}, 2);
            }).find("3 entries for 4 fine classes"),
            std::string::npos);
  EXPECT_NE(invalid_message([&] {
              sum_to_parents(fine.data(), 1, 4, {0, 1, 2, 0}, 2);
            }).find("fine class 2 maps to 2, outside [-1, 2)"),
            std::string::npos);
}

TEST(LabelsToParents, MapsLabelsAndRejectsOrphans) {
  const std::vector<int64_t> labels = {0, 2, 1};
  EXPECT_EQ(labels_to_parents(labels.data(), 3, {1, 1, 0, -1}), (std::vector<int64_t>{1, 0, 1}));
  const std::vector<int64_t> orphan = {3};
  EXPECT_NE(invalid_message([&] {
              labels_to_parents(orphan.data(), 1, {1, 1, 0, -1});
            }).find("no parent"),
            std::string::npos);
}
