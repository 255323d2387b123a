#include "report/hierarchy_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

using genre::report::hierarchy_report;
using genre::taxonomy::GenreTree;

TEST(HierarchyMetrics, MistakeDistanceAgreementAndCrm) {
  const GenreTree tree({0, 0, 1}, {}, 2);  // siblings 2 apart, other macrogenre 4
  // Sample 0 (label 0): arg max right.
  // Sample 1 (label 0): arg max 1 (a sibling, distance 2).
  // Sample 2 (label 0): arg max 2 (0.4) although macro 0 holds 0.6: the macro verdict (summed) is 0,
  //   the fine verdict's macro is 1, so the levels disagree; CRM picks 0 (right).
  // Sample 3 (label 2): arg max 0, far (distance 4); CRM agrees with the arg max.
  const std::vector<float> probs{0.8f, 0.1f, 0.1f, 0.2f, 0.7f, 0.1f, 0.3f, 0.3f, 0.4f, 0.9f, 0.05f, 0.05f};
  const std::vector<int64_t> labels{0, 0, 0, 2};
  const auto r = hierarchy_report(probs.data(), nullptr, 4, tree, labels.data());
  EXPECT_DOUBLE_EQ(r.argmax.top1, 0.25);
  EXPECT_EQ(r.argmax.mistakes, 3);
  EXPECT_DOUBLE_EQ(r.argmax.mean_mistake_distance, (2.0 + 4.0 + 4.0) / 3.0);
  EXPECT_DOUBLE_EQ(r.argmax.mean_distance, 10.0 / 4.0);
  EXPECT_DOUBLE_EQ(r.argmax.level_agreement, 0.75);
  EXPECT_EQ(r.argmax.distance_histogram, (std::vector<int64_t>{1, 0, 1, 0, 2}));
  EXPECT_DOUBLE_EQ(r.crm.top1, 0.5);
  EXPECT_DOUBLE_EQ(r.crm.level_agreement, 1.0);
  EXPECT_DOUBLE_EQ(r.crm_changed, 0.25);
  EXPECT_EQ(r.max_distance, 4);
  const nlohmann::json j = genre::report::to_json(r);
  EXPECT_EQ(j["argmax"]["mistakes"], 3);
  EXPECT_EQ(j["crm"]["top1"], 0.5);
  EXPECT_NE(genre::report::markdown_hierarchy(r, "fine").find("| CRM | 50.00 % |"), std::string::npos);
}

TEST(HierarchyMetrics, MacroHeadGivesTheMacroVerdict) {
  const GenreTree tree({0, 0, 1}, {}, 2);
  const std::vector<float> fine{0.6f, 0.1f, 0.3f};
  const std::vector<float> macro{0.2f, 0.8f};  // the macro head disagrees with the fine verdict's macro
  const std::vector<int64_t> labels{0};
  EXPECT_DOUBLE_EQ(hierarchy_report(fine.data(), macro.data(), 1, tree, labels.data()).argmax.level_agreement, 0.0);
  EXPECT_DOUBLE_EQ(hierarchy_report(fine.data(), nullptr, 1, tree, labels.data()).argmax.level_agreement, 1.0);
}

TEST(HierarchyMetrics, NoMistakesAndNoMacrogenres) {
  const GenreTree tree({-1, -1}, {}, 0);
  const std::vector<float> probs{0.9f, 0.1f};
  const std::vector<int64_t> labels{0};
  const auto r = hierarchy_report(probs.data(), nullptr, 1, tree, labels.data());
  EXPECT_TRUE(std::isnan(r.argmax.mean_mistake_distance));
  EXPECT_TRUE(std::isnan(r.argmax.level_agreement));
  EXPECT_TRUE(genre::report::to_json(r)["argmax"]["level_agreement"].is_null());
  const std::vector<int64_t> bad{2};
  EXPECT_THROW(hierarchy_report(probs.data(), nullptr, 1, tree, bad.data()), std::invalid_argument);
}
