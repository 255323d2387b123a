// Drawing primitives: tick choice and labels, ASCII fallback, and rotated
// text landing inside the box text_extent promises.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "report/plot_canvas.h"

using namespace genre::report::plot;

TEST(NiceTicks, RoundStepsInsideTheRange) {
  const auto fifths = nice_ticks(0.0, 1.0, 6);
  ASSERT_EQ(fifths.size(), 6u);
  for (size_t i = 0; i < fifths.size(); ++i) EXPECT_NEAR(fifths[i], 0.2 * double(i), 1e-12);
  EXPECT_EQ(nice_ticks(0.0, 1.0, 3), (std::vector<double>{0.0, 0.5, 1.0}));
  const auto t = nice_ticks(0.13, 0.87, 7);  // step 0.1: 0.2 .. 0.8
  ASSERT_EQ(t.size(), 7u);
  EXPECT_NEAR(t.front(), 0.2, 1e-12);
  EXPECT_NEAR(t.back(), 0.8, 1e-12);
  const auto loss = nice_ticks(0.62, 4.07, 7);  // step 0.5: 1.0 .. 4.0
  ASSERT_EQ(loss.size(), 7u);
  EXPECT_NEAR(loss.front(), 1.0, 1e-12);
  EXPECT_NEAR(loss[1] - loss[0], 0.5, 1e-12);
  EXPECT_EQ(nice_ticks(2.0, 2.0, 5), std::vector<double>{2.0});
}

TEST(FormatTick, DecimalsFollowTheStep) {
  EXPECT_EQ(format_tick(0.25, 0.25), "0.25");
  EXPECT_EQ(format_tick(0.5, 0.25), "0.50");
  EXPECT_EQ(format_tick(1.5, 0.5), "1.5");
  EXPECT_EQ(format_tick(10.0, 5.0), "10");
  EXPECT_EQ(format_tick(-0.0, 0.2), "0.0");
}

TEST(Printable, NonAsciiBecomesOneQuestionMarkPerCharacter) {
  EXPECT_EQ(printable("Caf\xc3\xa9 Tango"), "Caf? Tango");
  EXPECT_EQ(printable("a\tb"), "a?b");
  EXPECT_EQ(printable("Old-Time / Historic"), "Old-Time / Historic");
  EXPECT_EQ(ellipsize_middle("Class with a long name 17", 12), "Class...e 17");
  EXPECT_EQ(ellipsize_middle("Rock", 10), "Rock");
}

TEST(WrapText, BreaksAtSpacesButNotAtTheKeepCharacter) {
  const Font font{cv::FONT_HERSHEY_SIMPLEX, 0.5, 1};
  const int one_word = measure("top-1", font).width;
  EXPECT_EQ(wrap_text("top-1 62 %", font, one_word), (std::vector<std::string>{"top-1", "62 %"}));
  EXPECT_EQ(wrap_text("top-1\x1f"
                      "62\x1f%",
                      font, one_word, '\x1f'),
            std::vector<std::string>{"top-1 62 %"});
  EXPECT_EQ(wrap_text("a b", font, 1000), std::vector<std::string>{"a b"});
  EXPECT_EQ(wrap_text("Caf\xc3\xa9", font, 1000), std::vector<std::string>{"Caf?"});
}

TEST(DrawText, RotatedTextStaysInsideItsPredictedBox) {
  const Font font{cv::FONT_HERSHEY_SIMPLEX, 0.6, 1};
  const std::string text = "Experimental Pop";
  for (double angle : {0.0, 45.0, 90.0}) {
    cv::Mat img(400, 400, CV_8UC3, cv::Scalar(255, 255, 255));
    const cv::Point2d anchor(200, 200);
    draw_text(img, text, anchor, font, cv::Scalar(0, 0, 0), HAlign::Right, VAlign::Middle, angle);
    cv::Mat gray, ink;
    cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
    cv::findNonZero(gray < 200, ink);
    ASSERT_FALSE(ink.empty()) << angle;
    const cv::Rect drawn = cv::boundingRect(ink);
    const cv::Rect2d box = text_extent(text, font, HAlign::Right, VAlign::Middle, angle);
    const cv::Rect expected(int(anchor.x + box.x) - 2, int(anchor.y + box.y) - 2, int(box.width) + 5,
                            int(box.height) + 5);
    EXPECT_EQ(drawn & expected, drawn) << "angle " << angle << ": drawn " << drawn << " expected " << expected;
    // It fills most of the box along the text direction.
    if (angle == 0.0) {
      EXPECT_GT(drawn.width, 0.9 * box.width);
    } else if (angle == 90.0) {
      EXPECT_GT(drawn.height, 0.9 * box.height);
      EXPECT_GT(drawn.height, 4 * drawn.width);  // upright
    }
  }
}

TEST(Viridis, EndsAreMatplotlibs) {
  // matplotlib viridis(0) = (0.267, 0.005, 0.329), viridis(1) = (0.993, 0.906, 0.144): RGB.
  const cv::Scalar lo = viridis(0.0), hi = viridis(1.0);
  EXPECT_NEAR(lo[2], 0.267 * 255, 2);
  EXPECT_NEAR(lo[1], 0.005 * 255, 2);
  EXPECT_NEAR(lo[0], 0.329 * 255, 2);
  EXPECT_NEAR(hi[2], 0.993 * 255, 2);
  EXPECT_NEAR(hi[1], 0.906 * 255, 2);
  EXPECT_NEAR(hi[0], 0.144 * 255, 2);
  EXPECT_LT(luminance(lo), 0.2);
  EXPECT_GT(luminance(hi), 0.7);
}
