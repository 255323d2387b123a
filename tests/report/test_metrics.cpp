// evaluate() and to_json() against values worked out by hand, and macro-F1
// against scikit-learn's definition (f1_score(average="macro"): per-label
// precision and recall over unique_labels(y_true, y_pred), 0 where undefined,
// F = 2PR / (P + R), unweighted mean), computed with numpy for the
// 20-sample case below.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "report/metrics.h"
#include "report_test_util.h"

using namespace genre::report;
using genre::report::test::scores_predicting;

namespace {

// Expects `f` to throw std::invalid_argument whose message contains every part.
template <typename F>
void expect_invalid(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

}  // namespace

// Three classes, six samples; rows 2 and 3 hold ties.
//   row                 label  arg max (ties -> lowest index)
//   0.7  0.2  0.1       0      0
//   0.1  0.6  0.3       0      1
//   0.3  0.3  0.4       1      2
//   0.5  0.5  0.0       1      0   (tie between 0 and 1)
//   0.2  0.2  0.6       2      2
//   0.4  0.35 0.25      2      0
// Confusion [true][pred] = [[1,1,0],[1,0,1],[1,0,1]]; top-1 = 2/6.
// F1: class 0 tp1 fp2 fn1 -> 2/5; class 1 tp0 -> 0; class 2 tp1 fp1 fn1 -> 1/2; macro = 0.3.
TEST(Evaluate, HandWorkedCaseWithTies) {
  const std::vector<float> probs = {0.7f, 0.2f, 0.1f, 0.1f, 0.6f, 0.3f, 0.3f, 0.3f,  0.4f,
                                    0.5f, 0.5f, 0.0f, 0.2f, 0.2f, 0.6f, 0.4f, 0.35f, 0.25f};
  const std::vector<int64_t> labels = {0, 0, 1, 1, 2, 2};
  const ClassificationMetrics m = evaluate(probs.data(), 6, 3, labels.data());
  EXPECT_EQ(m.samples, 6);
  EXPECT_EQ(m.classes, 3);
  EXPECT_DOUBLE_EQ(m.top1, 2.0 / 6.0);
  EXPECT_EQ(m.top5_k, 3);
  EXPECT_DOUBLE_EQ(m.top5, 1.0);  // top-3 of 3 classes holds every label
  EXPECT_EQ(m.confusion, (std::vector<std::vector<int64_t>>{{1, 1, 0}, {1, 0, 1}, {1, 0, 1}}));
  EXPECT_EQ(m.support, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(m.predicted, (std::vector<int64_t>{3, 1, 2}));
  EXPECT_DOUBLE_EQ(m.per_class_accuracy[0], 0.5);
  EXPECT_DOUBLE_EQ(m.per_class_accuracy[1], 0.0);
  EXPECT_DOUBLE_EQ(m.per_class_accuracy[2], 0.5);
  EXPECT_DOUBLE_EQ(m.per_class_f1[0], 0.4);
  EXPECT_DOUBLE_EQ(m.per_class_f1[1], 0.0);
  EXPECT_DOUBLE_EQ(m.per_class_f1[2], 0.5);
  EXPECT_NEAR(m.macro_f1, 0.3, 1e-12);
  EXPECT_TRUE(std::isnan(m.mean_loss));
}

// Seven classes: top-5. The label ranked 5th (index 4) counts, the 6th does
// not; a label tied with a lower class index ranks after it.
TEST(Evaluate, TopFiveRanksTiesByClassIndex) {
  const std::vector<float> distinct = {0.30f, 0.20f, 0.15f, 0.12f, 0.10f, 0.08f, 0.05f};
  const std::vector<float> tied = {0.30f, 0.20f, 0.15f, 0.12f, 0.10f, 0.10f, 0.03f};
  auto top5_of = [](const std::vector<float>& row, int64_t label) {
    const ClassificationMetrics m = evaluate(row.data(), 1, 7, &label);
    EXPECT_EQ(m.top5_k, 5);
    EXPECT_DOUBLE_EQ(m.top1, 0.0);
    return m.top5;
  };
  EXPECT_DOUBLE_EQ(top5_of(distinct, 4), 1.0);  // 5th
  EXPECT_DOUBLE_EQ(top5_of(distinct, 5), 0.0);  // 6th
  EXPECT_DOUBLE_EQ(top5_of(tied, 4), 1.0);      // tied with class 5, ranks before it
  EXPECT_DOUBLE_EQ(top5_of(tied, 5), 0.0);      // tied with class 4, ranks after it
  // Ties for the arg max go to the lowest index too.
  const std::vector<float> flat(7, 1.0f / 7.0f);
  const int64_t label = 0;
  EXPECT_DOUBLE_EQ(evaluate(flat.data(), 1, 7, &label).top1, 1.0);
  EXPECT_DOUBLE_EQ(top5_of(flat, 6), 0.0);
}

TEST(Evaluate, TopKIsAllClassesWhenFewerThanFive) {
  const std::vector<float> probs = {0.9f, 0.1f, 0.8f, 0.2f, 0.3f, 0.7f};
  const std::vector<int64_t> labels = {1, 0, 0};
  const ClassificationMetrics m = evaluate(probs.data(), 3, 2, labels.data());
  EXPECT_EQ(m.top5_k, 2);
  EXPECT_DOUBLE_EQ(m.top5, 1.0);
  EXPECT_DOUBLE_EQ(m.top1, 1.0 / 3.0);
}

// y_true / y_pred below; numpy with sklearn's definition gives
// per-class F1 [0.6153846, 0.6666667, 0.6666667, 0.4, 0.8], macro 0.6297435897435897.
TEST(Evaluate, MacroF1MatchesSklearnDefinition) {
  const std::vector<int64_t> y = {0, 0, 0, 1, 1, 2, 3, 3, 4, 4, 4, 4, 0, 1, 2, 3, 4, 0, 0, 1};
  const std::vector<int64_t> pred = {0, 0, 1, 1, 0, 0, 3, 4, 4, 4, 4, 0, 0, 1, 2, 1, 4, 0, 3, 1};
  const auto probs = scores_predicting(pred, 5);
  const ClassificationMetrics m = evaluate(probs.data(), int64_t(y.size()), 5, y.data());
  EXPECT_NEAR(m.macro_f1, 0.6297435897435897, 1e-12);
  EXPECT_NEAR(m.per_class_f1[0], 8.0 / 13.0, 1e-12);  // tp 4, fp 3, fn 2
  EXPECT_NEAR(m.per_class_f1[3], 0.4, 1e-12);         // tp 1, fp 1, fn 2
  EXPECT_DOUBLE_EQ(m.top1, 13.0 / 20.0);
}

// Five classes: class 1 is never predicted (F1 0, counted), class 2 is
// predicted but has no samples (F1 0, counted, recall undefined), class 4
// appears nowhere (left out of the mean, as sklearn does).
// F1: class 0 tp1 fp2 fn1 -> 0.4, class 3 -> 1; macro = (0.4 + 0 + 0 + 1) / 4.
TEST(Evaluate, MacroF1OverLabelsAndPredictionsOnly) {
  const std::vector<int64_t> y = {0, 0, 1, 1, 3};
  const std::vector<int64_t> pred = {0, 2, 0, 0, 3};
  const auto probs = scores_predicting(pred, 5);
  const ClassificationMetrics m = evaluate(probs.data(), 5, 5, y.data());
  EXPECT_NEAR(m.macro_f1, 0.35, 1e-12);
  EXPECT_DOUBLE_EQ(m.per_class_f1[1], 0.0);
  EXPECT_DOUBLE_EQ(m.per_class_f1[2], 0.0);
  EXPECT_TRUE(std::isnan(m.per_class_f1[4]));
  EXPECT_DOUBLE_EQ(m.per_class_accuracy[1], 0.0);
  EXPECT_TRUE(std::isnan(m.per_class_accuracy[2]));
  EXPECT_TRUE(std::isnan(m.per_class_accuracy[4]));
  EXPECT_EQ(m.support[2], 0);
  EXPECT_EQ(m.predicted[2], 1);
}

TEST(Evaluate, NoSamplesGivesUndefinedFigures) {
  const ClassificationMetrics m = evaluate(nullptr, 0, 4, nullptr);
  EXPECT_EQ(m.samples, 0);
  EXPECT_TRUE(std::isnan(m.top1));
  EXPECT_TRUE(std::isnan(m.top5));
  EXPECT_TRUE(std::isnan(m.macro_f1));
  ASSERT_EQ(m.confusion.size(), 4u);
  for (const auto& row : m.confusion) EXPECT_EQ(row, std::vector<int64_t>(4, 0));
}

TEST(Evaluate, RejectsBadInputWithClearMessages) {
  const std::vector<float> probs = {0.5f, 0.3f, 0.2f, 0.1f, 0.1f, 0.8f};
  const std::vector<int64_t> too_big = {0, 3}, negative = {-1, 0}, fine = {0, 2};
  expect_invalid([&] { evaluate(probs.data(), 2, 3, too_big.data()); }, {"label 3 of sample 1", "out of range [0, 3)"});
  expect_invalid([&] { evaluate(probs.data(), 2, 3, negative.data()); }, {"label -1 of sample 0"});
  expect_invalid([&] { evaluate(probs.data(), 2, 0, fine.data()); }, {"classes must be at least 1"});
  expect_invalid([&] { evaluate(nullptr, 2, 3, fine.data()); }, {"null"});
  std::vector<float> with_nan = probs;
  with_nan[4] = NAN;
  expect_invalid([&] { evaluate(with_nan.data(), 2, 3, fine.data()); }, {"sample 1, class 1", "not finite"});
}

TEST(ToJson, HoldsTheFiguresAndNullsForUndefinedOnes) {
  const std::vector<int64_t> y = {0, 0, 1, 1, 3};
  const std::vector<int64_t> pred = {0, 2, 0, 0, 3};
  const auto probs = scores_predicting(pred, 5);
  ClassificationMetrics m = evaluate(probs.data(), 5, 5, y.data());
  m.mean_loss = 1.25;
  const auto j = to_json(m, {"Rock", "Pop", "Jazz", "Folk", "Blues"});
  EXPECT_EQ(j["samples"], 5);
  EXPECT_EQ(j["classes"], 5);
  EXPECT_DOUBLE_EQ(j["top1"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(j["top5"].get<double>(), 1.0);
  EXPECT_EQ(j["top5_k"], 5);
  EXPECT_NEAR(j["macro_f1"].get<double>(), 0.35, 1e-12);
  EXPECT_DOUBLE_EQ(j["mean_loss"].get<double>(), 1.25);
  ASSERT_EQ(j["per_class"].size(), 5u);
  EXPECT_EQ(j["per_class"][0]["name"], "Rock");
  EXPECT_EQ(j["per_class"][0]["support"], 2);
  EXPECT_DOUBLE_EQ(j["per_class"][0]["accuracy"].get<double>(), 0.5);
  EXPECT_EQ(j["per_class"][2]["name"], "Jazz");
  EXPECT_EQ(j["per_class"][2]["predicted"], 1);
  EXPECT_TRUE(j["per_class"][2]["accuracy"].is_null());
  EXPECT_TRUE(j["per_class"][4]["f1"].is_null());
  // The dump is valid JSON (NaN would not be).
  EXPECT_NO_THROW(nlohmann::json::parse(j.dump()));
}

TEST(ToJson, UnsetLossIsNullAndNameCountMustMatch) {
  const auto probs = scores_predicting({0, 1}, 2);
  const std::vector<int64_t> y = {0, 1};
  const ClassificationMetrics m = evaluate(probs.data(), 2, 2, y.data());
  EXPECT_TRUE(to_json(m, {"a", "b"})["mean_loss"].is_null());
  expect_invalid([&] { to_json(m, {"a"}); }, {"1 class names for 2 classes"});
  ClassificationMetrics hand_made;
  hand_made.classes = 2;
  expect_invalid([&] { to_json(hand_made, {"a", "b"}); }, {"not sized for 2 classes"});
}
