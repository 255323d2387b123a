// Drawing primitives for the report's figures (OpenCV, Hershey fonts):
// anchored and rotated anti-aliased text, axis ticks, dashed lines, viridis.
// Hershey fonts are ASCII only: text goes through printable() first.
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace genre::report::plot {

struct Font {
  int face;
  double scale;
  int thickness;
};

enum class HAlign { Left, Center, Right };
enum class VAlign { Top, Middle, Baseline, Bottom };  // Middle = half the cap height

const cv::Scalar kBlack(0, 0, 0);
const cv::Scalar kWhite(255, 255, 255);
const cv::Scalar kDarkGrey(60, 60, 60);
const cv::Scalar kGrey(128, 128, 128);
const cv::Scalar kLightGrey(215, 215, 215);

// ASCII for the Hershey fonts: each non-ASCII UTF-8 character (or stray
// byte) and each control character becomes one '?'.
std::string printable(const std::string& text);

// At most `max_chars` characters: a longer text keeps its start and its end
// around "..." ("Class with a ...number 17"), as names often differ at the end.
std::string ellipsize_middle(const std::string& text, size_t max_chars);

// Width and cap height (above the baseline) plus descent below it.
struct TextMetrics {
  int width;
  int ascent;
  int descent;
};
TextMetrics measure(const std::string& text, const Font& font);

// Box the text covers, relative to its anchor point, after turning it by
// `angle_deg` counter-clockwise about the anchor (90 = reads bottom to top).
cv::Rect2d text_extent(const std::string& text, const Font& font, HAlign h, VAlign v, double angle_deg = 0);

// Draws `text` so that the point `h`/`v` names on the unrotated text lands on
// `anchor`, turned by `angle_deg` counter-clockwise about it. Anti-aliased,
// clipped to the image.
void draw_text(cv::Mat& img, const std::string& text, cv::Point2d anchor, const Font& font, const cv::Scalar& color,
               HAlign h, VAlign v, double angle_deg = 0);

// Greedy word wrap of printable(text) to `max_width` pixels, breaking at
// spaces only (a word wider than that gets a line of its own). `keep`, where
// not '\0', is a character that joins words without a break: it is drawn as a space.
std::vector<std::string> wrap_text(const std::string& text, const Font& font, int max_width, char keep = '\0');

// Round tick values (steps 1, 2, 2.5, 5 x 10^k) inside [lo, hi], at most
// `max_ticks` of them and at least two where lo < hi.
std::vector<double> nice_ticks(double lo, double hi, int max_ticks);
// A tick label with as many decimals as the step needs ("0.25", "10", "1.5").
std::string format_tick(double value, double step);

void dashed_line(cv::Mat& img, cv::Point2d a, cv::Point2d b, const cv::Scalar& color, int thickness, double dash,
                 double gap);

// matplotlib's viridis (OpenCV's COLORMAP_VIRIDIS table) at v in [0,1], BGR.
cv::Scalar viridis(double v);
// Relative luminance in [0,1] of a BGR colour, to pick black or white text on it.
double luminance(const cv::Scalar& bgr);

}  // namespace genre::report::plot
