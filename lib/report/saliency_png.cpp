#include "report/saliency_png.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "image/colormap.h"
#include "report/plot_canvas.h"

namespace genre::report {
namespace {

using namespace plot;

// Background grey: the quietest value is dark, the loudest light, never black or white,
// so the heat's colours stay distinguishable on both.
constexpr double kGreyLow = 0.08, kGreyHigh = 0.85;

struct Fonts {
  Font heading{cv::FONT_HERSHEY_DUPLEX, 0.8, 1};
  Font note{cv::FONT_HERSHEY_SIMPLEX, 0.5, 1};
  Font axis{cv::FONT_HERSHEY_SIMPLEX, 0.6, 1};
  Font tick{cv::FONT_HERSHEY_SIMPLEX, 0.45, 1};
  Font panel{cv::FONT_HERSHEY_SIMPLEX, 0.55, 1};
};

void check(const HeatPanel& p, const SpectrogramAxes& axes) {
  if (p.background.empty() || p.background.type() != CV_32F || p.heat.type() != CV_32F ||
      p.heat.size() != p.background.size())
    throw std::invalid_argument("heat panel '" + p.title + "': background and heat must be float matrices of one size");
  if (axes.row_hz.size() != size_t(p.background.rows))
    throw std::invalid_argument("heat panel '" + p.title + "': " + std::to_string(axes.row_hz.size()) +
                                " band frequencies for " + std::to_string(p.background.rows) + " rows");
  if (!(axes.column_seconds > 0)) throw std::invalid_argument("heat panel: a column must stand for some time");
}

// Fractional row (0 = centre of the lowest band) of `hz`, by the bands' centre frequencies.
double row_of(const std::vector<double>& row_hz, double hz) {
  if (row_hz.size() < 2) return 0;
  const auto it = std::lower_bound(row_hz.begin(), row_hz.end(), hz);
  const size_t hi = std::clamp<size_t>(size_t(it - row_hz.begin()), 1, row_hz.size() - 1);
  const double a = row_hz[hi - 1], b = row_hz[hi];
  return double(hi - 1) + (b > a ? (hz - a) / (b - a) : 0.0);
}

// Round frequencies for the y ticks: the densest of these ladders whose labels do not
// crowd in `height` pixels.
std::vector<double> hz_ticks(const std::vector<double>& row_hz, int height, int min_gap) {
  static const std::vector<std::vector<double>> kLadders = {
      {100, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 16000},
      {100, 200, 500, 1000, 2000, 3000, 4000, 6000, 8000, 12000, 16000},
      {100, 250, 500, 1000, 2000, 4000, 8000, 16000},
      {100, 500, 1000, 2000, 5000, 10000},
      {500, 2000, 8000},
      {1000}};
  const double rows = double(row_hz.size());
  for (const auto& ladder : kLadders) {
    std::vector<double> ticks;
    double last_y = 1e300;
    bool crowded = false;
    for (double hz : ladder) {
      if (hz < row_hz.front() || hz > row_hz.back()) continue;
      const double y = (row_of(row_hz, hz) + 0.5) / rows * height;
      if (!ticks.empty() && y - last_y < min_gap) crowded = true;
      ticks.push_back(hz);
      last_y = y;
    }
    if (!crowded) return ticks;
  }
  return {};
}

std::string hz_text(double hz) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", hz);
  return buf;
}

// The panel's pixels: background grey, heat blended over it, low bands at the bottom.
cv::Mat panel_pixels(const HeatPanel& p, cv::Size size, double heat_max) {
  auto fit = [&](const cv::Mat& m) {
    cv::Mat out;
    const bool shrink = size.width < m.cols || size.height < m.rows;
    cv::resize(m, out, size, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_NEAREST);
    cv::flip(out, out, 0);  // row 0 (lowest band) at the bottom
    return out;
  };
  const cv::Mat bg = fit(p.background), heat = fit(p.heat);
  double lo = 0, hi = 0;
  cv::minMaxLoc(p.background, &lo, &hi);
  const double span = hi > lo ? hi - lo : 1.0;
  cv::Mat out(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) {
      const double g = kGreyLow + (kGreyHigh - kGreyLow) * std::clamp((bg.at<float>(y, x) - lo) / span, 0.0, 1.0);
      out.at<cv::Vec3b>(y, x) = heat_over_grey(heat_max > 0 ? heat.at<float>(y, x) / heat_max : 0.0, g);
    }
  return out;
}

struct PanelLayout {
  cv::Rect area;
  bool x_labels = true, y_labels = true;
};

// Draws one panel's picture, frame, ticks and tick labels into `img`.
void draw_panel(cv::Mat& img, const HeatPanel& p, const SpectrogramAxes& axes, double heat_max, const PanelLayout& l,
                const Fonts& f) {
  const cv::Rect& a = l.area;
  panel_pixels(p, a.size(), heat_max).copyTo(img(a));
  cv::rectangle(img, cv::Rect(a.x - 1, a.y - 1, a.width + 2, a.height + 2), kDarkGrey, 1);
  const int tick_len = 4;
  const TextMetrics tm = measure("0", f.tick);
  const std::vector<double> yt = hz_ticks(axes.row_hz, a.height, tm.ascent + 6);
  for (double hz : yt) {
    const double y = a.y + a.height - (row_of(axes.row_hz, hz) + 0.5) / axes.row_hz.size() * a.height;
    cv::line(img, cv::Point2d(a.x - 1 - tick_len, y), cv::Point2d(a.x - 1, y), kDarkGrey, 1);
    if (l.y_labels) draw_text(img, hz_text(hz), {double(a.x - tick_len - 4), y}, f.tick, kBlack, HAlign::Right, VAlign::Middle);
  }
  const double t0 = axes.start_seconds, t1 = t0 + axes.column_seconds * p.background.cols;
  const int max_ticks = std::clamp(a.width / std::max(1, measure("00.0", f.tick).width * 2), 2, 12);
  const std::vector<double> xt = nice_ticks(t0, t1, max_ticks);
  const double step = xt.size() > 1 ? xt[1] - xt[0] : 1.0;
  for (double t : xt) {
    const double x = a.x + (t - t0) / (t1 - t0) * a.width;
    cv::line(img, cv::Point2d(x, a.y + a.height), cv::Point2d(x, a.y + a.height + tick_len), kDarkGrey, 1);
    if (l.x_labels)
      draw_text(img, format_tick(t, step), {x, double(a.y + a.height + tick_len + 4)}, f.tick, kBlack, HAlign::Center,
                VAlign::Top);
  }
}

int tick_label_width(const SpectrogramAxes& axes, const Fonts& f) {
  int w = 0;
  for (double hz : {100.0, 1000.0, 10000.0})
    if (!axes.row_hz.empty() && hz <= axes.row_hz.back()) w = std::max(w, measure(hz_text(hz), f.tick).width);
  return w;
}

// Colour bar at (x, y), `h` tall: heat_max at the top, 0 at the bottom, over mid grey.
void draw_colour_bar(cv::Mat& img, int x, int y, int h, const HeatScale& s, const Fonts& f) {
  const int w = 20;
  for (int r = 0; r < h; ++r) {
    const cv::Vec3b c = heat_over_grey(1.0 - (r + 0.5) / h, 0.5);
    cv::line(img, {x, y + r}, {x + w - 1, y + r}, cv::Scalar(c[0], c[1], c[2]), 1);
  }
  cv::rectangle(img, cv::Rect(x - 1, y - 1, w + 2, h + 2), kDarkGrey, 1);
  const std::vector<double> ticks = nice_ticks(0.0, s.max, std::clamp(h / 45, 2, 6));
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : s.max;
  int label_w = 0;
  for (double v : ticks) {
    const double ty = y + (1.0 - v / s.max) * (h - 1);
    cv::line(img, cv::Point2d(x + w, ty), cv::Point2d(x + w + 4, ty), kDarkGrey, 1);
    const std::string text = format_tick(v, step);
    label_w = std::max(label_w, measure(text, f.tick).width);
    draw_text(img, text, {double(x + w + 7), ty}, f.tick, kBlack, HAlign::Left, VAlign::Middle);
  }
  draw_text(img, s.label, {double(x + w + 7 + label_w + 10), y + h / 2.0}, f.axis, kBlack, HAlign::Center, VAlign::Top,
            90);
}

int colour_bar_width(const HeatScale& s, const Fonts& f) {
  const TextMetrics a = measure("Ag", f.axis);
  return 20 + 7 + measure(format_tick(s.max, s.max / 4), f.tick).width + 10 + a.ascent + a.descent + 6;
}

// Title and note lines from `y` down; returns the y under them.
int draw_heading(cv::Mat& img, const std::vector<std::string>& title, const std::vector<std::string>& note, int y,
                 const Fonts& f) {
  const TextMetrics h = measure("Ag", f.heading), n = measure("Ag", f.note);
  for (const auto& line : title) {
    draw_text(img, line, {img.cols / 2.0, double(y)}, f.heading, kBlack, HAlign::Center, VAlign::Top);
    y += h.ascent + h.descent + 8;
  }
  y += 2;
  for (const auto& line : note) {
    draw_text(img, line, {img.cols / 2.0, double(y)}, f.note, kDarkGrey, HAlign::Center, VAlign::Top);
    y += n.ascent + n.descent + 6;
  }
  return y;
}

int heading_height(size_t title_lines, size_t note_lines, const Fonts& f) {
  const TextMetrics h = measure("Ag", f.heading), n = measure("Ag", f.note);
  return int(title_lines) * (h.ascent + h.descent + 8) + 2 + int(note_lines) * (n.ascent + n.descent + 6);
}

}  // namespace

cv::Vec3b heat_over_grey(double v, double grey) {
  v = std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 0.0;
  const float(*table)[3] = image::colormap_table(image::Colormap::Magma);
  const float* rgb = table[image::colormap_index(float(v))];
  // Opacity grows with the heat and saturates at two thirds of the scale: faint heat
  // leaves the spectrogram readable, strong heat is its colour alone.
  const double alpha = std::min(1.0, 1.5 * v);
  cv::Vec3b out;
  for (int c = 0; c < 3; ++c)  // BGR from the RGB table
    out[c] = cv::saturate_cast<uchar>(255.0 * (grey * (1 - alpha) + rgb[2 - c] * alpha));
  return out;
}

HeatFigure render_heat_figure(const HeatPanel& panel, const SpectrogramAxes& axes, const HeatScale& scale,
                           const std::string& title, const std::string& note) {
  check(panel, axes);
  const Fonts f;
  const int width = 1200, pad = 20;
  const TextMetrics am = measure("Ag", f.axis), tm = measure("0", f.tick);
  const int axis_h = am.ascent + am.descent;
  const int left = pad + axis_h + 10 + tick_label_width(axes, f) + 10;
  const int right = pad + 20 + colour_bar_width(scale, f);
  const std::vector<std::string> title_lines = wrap_text(title, f.heading, width - 2 * pad);
  const std::vector<std::string> note_lines = wrap_text(note, f.note, width - 2 * pad);
  const int top = pad + heading_height(title_lines.size(), note_lines.size(), f) + 10;
  const int plot_h = 420;
  const int height = top + plot_h + 4 + tm.ascent + 12 + axis_h + pad;
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  draw_heading(img, title_lines, note_lines, pad, f);
  PanelLayout l;
  l.area = cv::Rect(left, top, width - left - right, plot_h);
  draw_panel(img, panel, axes, scale.max, l, f);
  draw_text(img, "time (s)", {l.area.x + l.area.width / 2.0, double(top + plot_h + 4 + tm.ascent + 12)}, f.axis, kBlack,
            HAlign::Center, VAlign::Top);
  draw_text(img, "mel band centre (Hz)", {double(pad), top + plot_h / 2.0}, f.axis, kBlack, HAlign::Center,
            VAlign::Top, 90);
  draw_colour_bar(img, l.area.x + l.area.width + 20, top, plot_h, scale, f);
  return {img, {l.area}};
}

HeatFigure render_heat_grid(const std::vector<HeatPanel>& panels, const SpectrogramAxes& axes, const HeatScale& scale,
                         const std::string& title, const std::string& note, int columns) {
  if (panels.empty()) throw std::invalid_argument("a heat grid needs at least one panel");
  for (const HeatPanel& p : panels) check(p, axes);
  const Fonts f;
  const int n = int(panels.size());
  columns = std::clamp(columns, 1, n);
  const int rows = (n + columns - 1) / columns;
  const int pad = 20, cell_w = 260, cell_h = 200, gap_x = 24;
  const TextMetrics am = measure("Ag", f.axis), tm = measure("0", f.tick), pm = measure("Ag", f.panel);
  const int axis_h = am.ascent + am.descent;
  const int left = pad + axis_h + 10 + tick_label_width(axes, f) + 10;
  const int under = 4 + tm.ascent + tm.descent + 10;  // x tick labels under every panel
  const int above = pm.ascent + pm.descent + 8;       // the panel's title
  const int bar_w = colour_bar_width(scale, f);
  const int width = std::max(left + columns * cell_w + (columns - 1) * gap_x + 24 + bar_w + pad, 700);
  const std::vector<std::string> title_lines = wrap_text(title, f.heading, width - 2 * pad);
  const std::vector<std::string> note_lines = wrap_text(note, f.note, width - 2 * pad);
  const int top = pad + heading_height(title_lines.size(), note_lines.size(), f) + 10;
  const int row_h = above + cell_h + under;
  const int height = top + rows * row_h + axis_h + pad;
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  draw_heading(img, title_lines, note_lines, pad, f);
  std::vector<cv::Rect> areas;
  for (int i = 0; i < n; ++i) {
    const int r = i / columns, c = i % columns;
    PanelLayout l;
    l.area = cv::Rect(left + c * (cell_w + gap_x), top + r * row_h + above, cell_w, cell_h);
    l.y_labels = c == 0;
    draw_panel(img, panels[size_t(i)], axes, scale.max, l, f);
    areas.push_back(l.area);
    const std::string name = ellipsize_middle(printable(panels[size_t(i)].title), 34);
    draw_text(img, name, {l.area.x + cell_w / 2.0, double(l.area.y - 6)}, f.panel, kBlack, HAlign::Center,
              VAlign::Bottom);
  }
  const int grid_w = columns * cell_w + (columns - 1) * gap_x;
  draw_text(img, "time in the window (s)", {left + grid_w / 2.0, double(top + rows * row_h)}, f.axis, kBlack,
            HAlign::Center, VAlign::Top);
  draw_text(img, "mel band centre (Hz)", {double(pad), top + rows * row_h / 2.0}, f.axis, kBlack, HAlign::Center,
            VAlign::Top, 90);
  draw_colour_bar(img, left + grid_w + 24, top + above, std::min(rows * row_h - above - under, 420), scale, f);
  return {img, areas};
}

}  // namespace genre::report
