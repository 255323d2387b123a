// The confusion heat map, read back from the PNG: its size follows the class
// count, cells carry the row-normalised viridis colour, labels and the colour
// bar are drawn, classes with neither samples nor predictions are left out,
// and errors are exceptions naming the problem.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "report/confusion_png.h"
#include "report/plot_canvas.h"
#include "report_test_util.h"

using namespace genre::report;
using genre::report::test::scores_predicting;
using genre::report::test::TempDir;

namespace {

const std::vector<std::string> kLongNames = {"Old-Time / Historic", "Electroacoustic",        "Experimental Pop",
                                             "Avant-Garde",         "Easy Listening: Vocal",  "N. Indian Traditional",
                                             "Sound Collage",       "20th Century Classical", "Hip-Hop Beats",
                                             "Ambient Electronic",  "Country & Western"};

std::vector<std::string> names(size_t n) {
  std::vector<std::string> v;
  for (size_t i = 0; i < n; ++i) v.push_back(kLongNames[i % kLongNames.size()] + " " + std::to_string(i));
  return v;
}

// Each class c has `per_class` samples, predicted right except the first one
// (predicted as c + 1), so every row holds (per_class - 1) / per_class on the diagonal.
ClassificationMetrics mostly_right(int64_t classes, int64_t per_class) {
  std::vector<int64_t> y, pred;
  for (int64_t c = 0; c < classes; ++c)
    for (int64_t i = 0; i < per_class; ++i) {
      y.push_back(c);
      pred.push_back(i == 0 ? (c + 1) % classes : c);
    }
  const auto probs = scores_predicting(pred, classes);
  return evaluate(probs.data(), int64_t(y.size()), classes, y.data());
}

// Colour near the top-left corner of a cell, clear of the count text and the separators.
cv::Vec3b cell_colour(const cv::Mat& img, const ConfusionFigure& f, int row, int col) {
  const int inset = std::max(2, f.cell / 8);
  return img.at<cv::Vec3b>(f.matrix.y + row * f.cell + inset, f.matrix.x + col * f.cell + inset);
}

void expect_colour(const cv::Vec3b& got, const cv::Scalar& want, const std::string& where) {
  for (int ch = 0; ch < 3; ++ch) EXPECT_NEAR(got[ch], want[ch], 2) << where << " channel " << ch;
}

bool has_ink(const cv::Mat& img, const cv::Rect& r) {
  cv::Mat gray;
  cv::cvtColor(img(r & cv::Rect(0, 0, img.cols, img.rows)), gray, cv::COLOR_BGR2GRAY);
  return cv::countNonZero(gray < 128) > 0;
}

cv::Mat write_and_read(const std::string& path, const ClassificationMetrics& m, const std::vector<std::string>& n,
                       const std::string& title) {
  write_confusion_png(path, m, n, title);
  return cv::imread(path, cv::IMREAD_COLOR);
}

}  // namespace

TEST(ConfusionPng, EightClassesCellsLabelsCountsAndColourBar) {
  TempDir dir;
  const auto m = mostly_right(8, 4);
  const auto n = names(8);
  const ConfusionFigure f = render_confusion(m, n, "val, 8 classes");
  const cv::Mat img = write_and_read(dir.file("c8.png"), m, n, "val, 8 classes");
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.size(), f.image.size());
  EXPECT_EQ(cv::norm(img, f.image, cv::NORM_INF), 0.0);  // PNG is lossless
  EXPECT_EQ(f.shown.size(), 8u);
  EXPECT_TRUE(f.counts_printed);
  EXPECT_TRUE(f.labels_drawn);
  EXPECT_EQ(f.matrix.width, 8 * f.cell);
  EXPECT_GE(img.cols, 640);
  EXPECT_LE(img.cols, 1400);

  for (int r = 0; r < 8; ++r) {
    expect_colour(cell_colour(img, f, r, r), plot::viridis(0.75), "diagonal " + std::to_string(r));
    expect_colour(cell_colour(img, f, r, (r + 1) % 8), plot::viridis(0.25), "off-diagonal " + std::to_string(r));
    expect_colour(cell_colour(img, f, r, (r + 4) % 8), plot::viridis(0.0), "empty " + std::to_string(r));
  }
  // The count "3" in the middle of the first diagonal cell: anti-aliased text
  // gives many shades where a bare cell has one.
  const cv::Rect diag(f.matrix.x + f.cell / 4, f.matrix.y + f.cell / 4, f.cell / 2, f.cell / 2);
  std::set<int> distinct;
  for (int y = 0; y < img(diag).rows; ++y)
    for (int x = 0; x < img(diag).cols; ++x) distinct.insert(img(diag).at<cv::Vec3b>(y, x)[1]);
  EXPECT_GT(distinct.size(), 3u) << "no count text in the first diagonal cell";

  // Row labels left of the matrix, column labels below it, the colour bar to the right.
  EXPECT_TRUE(has_ink(img, cv::Rect(0, f.matrix.y, f.matrix.x - 6, f.cell)));
  EXPECT_TRUE(has_ink(img, cv::Rect(f.matrix.x, f.matrix.br().y + 6, f.cell, 60)));
  const cv::Vec3b bar_top = img.at<cv::Vec3b>(f.matrix.y + 2, f.matrix.br().x + 40);
  expect_colour(bar_top, plot::viridis(1.0), "colour bar top");
  // White background in the corners.
  expect_colour(img.at<cv::Vec3b>(2, 2), plot::kWhite, "corner");
  expect_colour(img.at<cv::Vec3b>(img.rows - 3, img.cols - 3), plot::kWhite, "corner");
}

TEST(ConfusionPng, SizeGrowsWithClassesAndStaysReadableAt110) {
  const auto small = render_confusion(mostly_right(8, 3), names(8), "8");
  const auto medium = render_confusion(mostly_right(30, 3), names(30), "30");
  const auto large = render_confusion(mostly_right(110, 3), names(110), "110 classes with long FMA names");
  EXPECT_LT(small.image.cols, medium.image.cols);
  EXPECT_LT(medium.image.cols, large.image.cols);
  EXPECT_GE(large.image.cols, 2400);
  EXPECT_LE(large.image.cols, 3400);
  EXPECT_LE(large.image.rows, 3400);
  EXPECT_GE(large.cell, 20);  // ~12 px text per row
  EXPECT_TRUE(large.labels_drawn);
  EXPECT_FALSE(large.counts_printed);
  EXPECT_TRUE(medium.counts_printed);
  // Every class row of the big matrix has its label at the left and the right.
  for (int r = 0; r < 110; r += 27) {
    const int y = large.matrix.y + r * large.cell;
    EXPECT_TRUE(has_ink(large.image, cv::Rect(large.matrix.x - 120, y + 2, 110, large.cell - 4))) << r;
    EXPECT_TRUE(has_ink(large.image, cv::Rect(large.matrix.br().x + 10, y + 2, 110, large.cell - 4))) << r;
  }
}

TEST(ConfusionPng, LeavesOutClassesWithNoSamplesAndNoPredictions) {
  // Classes 1 and 3 of 5 never occur; class 4 is predicted but has no samples.
  const std::vector<int64_t> y = {0, 0, 2, 2};
  const auto probs = scores_predicting({0, 4, 2, 2}, 5);
  const auto m = evaluate(probs.data(), 4, 5, y.data());
  const auto f = render_confusion(m, names(5), "omissions");
  EXPECT_EQ(f.shown, (std::vector<int64_t>{0, 2, 4}));
  EXPECT_EQ(f.matrix.width, 3 * f.cell);
  expect_colour(cell_colour(f.image, f, 0, 0), plot::viridis(0.5), "class 0 recall");
  expect_colour(cell_colour(f.image, f, 0, 2), plot::viridis(0.5), "class 0 -> 4");
  expect_colour(cell_colour(f.image, f, 1, 1), plot::viridis(1.0), "class 2 recall");
  expect_colour(cell_colour(f.image, f, 2, 0), plot::kLightGrey, "no-sample row");
}

TEST(ConfusionPng, NoSamplesStillDrawsEveryClass) {
  const auto m = evaluate(nullptr, 0, 3, nullptr);
  const auto f = render_confusion(m, names(3), "empty split");
  EXPECT_EQ(f.shown.size(), 3u);
  expect_colour(cell_colour(f.image, f, 1, 1), plot::kLightGrey, "empty");
}

TEST(ConfusionPng, ErrorsAreExceptionsNamingTheProblem) {
  TempDir dir;
  const auto m = mostly_right(4, 2);
  EXPECT_THROW(write_confusion_png(dir.file("x.png"), m, names(3), "t"), std::invalid_argument);
  const std::string path = dir.file("no-such-dir/c.png");
  try {
    write_confusion_png(path, m, names(4), "t");
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}
