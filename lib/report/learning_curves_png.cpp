#include "report/learning_curves_png.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "report/confusion_png.h"
#include "report/markdown.h"
#include "report/plot_canvas.h"

namespace genre::report {
namespace {

using namespace plot;

// matplotlib's tab:blue for train, tab:orange for val (BGR), in both panels.
const cv::Scalar kTrainColour(180, 119, 31);
const cv::Scalar kValColour(14, 127, 255);
const cv::Scalar kGridColour(232, 232, 232);
constexpr int kFractionBits = 4;  // sub-pixel precision of cv::line/circle
constexpr size_t kMaxPointsWithMarkers = 60;

struct Series {
  const char* name;
  double CurvePoint::*field;
  double scale;  // 100 for accuracies drawn in percent
  cv::Scalar colour;
  bool validation;  // its best value is ringed and named in the legend
  bool best_is_max;
  const char* unit;
};

struct Stage {
  std::string name;
  size_t first, last;  // point indices
};

cv::Point fixed_point(cv::Point2d p) {
  return {int(std::lround(p.x * (1 << kFractionBits))), int(std::lround(p.y * (1 << kFractionBits)))};
}

void smooth_line(cv::Mat& img, cv::Point2d a, cv::Point2d b, const cv::Scalar& colour, int thickness) {
  cv::line(img, fixed_point(a), fixed_point(b), colour, thickness, cv::LINE_AA, kFractionBits);
}

void smooth_circle(cv::Mat& img, cv::Point2d c, double r, const cv::Scalar& colour, int thickness) {
  cv::circle(img, fixed_point(c), int(std::lround(r * (1 << kFractionBits))), colour, thickness, cv::LINE_AA,
             kFractionBits);
}

// Round integer steps (1, 2, 5, 10, 20, 25, 50, ...) for epochs: at most `max_ticks` ticks.
std::vector<double> epoch_ticks(double lo, double hi, int max_ticks) {
  const int first = int(std::ceil(lo)), last = int(std::floor(hi));
  if (last < first) return {};
  for (int magnitude = 1;; magnitude *= 10)
    for (int factor : {1, 2, 5, 10, 20, 25, 50})
      if (const int step = factor * magnitude; (last - first) / step + 1 <= max_ticks || step > last - first) {
        std::vector<double> ticks;
        for (int t = (first + step - 1) / step * step; t <= last; t += step) ticks.push_back(t);
        if (ticks.empty()) ticks.push_back(first);
        return ticks;
      }
}

// Data range with a margin, so no curve runs along the frame.
std::pair<double, double> padded(double lo, double hi, double margin_fraction, double min_span) {
  double span = hi - lo;
  if (span < min_span) {
    const double mid = (lo + hi) / 2;
    lo = mid - min_span / 2, hi = mid + min_span / 2, span = min_span;
  }
  return {lo - span * margin_fraction, hi + span * margin_fraction};
}

bool finite_at(const CurvePoint& p, const Series& s) { return std::isfinite(p.*(s.field)); }

struct Tick {
  double value;
  std::string label;
};

std::vector<Tick> value_ticks(double lo, double hi) {
  const std::vector<double> values = nice_ticks(lo, hi, 7);
  const double step = values.size() > 1 ? values[1] - values[0] : 1.0;
  std::vector<Tick> ticks;
  for (double v : values) ticks.push_back({v, format_tick(v, step)});
  return ticks;
}

int widest_label(const std::vector<Tick>& ticks, const Font& font) {
  int w = 0;
  for (const auto& t : ticks) w = std::max(w, measure(t.label, font).width);
  return w;
}

struct Fonts {
  Font title{cv::FONT_HERSHEY_DUPLEX, 0.95, 1};
  Font heading{cv::FONT_HERSHEY_DUPLEX, 0.7, 1};
  Font axis{cv::FONT_HERSHEY_SIMPLEX, 0.6, 1};
  Font tick{cv::FONT_HERSHEY_SIMPLEX, 0.5, 1};
  Font legend{cv::FONT_HERSHEY_SIMPLEX, 0.5, 1};
  Font stage{cv::FONT_HERSHEY_SIMPLEX | cv::FONT_ITALIC, 0.55, 1};
};

class Panel {
 public:
  Panel(cv::Mat& img, const PanelAxes& ax, const Fonts& fonts, const std::vector<CurvePoint>& points,
        const std::vector<double>& x, const std::vector<Stage>& stages)
      : img_(img), ax_(ax), fonts_(fonts), points_(points), x_(x), stages_(stages) {}

  void draw(const std::string& heading, const std::string& x_label, const std::string& y_label,
            const std::vector<Series>& series, const std::vector<double>& boundaries) {
    const cv::Rect& a = ax_.area;
    draw_axes(x_label, y_label);
    for (double b : boundaries)
      dashed_line(img_, ax_.at(b, ax_.y_max) - cv::Point2d(0, stage_row()), ax_.at(b, ax_.y_min), kGrey, 1, 6, 4);
    if (stages_.size() > 1)
      for (const auto& s : stages_) {
        const double centre = (ax_.at(x_[s.first], 0).x + ax_.at(x_[s.last], 0).x) / 2;
        draw_text(img_, s.name, {centre, a.y - 6.0}, fonts_.stage, kDarkGrey, HAlign::Center, VAlign::Bottom);
      }
    std::vector<Series> present;
    for (const auto& s : series)
      if (std::any_of(points_.begin(), points_.end(), [&](const CurvePoint& p) { return finite_at(p, s); }))
        present.push_back(s);
    for (const auto& s : present) draw_series(s);
    if (present.empty())
      draw_text(img_, "no data", {a.x + a.width / 2.0, a.y + a.height / 2.0}, fonts_.axis, kGrey, HAlign::Center,
                VAlign::Middle);
    else
      draw_legend(present);
    draw_text(img_, heading, {a.x + a.width / 2.0, a.y - 6.0 - stage_row() - 8}, fonts_.heading, kBlack, HAlign::Center,
              VAlign::Bottom);
  }

  // Room above the frame for the stage names.
  int stage_row() const {
    if (stages_.size() < 2) return 0;
    const TextMetrics t = measure("Ag", fonts_.stage);
    return t.ascent + t.descent + 4;
  }

 private:
  void draw_axes(const std::string& x_label, const std::string& y_label) {
    const cv::Rect& a = ax_.area;
    const std::vector<Tick> yt = value_ticks(ax_.y_min, ax_.y_max);
    for (const auto& tick : yt) {
      const cv::Point2d p = ax_.at(ax_.x_min, tick.value);
      cv::line(img_, cv::Point(a.x, int(std::lround(p.y))), cv::Point(a.x + a.width, int(std::lround(p.y))),
               kGridColour, 1);
      cv::line(img_, cv::Point(a.x - 5, int(std::lround(p.y))), cv::Point(a.x, int(std::lround(p.y))), kDarkGrey, 1);
      draw_text(img_, tick.label, {a.x - 9.0, p.y}, fonts_.tick, kBlack, HAlign::Right, VAlign::Middle);
    }
    for (double v : epoch_ticks(ax_.x_min, ax_.x_max, 11)) {
      const cv::Point2d p = ax_.at(v, ax_.y_min);
      cv::line(img_, cv::Point(int(std::lround(p.x)), a.y), cv::Point(int(std::lround(p.x)), a.y + a.height),
               kGridColour, 1);
      cv::line(img_, cv::Point(int(std::lround(p.x)), a.y + a.height),
               cv::Point(int(std::lround(p.x)), a.y + a.height + 5), kDarkGrey, 1);
      draw_text(img_, format_tick(v, 1.0), {p.x, a.y + a.height + 9.0}, fonts_.tick, kBlack, HAlign::Center,
                VAlign::Top);
    }
    cv::rectangle(img_, cv::Rect(a.x, a.y, a.width + 1, a.height + 1), kDarkGrey, 1);
    const TextMetrics t = measure("0", fonts_.tick);
    draw_text(img_, x_label, {a.x + a.width / 2.0, a.y + a.height + 9.0 + t.ascent + t.descent + 10}, fonts_.axis,
              kBlack, HAlign::Center, VAlign::Top);
    draw_text(img_, y_label, {a.x - 9.0 - widest_label(yt, fonts_.tick) - 12, a.y + a.height / 2.0}, fonts_.axis,
              kBlack, HAlign::Center, VAlign::Bottom, 90);
  }

  bool joined(size_t i) const {  // a segment from point i-1 to i: same stage, both values present
    return i > 0 && points_[i].stage == points_[i - 1].stage;
  }

  cv::Point2d at(size_t i, const Series& s) const { return ax_.at(x_[i], points_[i].*(s.field) * s.scale); }

  void draw_series(const Series& s) {
    for (size_t i = 1; i < points_.size(); ++i)
      if (joined(i) && finite_at(points_[i - 1], s) && finite_at(points_[i], s))
        smooth_line(img_, at(i - 1, s), at(i, s), s.colour, 2);
    const bool markers = points_.size() <= kMaxPointsWithMarkers;
    for (size_t i = 0; i < points_.size(); ++i) {
      if (!finite_at(points_[i], s)) continue;
      // A lone point (neighbours missing) always gets a marker, or it would not show.
      const bool lone = !(joined(i) && finite_at(points_[i - 1], s)) &&
                        !(i + 1 < points_.size() && joined(i + 1) && finite_at(points_[i + 1], s));
      if (markers || lone) smooth_circle(img_, at(i, s), 3.0, s.colour, cv::FILLED);
    }
    // The best validation value of each stage gets a ring.
    for (const auto& st : stages_)
      if (s.validation)
        if (auto b = best(s, st.first, st.last); b != size_t(-1)) smooth_circle(img_, at(b, s), 7.5, s.colour, 2);
  }

  size_t best(const Series& s, size_t first, size_t last) const {
    size_t b = size_t(-1);
    for (size_t i = first; i <= last; ++i) {
      if (!finite_at(points_[i], s)) continue;
      const double v = points_[i].*(s.field);
      if (b == size_t(-1) || (s.best_is_max ? v > points_[b].*(s.field) : v < points_[b].*(s.field))) b = i;
    }
    return b;
  }

  // "val top-1 (best 61.2 % at fine epoch 17)": the last stage's best.
  std::string legend_text(const Series& s) const {
    if (!s.validation) return s.name;
    const Stage& st = stages_.back();
    const size_t b = best(s, st.first, st.last);
    if (b == size_t(-1)) return s.name;
    const double v = points_[b].*(s.field) * s.scale;
    const std::string where =
        (stages_.size() > 1 ? st.name + " epoch " : std::string("epoch ")) + std::to_string(points_[b].epoch);
    return std::string(s.name) + " (" + (s.best_is_max ? "best " : "min ") + format_fixed(v, s.scale == 100 ? 1 : 3) +
           s.unit + " at " + where + ")";
  }

  void draw_legend(const std::vector<Series>& series) {
    const int sample_w = 34, gap = 8, pad = 8;
    std::vector<std::string> texts;
    int text_w = 0;
    for (const auto& s : series) {
      texts.push_back(legend_text(s));
      text_w = std::max(text_w, measure(texts.back(), fonts_.legend).width);
    }
    const TextMetrics t = measure("Ag", fonts_.legend);
    const int row = t.ascent + t.descent + 8;
    const cv::Size size(pad + sample_w + gap + text_w + pad, pad + row * int(series.size()) + pad - 6);
    const cv::Rect& a = ax_.area;
    const int m = 10;
    const cv::Point corners[] = {{a.x + a.width - m - size.width, a.y + m},
                                 {a.x + a.width - m - size.width, a.y + a.height - m - size.height},
                                 {a.x + m, a.y + m},
                                 {a.x + m, a.y + a.height - m - size.height}};
    // matplotlib's loc="best", crudely: the corner covering the fewest curve samples.
    cv::Rect box;
    int fewest = -1;
    for (const auto& corner : corners) {
      const cv::Rect r(corner, size);
      int covered = 0;
      for (const auto& s : series)
        for (size_t i = 0; i < points_.size(); ++i) {
          if (!finite_at(points_[i], s)) continue;
          const bool seg = joined(i) && finite_at(points_[i - 1], s);
          for (int k = 0; k <= (seg ? 16 : 0); ++k) {
            const cv::Point2d p = seg ? at(i - 1, s) + (at(i, s) - at(i - 1, s)) * (k / 16.0) : at(i, s);
            covered += r.contains(cv::Point(int(p.x), int(p.y)));
          }
        }
      if (fewest < 0 || covered < fewest) fewest = covered, box = r;
    }
    cv::rectangle(img_, box, kWhite, cv::FILLED);
    cv::rectangle(img_, box, kLightGrey, 1);
    for (size_t i = 0; i < series.size(); ++i) {
      const double y = box.y + pad + row * double(i) + t.ascent / 2.0;
      const cv::Point2d l(box.x + pad, y), r(box.x + pad + sample_w, y);
      smooth_line(img_, l, r, series[i].colour, 2);
      smooth_circle(img_, (l + r) * 0.5, 3.0, series[i].colour, cv::FILLED);
      draw_text(img_, texts[i], {double(box.x + pad + sample_w + gap), y}, fonts_.legend, kBlack, HAlign::Left,
                VAlign::Middle);
    }
  }

  cv::Mat& img_;
  const PanelAxes& ax_;
  const Fonts& fonts_;
  const std::vector<CurvePoint>& points_;
  const std::vector<double>& x_;
  const std::vector<Stage>& stages_;
};

// Finite values of the given fields (times their scale) -> padded axis
// range; `empty` where there are none.
std::pair<double, double> value_range(const std::vector<CurvePoint>& points, const std::vector<Series>& series,
                                      double min_span, std::pair<double, double> empty) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& p : points)
    for (const auto& s : series)
      if (finite_at(p, s)) lo = std::min(lo, p.*(s.field) * s.scale), hi = std::max(hi, p.*(s.field) * s.scale);
  return lo <= hi ? padded(lo, hi, 0.06, min_span) : empty;
}

}  // namespace

cv::Point2d PanelAxes::at(double x, double y) const {
  const double fx = x_max > x_min ? (x - x_min) / (x_max - x_min) : 0.5;
  const double fy = y_max > y_min ? (y - y_min) / (y_max - y_min) : 0.5;
  return {area.x + fx * area.width, area.y + (1.0 - fy) * area.height};
}

CurvesFigure render_learning_curves(const std::vector<CurvePoint>& points, const std::string& title) {
  if (points.empty()) throw std::invalid_argument("write_learning_curves_png: no points to draw");
  CurvesFigure fig;

  std::vector<Stage> stages;
  for (size_t i = 0; i < points.size(); ++i) {
    if (stages.empty() || points[i].stage != stages.back().name)
      stages.push_back({points[i].stage, i, i});
    else if (points[i].epoch <= points[i - 1].epoch)
      throw std::invalid_argument("write_learning_curves_png: epoch " + std::to_string(points[i].epoch) +
                                  " follows epoch " + std::to_string(points[i - 1].epoch) + " in stage \"" +
                                  points[i].stage + "\" (epochs must increase within a stage)");
    stages.back().last = i;
  }
  // Epochs that restart at a stage count on from the previous stage's last x.
  for (size_t i = 1; i < points.size(); ++i) fig.renumbered = fig.renumbered || points[i].epoch <= points[i - 1].epoch;
  fig.x.resize(points.size());
  double offset = 0;
  for (size_t s = 0; s < stages.size(); ++s) {
    if (fig.renumbered && s > 0) offset = fig.x[stages[s - 1].last] - points[stages[s].first].epoch + 1;
    for (size_t i = stages[s].first; i <= stages[s].last; ++i) fig.x[i] = points[i].epoch + offset;
    if (s > 0) fig.stage_boundaries.push_back((fig.x[stages[s - 1].last] + fig.x[stages[s].first]) / 2);
  }

  const std::vector<Series> loss_series = {{"train loss", &CurvePoint::train_loss, 1.0, kTrainColour, false, false, ""},
                                           {"val loss", &CurvePoint::val_loss, 1.0, kValColour, true, false, ""}};
  const std::vector<Series> accuracy_series = {
      {"train top-1", &CurvePoint::train_top1, 100.0, kTrainColour, false, true, " %"},
      {"val top-1", &CurvePoint::val_top1, 100.0, kValColour, true, true, " %"}};

  const Fonts fonts;
  const int width = 1600, panel_w = width / 2;
  const int pad = 24, right = 36, bottom = 82;
  std::vector<std::string> title_lines = wrap_text(title, fonts.title, width - 2 * pad);
  const TextMetrics tm = measure("Ag", fonts.title), hm = measure("Ag", fonts.heading);
  const int title_h = int(title_lines.size()) * (tm.ascent + tm.descent + 10);
  const int stage_h =
      stages.size() > 1 ? measure("Ag", fonts.stage).ascent + measure("Ag", fonts.stage).descent + 4 : 0;
  const int top = pad + title_h + 14 + hm.ascent + hm.descent + 8 + stage_h + 6;
  const int plot_h = 470;
  const int height = top + plot_h + bottom;

  const double x_first = fig.x.front(), x_last = fig.x.back();
  const double x_margin = std::max(0.5, 0.03 * (x_last - x_first));
  auto make_axes = [&](int panel, std::pair<double, double> y_range) {
    PanelAxes ax;
    // Room left of the frame for the tick labels and the rotated axis label.
    const TextMetrics am = measure("Ag", fonts.axis);
    const int left = std::max(100, 9 + widest_label(value_ticks(y_range.first, y_range.second), fonts.tick) + 12 +
                                       am.ascent + am.descent + 16);
    ax.area = cv::Rect(panel * panel_w + left, top, panel_w - left - right, plot_h);
    ax.x_min = x_first - x_margin, ax.x_max = x_last + x_margin;
    ax.y_min = y_range.first, ax.y_max = y_range.second;
    return ax;
  };
  fig.loss = make_axes(0, value_range(points, loss_series, 1e-3, {0.0, 1.0}));
  // Accuracy stays near [0, 100] %: a margin past either end, no more.
  const auto acc = value_range(points, accuracy_series, 1.0, {0.0, 100.0});
  fig.accuracy = make_axes(1, {std::max(-4.0, acc.first), std::min(104.0, acc.second)});

  fig.image = cv::Mat(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  int y = pad;
  for (const auto& line : title_lines) {
    draw_text(fig.image, line, {width / 2.0, double(y)}, fonts.title, kBlack, HAlign::Center, VAlign::Top);
    y += tm.ascent + tm.descent + 10;
  }
  const std::string x_label = fig.renumbered ? "epoch (counted on across stages)" : "epoch";
  Panel(fig.image, fig.loss, fonts, points, fig.x, stages)
      .draw("Loss", x_label, "loss", loss_series, fig.stage_boundaries);
  Panel(fig.image, fig.accuracy, fonts, points, fig.x, stages)
      .draw("Top-1 accuracy", x_label, "top-1 accuracy (%)", accuracy_series, fig.stage_boundaries);
  return fig;
}

void write_learning_curves_png(const std::string& path, const std::vector<CurvePoint>& points,
                               const std::string& title) {
  write_image(path, render_learning_curves(points, title).image);
}

}  // namespace genre::report
