#include "taxonomy/agglomerative.h"

#include <gtest/gtest.h>

#include <stdexcept>

using genre::taxonomy::average_linkage_clusters;
using genre::taxonomy::confusion_similarity;

namespace {

// 7 classes in three blocks, listed interleaved so that index order does not give them away:
// block A = {0, 3, 5}, block B = {1, 4}, block C = {2, 6}. Within a block the model confuses
// classes often (6 to 12 of 40), across blocks rarely (0 to 2).
std::vector<double> block_confusion() {
  const int block[7] = {0, 1, 2, 0, 1, 0, 2};
  std::vector<double> c(49);
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 7; ++j) c[i * 7 + j] = i == j ? 20 : block[i] == block[j] ? 6 + (i + 2 * j) % 7 : (i * j) % 3;
  return c;
}

}  // namespace

TEST(Agglomerative, ClusteringABlockConfusionRecoversTheBlocks) {
  const std::vector<double> s = confusion_similarity(block_confusion(), 7);
  EXPECT_EQ(average_linkage_clusters(s, 7, 3), (std::vector<int>{0, 1, 2, 0, 1, 0, 2}));
  // One cluster fewer merges two whole blocks; no block is split.
  const std::vector<int> two = average_linkage_clusters(s, 7, 2);
  EXPECT_EQ(two[0], two[3]);
  EXPECT_EQ(two[0], two[5]);
  EXPECT_EQ(two[1], two[4]);
  EXPECT_EQ(two[2], two[6]);
}

TEST(Agglomerative, EdgeCountsOfClusters) {
  const std::vector<double> s = confusion_similarity(block_confusion(), 7);
  EXPECT_EQ(average_linkage_clusters(s, 7, 7), (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(average_linkage_clusters(s, 7, 1), std::vector<int>(7, 0));
  EXPECT_THROW(average_linkage_clusters(s, 7, 0), std::invalid_argument);
  EXPECT_THROW(average_linkage_clusters(s, 7, 8), std::invalid_argument);
  EXPECT_THROW(average_linkage_clusters(s, 6, 2), std::invalid_argument);
}

TEST(Agglomerative, AverageLinkageIsNotSingleLinkage) {
  // 0 and 1 merge first (0.9). Then 2 has the best single link to {0, 1} (0.85 to 1) but a mean of
  // 0.425; 3 has a mean of 0.5: average linkage joins 3, single linkage would join 2.
  const std::vector<double> s = {0, 0.9, 0.0, 0.5,   //
                                 0.9, 0, 0.85, 0.5,  //
                                 0.0, 0.85, 0, 0.0,  //
                                 0.5, 0.5, 0.0, 0};
  EXPECT_EQ(average_linkage_clusters(s, 4, 2), (std::vector<int>{0, 0, 1, 0}));
}

TEST(Agglomerative, SimilarityIsRowNormalisedAndSymmetric) {
  // Class 0 has twice the samples of class 1: rates, not counts, are compared.
  const std::vector<double> s = confusion_similarity({8, 2, 1, 4}, 2);
  EXPECT_DOUBLE_EQ(s[0], 0.0);
  EXPECT_DOUBLE_EQ(s[1], 0.5 * (0.2 + 0.2));
  EXPECT_DOUBLE_EQ(s[2], s[1]);
  EXPECT_THROW(confusion_similarity({1, 0, 0, 0}, 2), std::invalid_argument);  // class 1 has no sample
  EXPECT_THROW(confusion_similarity({1, -1, 0, 1}, 2), std::invalid_argument);
  EXPECT_THROW(confusion_similarity({1, 2, 3}, 2), std::invalid_argument);
}
