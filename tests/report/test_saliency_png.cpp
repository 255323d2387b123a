// The explanation figures read back from their pixels: the heat is drawn where
// it is in the data (low bands at the bottom, time left to right), a panel
// without heat shows the spectrogram's greys alone, the written PNG decodes to
// the rendered size, and mismatched input is an exception.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "report/confusion_png.h"
#include "report/saliency_png.h"
#include "report_test_util.h"

using namespace genre::report;
using genre::report::test::TempDir;

namespace {

constexpr int kRows = 64, kCols = 300;

SpectrogramAxes axes(int rows = kRows) {
  SpectrogramAxes a;
  for (int r = 0; r < rows; ++r) a.row_hz.push_back(50.0 * std::pow(1.08, r));  // increasing, up to ~6.5 kHz
  a.column_seconds = 0.0232;
  return a;
}

// A spectrogram falling from low to high bands, and heat in one block only.
HeatPanel panel(cv::Rect hot) {
  HeatPanel p;
  p.title = "Rock";
  p.background = cv::Mat(kRows, kCols, CV_32F);
  for (int r = 0; r < kRows; ++r) p.background.row(r).setTo(-10.0 - r);
  p.heat = cv::Mat::zeros(kRows, kCols, CV_32F);
  p.heat(hot).setTo(1.0);
  return p;
}

bool is_grey(const cv::Vec3b& c) { return std::abs(c[0] - c[1]) <= 2 && std::abs(c[1] - c[2]) <= 2; }

// Bounding box of the pixels of `area` that are not grey.
cv::Rect coloured_box(const cv::Mat& img, cv::Rect area) {
  int x0 = INT32_MAX, y0 = INT32_MAX, x1 = -1, y1 = -1;
  for (int y = area.y; y < area.y + area.height; ++y)
    for (int x = area.x; x < area.x + area.width; ++x)
      if (!is_grey(img.at<cv::Vec3b>(y, x))) x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
  return x1 < 0 ? cv::Rect() : cv::Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
}

TEST(SaliencyPng, HeatIsDrawnWhereItIsInTheData) {
  // Bands 48..55 (high), columns 150..179: in the top quarter of the panel, at half its width.
  const HeatFigure f = render_heat_figure(panel(cv::Rect(150, 48, 30, 8)), axes(), {1.0, "saliency"}, "song.mp3: Rock",
                                          "what the colours are");
  ASSERT_EQ(f.panels.size(), 1u);
  const cv::Rect a = f.panels[0];
  const cv::Rect hot = coloured_box(f.image, a);
  ASSERT_FALSE(hot.empty());
  const double x = (hot.x + hot.width / 2.0 - a.x) / a.width, y = (hot.y + hot.height / 2.0 - a.y) / a.height;
  EXPECT_NEAR(x, 165.0 / kCols, 0.02);
  EXPECT_NEAR(y, 1.0 - 52.0 / kRows, 0.03);  // row 0 at the bottom
  EXPECT_NEAR(double(hot.width) / a.width, 30.0 / kCols, 0.02);
  // The top of the scale is magma's brightest end (a light yellow), fully opaque.
  const cv::Vec3b centre = f.image.at<cv::Vec3b>(hot.y + hot.height / 2, hot.x + hot.width / 2);
  EXPECT_EQ(centre, heat_over_grey(1.0, 0.3));
  EXPECT_GT(centre[2], 230);
  EXPECT_GT(centre[1], 200);
}

TEST(SaliencyPng, NoHeatLeavesTheSpectrogramGreyLightestWhereLoudest) {
  HeatPanel p = panel(cv::Rect(0, 0, 1, 1));
  p.heat.setTo(0.0);
  const HeatFigure f = render_heat_figure(p, axes(), {1.0, "saliency"}, "t", "n");
  const cv::Rect a = f.panels[0];
  EXPECT_TRUE(coloured_box(f.image, a).empty());
  const cv::Vec3b bottom = f.image.at<cv::Vec3b>(a.y + a.height - 2, a.x + 5), top = f.image.at<cv::Vec3b>(a.y + 1, a.x + 5);
  EXPECT_GT(int(bottom[0]), int(top[0]) + 100);  // band 0 is the loudest here
}

TEST(SaliencyPng, WrittenPngHasTheRenderedSizeAndVaryingContent) {
  TempDir dir;
  const HeatFigure f = render_heat_figure(panel(cv::Rect(10, 10, 40, 20)), axes(), {1.0, "saliency"}, "t", "n");
  write_image(dir.file("x.png"), f.image);
  const cv::Mat back = cv::imread(dir.file("x.png"), cv::IMREAD_COLOR);
  ASSERT_EQ(back.size(), f.image.size());
  EXPECT_EQ(back.cols, 1200);
  cv::Scalar mean, stddev;
  cv::meanStdDev(back(f.panels[0]), mean, stddev);
  EXPECT_GT(stddev[0], 10.0);
}

TEST(SaliencyPng, GridHasAPanelPerClassOnOneScale) {
  std::vector<HeatPanel> panels;
  for (int i = 0; i < 6; ++i) {
    HeatPanel p = panel(cv::Rect(0, 0, kCols, kRows));
    p.heat *= (i + 1) / 6.0;  // the last panel is the hottest: the scale's top
    panels.push_back(p);
  }
  const HeatFigure f = render_heat_grid(panels, axes(), {1.0, "mean saliency"}, "grid", "note", 4);
  ASSERT_EQ(f.panels.size(), 6u);
  EXPECT_EQ(f.panels[4].y, f.panels[5].y);  // two rows: 4 then 2
  EXPECT_GT(f.panels[4].y, f.panels[0].y);
  const auto centre = [&](int i) { return f.image.at<cv::Vec3b>(f.panels[size_t(i)].y + 5, f.panels[size_t(i)].x + 5); };
  EXPECT_EQ(centre(5), heat_over_grey(1.0, 0.0));
  EXPECT_NE(centre(0), centre(5));
}

TEST(SaliencyPng, MismatchedInputIsAnError) {
  HeatPanel p = panel(cv::Rect(0, 0, 1, 1));
  EXPECT_THROW(render_heat_figure(p, axes(kRows - 1), {1.0, "s"}, "t", "n"), std::invalid_argument);
  p.heat = cv::Mat::zeros(kRows, kCols - 1, CV_32F);
  EXPECT_THROW(render_heat_figure(p, axes(), {1.0, "s"}, "t", "n"), std::invalid_argument);
  EXPECT_THROW(render_heat_grid({}, axes(), {1.0, "s"}, "t", "n"), std::invalid_argument);
}

}  // namespace
