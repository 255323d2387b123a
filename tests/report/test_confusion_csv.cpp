// The confusion CSV: exact text, RFC 4180 quoting of awkward names, and the
// error for a path that cannot be written.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "report/confusion_csv.h"
#include "report_test_util.h"

using namespace genre::report;
using genre::report::test::scores_predicting;
using genre::report::test::TempDir;

namespace {

ClassificationMetrics three_classes() {
  // true 0 0 1 2 2 2 / predicted 0 1 1 2 0 2
  const std::vector<int64_t> y = {0, 0, 1, 2, 2, 2};
  const auto probs = scores_predicting({0, 1, 1, 2, 0, 2}, 3);
  return evaluate(probs.data(), 6, 3, y.data());
}

}  // namespace

TEST(ConfusionCsv, RowsAreTrueClassesColumnsPredicted) {
  EXPECT_EQ(confusion_csv(three_classes(), {"Rock", "Old-Time / Historic", "Soul-RnB"}),
            "true \\ predicted,Rock,Old-Time / Historic,Soul-RnB\n"
            "Rock,1,1,0\n"
            "Old-Time / Historic,0,1,0\n"
            "Soul-RnB,1,0,2\n");
}

TEST(ConfusionCsv, QuotesNamesWithCommasAndQuotes) {
  EXPECT_EQ(csv_field("Country & Western"), "Country & Western");
  EXPECT_EQ(csv_field("Rock, Pop"), "\"Rock, Pop\"");
  EXPECT_EQ(csv_field("The \"Best\""), "\"The \"\"Best\"\"\"");
  const std::string csv = confusion_csv(three_classes(), {"a,b", "c", "d"});
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "true \\ predicted,\"a,b\",c,d");
}

TEST(ConfusionCsv, WritesTheFile) {
  TempDir dir;
  const auto m = three_classes();
  write_confusion_csv(dir.file("confusion.csv"), m, {"x", "y", "z"});
  std::ifstream f(dir.file("confusion.csv"));
  std::stringstream text;
  text << f.rdbuf();
  EXPECT_EQ(text.str(), confusion_csv(m, {"x", "y", "z"}));
}

TEST(ConfusionCsv, ErrorsNameThePathOrTheMismatch) {
  TempDir dir;
  const std::string path = dir.file("missing-dir/confusion.csv");
  try {
    write_confusion_csv(path, three_classes(), {"x", "y", "z"});
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_THROW(write_confusion_csv(dir.file("c.csv"), three_classes(), {"x", "y"}), std::invalid_argument);
}
