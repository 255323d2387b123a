// Learning curves read back from the PNG: the curves pass through their data
// points, two stages are laid end to end with a boundary line, missing values
// leave gaps, and bad input is an exception.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "report/learning_curves_png.h"
#include "report_test_util.h"

using namespace genre::report;
using genre::report::test::TempDir;

namespace {

// matplotlib tab:blue (train) and tab:orange (val), BGR.
const cv::Vec3b kBlue(180, 119, 31), kOrange(14, 127, 255);

// A macro stage of 10 epochs, then a fine stage of 20, epochs numbered from 1 in each
// (or counted on when `restart` is false).
std::vector<CurvePoint> two_stages(bool restart) {
  std::vector<CurvePoint> p;
  for (int e = 1; e <= 10; ++e)
    p.push_back({e, "macro", 2.0 - 0.1 * e, 2.2 - 0.1 * e, 0.4 + 0.02 * e, 0.45 + 0.03 * e});
  for (int e = 1; e <= 20; ++e)
    p.push_back({restart ? e : 10 + e, "fine", 3.5 - 0.1 * e, 3.8 - 0.09 * e, 0.15 + 0.01 * e, NAN});
  return p;
}

// Whether a pixel of `colour` (within a small tolerance) lies within `radius` of `at`.
bool colour_near(const cv::Mat& img, cv::Point2d at, const cv::Vec3b& colour, int radius = 3) {
  for (int dy = -radius; dy <= radius; ++dy)
    for (int dx = -radius; dx <= radius; ++dx) {
      const cv::Point p(int(std::lround(at.x)) + dx, int(std::lround(at.y)) + dy);
      if (!cv::Rect(0, 0, img.cols, img.rows).contains(p)) continue;
      const cv::Vec3b v = img.at<cv::Vec3b>(p);
      if (std::abs(v[0] - colour[0]) < 25 && std::abs(v[1] - colour[1]) < 25 && std::abs(v[2] - colour[2]) < 25)
        return true;
    }
  return false;
}

}  // namespace

TEST(LearningCurvesPng, TwoStagesWithRestartedEpochsFollowEachOther) {
  TempDir dir;
  const auto points = two_stages(true);
  const CurvesFigure f = render_learning_curves(points, "two stages");
  write_learning_curves_png(dir.file("curves.png"), points, "two stages");
  const cv::Mat img = cv::imread(dir.file("curves.png"), cv::IMREAD_COLOR);
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.size(), f.image.size());
  EXPECT_EQ(cv::norm(img, f.image, cv::NORM_INF), 0.0);
  EXPECT_EQ(img.cols, 1600);
  EXPECT_GT(img.rows, 500);

  EXPECT_TRUE(f.renumbered);
  ASSERT_EQ(f.x.size(), 30u);
  EXPECT_DOUBLE_EQ(f.x[9], 10.0);
  EXPECT_DOUBLE_EQ(f.x[10], 11.0);  // fine epoch 1
  EXPECT_DOUBLE_EQ(f.x[29], 30.0);
  ASSERT_EQ(f.stage_boundaries.size(), 1u);
  EXPECT_DOUBLE_EQ(f.stage_boundaries[0], 10.5);

  // Every point's value is drawn in its series' colour, in its panel.
  for (size_t i = 0; i < points.size(); ++i) {
    EXPECT_TRUE(colour_near(img, f.loss.at(f.x[i], points[i].train_loss), kBlue)) << "train loss " << i;
    EXPECT_TRUE(colour_near(img, f.loss.at(f.x[i], points[i].val_loss), kOrange)) << "val loss " << i;
    EXPECT_TRUE(colour_near(img, f.accuracy.at(f.x[i], 100 * points[i].val_top1), kOrange)) << "val top-1 " << i;
    if (i < 10) {
      EXPECT_TRUE(colour_near(img, f.accuracy.at(f.x[i], 100 * points[i].train_top1), kBlue)) << "train top-1 " << i;
    }
  }
  // Axis ranges hold the data with a margin; accuracy is in percent.
  EXPECT_LE(f.loss.y_min, 1.0);
  EXPECT_GE(f.loss.y_max, 3.71);
  EXPECT_LE(f.accuracy.y_min, 16.0);
  EXPECT_GE(f.accuracy.y_max, 75.0);

  // The stages are not joined: where a line from macro's last val loss to
  // fine's first would cross x = 10.3 there is no curve.
  const double joined = points[9].val_loss + 0.3 * (points[10].val_loss - points[9].val_loss);
  EXPECT_FALSE(colour_near(img, f.loss.at(10.3, joined), kOrange, 1));
  // The dashed boundary line: grey pixels down the column at x = 10.5.
  const int bx = int(std::lround(f.loss.at(10.5, 0).x));
  int grey = 0;
  for (int y = f.loss.area.y; y < f.loss.area.br().y; ++y) {
    const cv::Vec3b v = img.at<cv::Vec3b>(y, bx);
    grey += v[0] == v[1] && v[1] == v[2] && v[0] < 200;
  }
  EXPECT_GT(grey, f.loss.area.height / 3);
}

TEST(LearningCurvesPng, EpochsCountedOnKeepTheirValues) {
  const CurvesFigure f = render_learning_curves(two_stages(false), "continuous");
  EXPECT_FALSE(f.renumbered);
  EXPECT_DOUBLE_EQ(f.x[10], 11.0);
  EXPECT_DOUBLE_EQ(f.x[29], 30.0);
  EXPECT_EQ(f.stage_boundaries.size(), 1u);
}

TEST(LearningCurvesPng, MissingValuesLeaveGaps) {
  std::vector<CurvePoint> p;
  for (int e = 1; e <= 6; ++e) p.push_back({e, "", 1.0 / e, 1.5 - 0.1 * e, 0.5 + 0.05 * e, NAN});
  p[3].val_loss = NAN;
  const CurvesFigure f = render_learning_curves(p, "gap");
  EXPECT_TRUE(f.stage_boundaries.empty());
  EXPECT_FALSE(f.renumbered);
  // Where epoch 4's val loss would be (on the straight line 1.5 - 0.1 e), nothing orange.
  EXPECT_FALSE(colour_near(f.image, f.loss.at(4.0, 1.1), kOrange, 2));
  EXPECT_TRUE(colour_near(f.image, f.loss.at(3.0, 1.2), kOrange));
  EXPECT_TRUE(colour_near(f.image, f.loss.at(5.0, 1.0), kOrange));
}

TEST(LearningCurvesPng, AccuracyAxisStaysNearZeroToHundredPercent) {
  const CurvesFigure f = render_learning_curves({{1, "", 2.0, 2.5, 0.0, 1.0}, {2, "", 1.0, 1.5, 1.0, 1.0}}, "t");
  EXPECT_LT(f.accuracy.y_min, 0.0);  // 0 % is off the frame, not on it
  EXPECT_GE(f.accuracy.y_min, -4.0);
  EXPECT_GT(f.accuracy.y_max, 100.0);
  EXPECT_LE(f.accuracy.y_max, 104.0);
  // Without any accuracy the panel still spans 0..100 %.
  const CurvesFigure none = render_learning_curves({{1, "", 2.0, 2.5, NAN, NAN}}, "t");
  EXPECT_DOUBLE_EQ(none.accuracy.y_min, 0.0);
  EXPECT_DOUBLE_EQ(none.accuracy.y_max, 100.0);
}

TEST(LearningCurvesPng, WideTickLabelsWidenTheMargin) {
  const CurvesFigure small = render_learning_curves({{1, "", 2.0, 2.5, 0.1, NAN}, {2, "", 1.0, 1.5, 0.2, NAN}}, "t");
  const CurvesFigure big = render_learning_curves({{1, "", 1e6, 2e6, 0.1, NAN}, {2, "", 1.0, 1.5, 0.2, NAN}}, "t");
  EXPECT_GT(big.loss.area.x, small.loss.area.x);
  // The rotated "loss" label stays inside the image: ink left of the tick labels.
  cv::Mat strip = big.image(cv::Rect(0, big.loss.area.y, 30, big.loss.area.height));
  EXPECT_GT(cv::countNonZero(strip.reshape(1) < 128), 0);
}

TEST(LearningCurvesPng, SinglePointStillDraws) {
  const CurvesFigure f = render_learning_curves({{1, "", 2.0, 2.5, 0.3, NAN}}, "one epoch");
  EXPECT_TRUE(colour_near(f.image, f.loss.at(1.0, 2.5), kOrange));
  EXPECT_TRUE(colour_near(f.image, f.accuracy.at(1.0, 30.0), kOrange));
}

TEST(LearningCurvesPng, RejectsNoPointsAndEpochsGoingBackWithinAStage) {
  EXPECT_THROW(render_learning_curves({}, "t"), std::invalid_argument);
  try {
    render_learning_curves({{1, "fine", 1, 1, 0.5, NAN}, {3, "fine", 1, 1, 0.5, NAN}, {2, "fine", 1, 1, 0.5, NAN}},
                           "t");
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("epoch 2 follows epoch 3 in stage \"fine\""), std::string::npos) << e.what();
  }
  TempDir dir;
  EXPECT_THROW(write_learning_curves_png(dir.file("none/c.png"), {{1, "", 1, 1, 0.5, NAN}}, "t"), std::runtime_error);
}
