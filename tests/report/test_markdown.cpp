// Markdown for report.md: table layout and escaping, and the metrics summary.
#include <gtest/gtest.h>

#include <stdexcept>

#include "report/markdown.h"
#include "report_test_util.h"

using namespace genre::report;
using genre::report::test::scores_predicting;

TEST(MarkdownTable, HeaderRuleAndRowsWithAlignment) {
  EXPECT_EQ(markdown_table({"class", "support"}, {{"Rock", "12"}, {"Pop", "3"}}, {Align::Left, Align::Right}),
            "| class | support |\n"
            "|---|---:|\n"
            "| Rock | 12 |\n"
            "| Pop | 3 |\n");
  EXPECT_EQ(markdown_table({"a"}, {}, {Align::Center}), "| a |\n|:---:|\n");
}

TEST(MarkdownTable, EscapesPipesAndLineBreaks) {
  EXPECT_EQ(markdown_table({"name"}, {{"a|b\nc"}}), "| name |\n|---|\n| a\\|b c |\n");
  // A class name carrying a terminal escape sequence: visible, not executed.
  EXPECT_EQ(markdown_table({"name"}, {{"\x1b[31mRed\x07"}}), "| name |\n|---|\n| \\e[31mRed\\x07 |\n");
}

TEST(MarkdownTable, RejectsRaggedRows) {
  EXPECT_THROW(markdown_table({"a", "b"}, {{"1"}}), std::invalid_argument);
  EXPECT_THROW(markdown_table({"a", "b"}, {}, {Align::Left}), std::invalid_argument);
  EXPECT_THROW(markdown_table({}, {}), std::invalid_argument);
}

TEST(MarkdownMetrics, SummaryAndPerClassTableSortedBySupport) {
  // Supports: Rock 1, Pop 3, Jazz 2, Folk 0 and never predicted.
  const std::vector<int64_t> y = {1, 1, 1, 2, 2, 0};
  const auto probs = scores_predicting({1, 1, 0, 2, 1, 0}, 4);
  ClassificationMetrics m = evaluate(probs.data(), 6, 4, y.data());
  m.mean_loss = 0.8125;
  const std::string md = markdown_metrics(m, {"Rock", "Pop", "Jazz", "Folk"}, "val (track level)");
  EXPECT_EQ(md.rfind("### val (track level)\n\n", 0), 0u) << md;
  EXPECT_NE(md.find("| top-1 accuracy | 66.67 % |"), std::string::npos) << md;
  EXPECT_NE(md.find("| top-4 accuracy | 100.00 % |"), std::string::npos) << md;
  EXPECT_NE(md.find("| mean loss | 0.8125 |"), std::string::npos) << md;
  const size_t pop = md.find("| Pop | 3 | 66.7 % |"), jazz = md.find("| Jazz | 2 | 50.0 % |"),
               rock = md.find("| Rock | 1 | 100.0 % |");
  ASSERT_NE(pop, std::string::npos) << md;
  ASSERT_NE(jazz, std::string::npos) << md;
  ASSERT_NE(rock, std::string::npos) << md;
  EXPECT_LT(pop, jazz);
  EXPECT_LT(jazz, rock);
  EXPECT_EQ(md.find("| Folk |"), std::string::npos);
  EXPECT_NE(md.find("1 class with no samples and no predictions not listed."), std::string::npos) << md;
}

TEST(MarkdownMetrics, FormatsPercentAndUndefinedValues) {
  EXPECT_EQ(format_percent(0.6125), "61.25 %");
  EXPECT_EQ(format_percent(1.0, 1), "100.0 %");
  EXPECT_EQ(format_percent(NAN), "n/a");
}
