#include "report/plot_canvas.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace genre::report::plot {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Offset of the anchor from the text's left end on the baseline.
cv::Point2d anchor_offset(const TextMetrics& t, HAlign h, VAlign v) {
  double x = h == HAlign::Left ? 0.0 : h == HAlign::Center ? t.width / 2.0 : double(t.width);
  double y = 0.0;
  switch (v) {
    case VAlign::Top:
      y = -t.ascent;
      break;
    case VAlign::Middle:
      y = -t.ascent / 2.0;
      break;
    case VAlign::Baseline:
      y = 0.0;
      break;
    case VAlign::Bottom:
      y = t.descent;
      break;
  }
  return {x, y};
}

// Turning by `angle_deg` counter-clockwise on screen (y grows downwards).
cv::Point2d turn(cv::Point2d p, double angle_deg) {
  const double a = angle_deg * kPi / 180.0, c = std::cos(a), s = std::sin(a);
  return {p.x * c + p.y * s, -p.x * s + p.y * c};
}

// img = img * (1 - mask) + color * mask over the overlap, mask placed at `at`.
void blend_mask(cv::Mat& img, const cv::Mat& mask, cv::Point at, const cv::Scalar& color) {
  const cv::Rect target = cv::Rect(at, mask.size()) & cv::Rect(0, 0, img.cols, img.rows);
  for (int y = target.y; y < target.y + target.height; ++y) {
    const uchar* m = mask.ptr<uchar>(y - at.y);
    cv::Vec3b* px = img.ptr<cv::Vec3b>(y);
    for (int x = target.x; x < target.x + target.width; ++x) {
      const int a = m[x - at.x];
      if (!a) continue;
      for (int ch = 0; ch < 3; ++ch)
        px[x][ch] = cv::saturate_cast<uchar>((px[x][ch] * (255 - a) + color[ch] * a) / 255.0);
    }
  }
}

}  // namespace

std::string printable(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7f) ? '?' : char(c);
      ++i;
      continue;
    }
    // One '?' per UTF-8 sequence: skip its continuation bytes.
    out += '?';
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  return out;
}

std::string ellipsize_middle(const std::string& text, size_t max_chars) {
  if (text.size() <= max_chars) return text;
  if (max_chars <= 3) return text.substr(0, max_chars);
  const size_t tail = (max_chars - 3) / 2, head = max_chars - 3 - tail;
  return text.substr(0, head) + "..." + text.substr(text.size() - tail);
}

TextMetrics measure(const std::string& text, const Font& font) {
  int baseline = 0;
  const cv::Size s = cv::getTextSize(text, font.face, font.scale, font.thickness, &baseline);
  return {s.width, s.height, baseline};
}

cv::Rect2d text_extent(const std::string& text, const Font& font, HAlign h, VAlign v, double angle_deg) {
  const TextMetrics t = measure(text, font);
  const cv::Point2d o = anchor_offset(t, h, v);
  const cv::Point2d corners[4] = {{-o.x, -t.ascent - o.y},
                                  {t.width - o.x, -t.ascent - o.y},
                                  {-o.x, t.descent - o.y},
                                  {t.width - o.x, t.descent - o.y}};
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (const auto& c : corners) {
    const cv::Point2d p = turn(c, angle_deg);
    x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

void draw_text(cv::Mat& img, const std::string& raw, cv::Point2d anchor, const Font& font, const cv::Scalar& color,
               HAlign h, VAlign v, double angle_deg) {
  const std::string text = printable(raw);
  if (text.empty()) return;
  const TextMetrics t = measure(text, font);
  const cv::Point2d o = anchor_offset(t, h, v);
  if (angle_deg == 0.0) {
    const cv::Point origin(int(std::lround(anchor.x - o.x)), int(std::lround(anchor.y - o.y)));
    cv::putText(img, text, origin, font.face, font.scale, color, font.thickness, cv::LINE_AA);
    return;
  }
  // Drawn flat into a coverage mask, turned, then blended: putText cannot rotate.
  const int pad = 2 + font.thickness;
  cv::Mat flat = cv::Mat::zeros(t.ascent + t.descent + 2 * pad, t.width + 2 * pad, CV_8U);
  cv::putText(flat, text, cv::Point(pad, pad + t.ascent), font.face, font.scale, cv::Scalar(255), font.thickness,
              cv::LINE_AA);
  const cv::Point2d pivot(pad + o.x, pad + t.ascent + o.y);  // the anchor inside `flat`
  const cv::Rect2d box = text_extent(text, font, h, v, angle_deg);
  const cv::Point at(int(std::floor(anchor.x + box.x)) - pad, int(std::floor(anchor.y + box.y)) - pad);
  const cv::Size size(int(std::ceil(box.width)) + 2 * pad + 2, int(std::ceil(box.height)) + 2 * pad + 2);
  // Affine map flat -> turned patch: turn about the pivot, then put the pivot
  // where the anchor falls inside the patch.
  const double a = angle_deg * kPi / 180.0, c = std::cos(a), s = std::sin(a);
  const cv::Point2d dst_pivot(anchor.x - at.x, anchor.y - at.y);
  cv::Mat m = (cv::Mat_<double>(2, 3) << c, s, dst_pivot.x - (c * pivot.x + s * pivot.y), -s, c,
               dst_pivot.y - (-s * pivot.x + c * pivot.y));
  const bool right_angle = std::fmod(std::fabs(angle_deg), 90.0) == 0.0;
  cv::Mat turned;
  cv::warpAffine(flat, turned, m, size, right_angle ? cv::INTER_NEAREST : cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar(0));
  blend_mask(img, turned, at, color);
}

std::vector<std::string> wrap_text(const std::string& text, const Font& font, int max_width, char keep) {
  // Words split at the original spaces first: printable() would turn `keep` into '?'.
  std::vector<std::string> words(1);
  for (char ch : text) {
    if (ch == ' ')
      words.emplace_back();
    else
      words.back() += (keep && ch == keep) ? ' ' : ch;
  }
  std::vector<std::string> lines;
  std::string line;
  for (const auto& raw_word : words) {
    if (raw_word.empty()) continue;
    const std::string word = printable(raw_word);
    const std::string candidate = line.empty() ? word : line + " " + word;
    if (line.empty() || measure(candidate, font).width <= max_width) {
      line = candidate;
    } else {
      lines.push_back(line);
      line = word;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

std::vector<double> nice_ticks(double lo, double hi, int max_ticks) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) return {lo};
  max_ticks = std::max(max_ticks, 2);
  const double raw = (hi - lo) / double(max_ticks - 1);
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (int round = 0; round < 3; ++round, magnitude *= 10.0) {
    for (double factor : {1.0, 2.0, 2.5, 5.0}) {
      const double step = factor * magnitude;
      const double first = std::ceil(lo / step - 1e-9) * step;
      std::vector<double> ticks;
      for (double t = first; t <= hi + step * 1e-9; t = first + step * double(ticks.size()))
        ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
      if (int(ticks.size()) <= max_ticks && ticks.size() >= 2) return ticks;
      if (int(ticks.size()) <= max_ticks) return {lo, hi};  // the range holds fewer than two round values
    }
  }
  return {lo, hi};
}

std::string format_tick(double value, double step) {
  int decimals = 0;
  if (step > 0 && std::isfinite(step)) {
    // Enough decimals that consecutive ticks differ: 0.25 needs 2, 0.5 needs 1.
    for (decimals = 0; decimals < 8; ++decimals) {
      const double scaled = step * std::pow(10.0, decimals);
      if (std::fabs(scaled - std::round(scaled)) < 1e-6 * scaled) break;
    }
  }
  if (std::fabs(value) < 0.5 * std::pow(10.0, -decimals)) value = 0.0;  // no "-0.0"
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

void dashed_line(cv::Mat& img, cv::Point2d a, cv::Point2d b, const cv::Scalar& color, int thickness, double dash,
                 double gap) {
  const double length = std::hypot(b.x - a.x, b.y - a.y);
  if (length <= 0) return;
  const cv::Point2d dir((b.x - a.x) / length, (b.y - a.y) / length);
  for (double s = 0; s < length; s += dash + gap) {
    const double e = std::min(length, s + dash);
    cv::line(img, a + dir * s, a + dir * e, color, thickness, cv::LINE_AA);
  }
}

cv::Scalar viridis(double v) {
  static const cv::Mat lut = [] {
    cv::Mat ramp(1, 256, CV_8U);
    for (int i = 0; i < 256; ++i) ramp.at<uchar>(0, i) = uchar(i);
    cv::Mat colours;
    cv::applyColorMap(ramp, colours, cv::COLORMAP_VIRIDIS);
    return colours;
  }();
  const int i = std::isfinite(v) ? std::clamp(int(std::lround(v * 255.0)), 0, 255) : 0;
  const cv::Vec3b c = lut.at<cv::Vec3b>(0, i);
  return {double(c[0]), double(c[1]), double(c[2])};
}

double luminance(const cv::Scalar& bgr) { return (0.0722 * bgr[0] + 0.7152 * bgr[1] + 0.2126 * bgr[2]) / 255.0; }

}  // namespace genre::report::plot
