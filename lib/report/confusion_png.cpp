#include "report/confusion_png.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/atomic_file.h"
#include "report/markdown.h"
#include "report/plot_canvas.h"

namespace genre::report {
namespace {

using namespace plot;

constexpr size_t kMaxDrawnClasses = 1000;
constexpr size_t kMaxLabelChars = 28;
constexpr size_t kMaxListedOmissions = 8;
constexpr int kMinWidth = 720;
constexpr char kKeep = '\x1f';  // a space that wrap_text does not break at

std::string keep_together(std::string s) {
  std::replace(s.begin(), s.end(), ' ', kKeep);
  return s;
}

// Cells shrink with the class count so that ~110 classes still make a
// ~3000 px figure; beyond ~136 classes they shrink further and labels go
// once they would be unreadable.
int cell_size(size_t k) {
  if (k <= 3) return int(240 / k);  // room for the axis titles beside a tiny matrix
  if (k <= 20) return 72;
  if (k <= 136) return std::max(22, int(1500 / k));
  return std::max(2, int(3000 / k));
}

std::vector<std::string> figure_notes(const ClassificationMetrics& m, const std::vector<std::string>& names,
                                      const std::vector<int64_t>& shown, const std::vector<int64_t>& omitted,
                                      bool grey_rows, bool counts, bool labels) {
  std::vector<std::string> notes;
  const std::string classes =
      omitted.empty() ? std::to_string(m.classes) + (m.classes == 1 ? " class" : " classes")
                      : std::to_string(shown.size()) + " of " + std::to_string(m.classes) + " classes shown";
  // Wrapping may break between the figures, never inside one.
  std::vector<std::string> items = {std::to_string(m.samples) + " samples, " + classes,
                                    "top-1 " + format_percent(m.top1, 1)};
  if (m.top5_k > 1) items.push_back("top-" + std::to_string(m.top5_k) + " " + format_percent(m.top5, 1));
  items.push_back("macro-F1 " + format_fixed(m.macro_f1, 3));
  std::string figures;
  for (size_t i = 0; i < items.size(); ++i)
    figures += keep_together(items[i] + (i + 1 < items.size() ? " |" : "")) + " ";
  notes.push_back(figures);
  notes.push_back("Colour: fraction of the row's true class predicted as each column (diagonal = recall).");
  if (!labels)
    notes.push_back("Too many classes for names: rows and columns are in class-index order; see the confusion CSV.");
  else
    notes.push_back(counts ? "Numbers: sample counts (blank = 0)."
                           : "Too many classes to print counts: see the confusion CSV.");
  if (!omitted.empty()) {
    std::string list;
    for (size_t i = 0; i < omitted.size() && i < kMaxListedOmissions; ++i)
      list += (i ? ", " : "") + names[size_t(omitted[i])];
    if (omitted.size() > kMaxListedOmissions)
      list += " and " + std::to_string(omitted.size() - kMaxListedOmissions) + " more";
    notes.push_back("Not shown: " + std::to_string(omitted.size()) + (omitted.size() == 1 ? " class" : " classes") +
                    " with no samples and no predictions (" + list + ").");
  }
  if (grey_rows) notes.push_back("Grey rows: classes that were predicted but have no samples.");
  return notes;
}

}  // namespace

ConfusionFigure render_confusion(const ClassificationMetrics& m, const std::vector<std::string>& names,
                                 const std::string& title) {
  check_names(m, names, "write_confusion_png");
  ConfusionFigure fig;
  std::vector<int64_t> omitted;
  for (int64_t k = 0; k < m.classes; ++k)
    (m.support[size_t(k)] > 0 || m.predicted[size_t(k)] > 0 ? fig.shown : omitted).push_back(k);
  if (fig.shown.empty()) {  // no samples at all: still draw every class, empty
    omitted.clear();
    for (int64_t k = 0; k < m.classes; ++k) fig.shown.push_back(k);
  }
  if (fig.shown.size() > kMaxDrawnClasses)
    throw std::invalid_argument("write_confusion_png: " + std::to_string(fig.shown.size()) +
                                " classes are too many to draw (at most " + std::to_string(kMaxDrawnClasses) +
                                "); the confusion CSV holds the matrix");

  const int k = int(fig.shown.size());
  const int c = fig.cell = cell_size(fig.shown.size());
  const int side = k * c;
  const double label_scale = std::min(0.7, c * 0.025);
  fig.labels_drawn = label_scale >= 0.3;
  const double big = std::clamp(side / 900.0, 1.0, 1.3);  // text grows a little with the figure
  const Font label{cv::FONT_HERSHEY_SIMPLEX, label_scale, 1};
  const Font axis{cv::FONT_HERSHEY_SIMPLEX, 0.75 * big, big > 1.15 ? 2 : 1};
  const Font note{cv::FONT_HERSHEY_SIMPLEX, 0.55 * big, 1};
  const Font heading{cv::FONT_HERSHEY_DUPLEX, 0.95 * big, big > 1.15 ? 2 : 1};
  const Font tick{cv::FONT_HERSHEY_SIMPLEX, std::max(0.5, std::min(0.6, label_scale)) * big, 1};
  const int pad = int(24 * big);

  int64_t max_count = 0;
  bool grey_rows = false;
  for (int64_t t : fig.shown) {
    grey_rows = grey_rows || m.support[size_t(t)] == 0;
    for (int64_t p : fig.shown) max_count = std::max(max_count, m.confusion[size_t(t)][size_t(p)]);
  }
  // Counts as big as fits the cell, not bigger than the labels; too small to read -> none.
  const TextMetrics count_at_1 = measure(std::to_string(max_count), Font{cv::FONT_HERSHEY_SIMPLEX, 1.0, 1});
  const double count_scale =
      std::min({label_scale, (c - 10.0) / std::max(1, count_at_1.width), c * 0.4 / std::max(1, count_at_1.ascent)});
  fig.counts_printed = count_scale >= 0.45;
  const Font count{cv::FONT_HERSHEY_SIMPLEX, count_scale, 1};

  std::vector<std::string> labels;
  int label_w = 0;
  for (int64_t t : fig.shown) {
    labels.push_back(printable(ellipsize_middle(names[size_t(t)], kMaxLabelChars)));
    label_w = std::max(label_w, measure(labels.back(), label).width);
  }
  if (!fig.labels_drawn) label_w = 0;

  // Column labels: flat when they fit a cell, angled for a few classes, upright for many.
  const double angle = label_w <= c - 6 ? 0.0 : k <= 24 ? 45.0 : 90.0;
  const HAlign col_h = angle == 0.0 ? HAlign::Center : HAlign::Right;
  const VAlign col_v = angle == 0.0 ? VAlign::Top : VAlign::Middle;
  double col_left = 0, col_bottom = 0;  // extent of the column labels around the matrix's bottom-left corner
  if (fig.labels_drawn)
    for (int j = 0; j < k; ++j) {
      const cv::Rect2d e = text_extent(labels[size_t(j)], label, col_h, col_v, angle);
      col_left = std::min(col_left, c * (j + 0.5) + e.x);
      col_bottom = std::max(col_bottom, e.y + e.height);
    }
  const int tick_len = 4, label_gap = 8;
  // Big matrices repeat the names above and to the right: a cell far from the
  // bottom-left labels can still be read.
  const bool four_sides = fig.labels_drawn && k > 40;
  const HAlign top_h = angle == 0.0 ? HAlign::Center : HAlign::Left;
  const VAlign top_v = angle == 0.0 ? VAlign::Bottom : VAlign::Middle;
  double col_top = 0;  // extent of the top labels above the matrix (negative)
  if (four_sides)
    for (int j = 0; j < k; ++j)
      col_top = std::min(col_top, text_extent(labels[size_t(j)], label, top_h, top_v, angle).y);

  const TextMetrics axis_m = measure("Ag", axis);
  const int axis_h = axis_m.ascent + axis_m.descent;
  const int x0 = std::max(pad + axis_h + 14 + label_w + label_gap, int(std::ceil(pad + label_gap - col_left)));
  const int right_labels_w = four_sides ? tick_len + label_gap + label_w : 0;
  const int bar_x = x0 + side + right_labels_w + int(30 * big), bar_w = int(22 * big);
  const int tick_label_w = measure("1.0", tick).width;
  const int bar_title_x = bar_x + bar_w + 6 + tick_label_w + 14;
  const int width = std::max(bar_title_x + axis_h + pad, kMinWidth);

  const int text_width = width - 2 * pad;
  std::vector<std::string> title_lines = wrap_text(title, heading, text_width);
  std::vector<std::string> note_lines;
  for (const auto& n : figure_notes(m, names, fig.shown, omitted, grey_rows, fig.counts_printed, fig.labels_drawn))
    for (auto& line : wrap_text(n, note, text_width, kKeep)) note_lines.push_back(line);
  const TextMetrics head_m = measure("Ag", heading), note_m = measure("Ag", note);
  const int head_line = head_m.ascent + head_m.descent + int(10 * big);
  const int note_line = note_m.ascent + note_m.descent + int(8 * big);
  const int top_labels_h = four_sides ? int(std::ceil(-col_top)) + tick_len + label_gap : 0;
  const int y0 = pad + int(title_lines.size()) * head_line + int(6 * big) + int(note_lines.size()) * note_line +
                 int(18 * big) + top_labels_h;
  const int col_label_top = y0 + side + tick_len + label_gap - 4;
  const int x_title_y = col_label_top + int(std::ceil(col_bottom)) + int(14 * big);
  const std::string bar_title = "fraction of the true class";
  const int bar_h = std::max(side, measure(bar_title, axis).width + 30);
  const int height = std::max(x_title_y + axis_h, y0 + bar_h) + pad;

  fig.matrix = cv::Rect(x0, y0, side, side);
  fig.image = cv::Mat(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::Mat& img = fig.image;

  int y = pad;
  for (const auto& line : title_lines) {
    draw_text(img, line, {width / 2.0, double(y)}, heading, kBlack, HAlign::Center, VAlign::Top);
    y += head_line;
  }
  y += int(6 * big);
  for (const auto& line : note_lines) {
    draw_text(img, line, {width / 2.0, double(y)}, note, kDarkGrey, HAlign::Center, VAlign::Top);
    y += note_line;
  }

  for (int i = 0; i < k; ++i) {
    const size_t t = size_t(fig.shown[size_t(i)]);
    const int64_t support = m.support[t];
    for (int j = 0; j < k; ++j) {
      const int64_t n = m.confusion[t][size_t(fig.shown[size_t(j)])];
      const cv::Scalar colour = support > 0 ? viridis(double(n) / double(support)) : kLightGrey;
      const cv::Rect cell(x0 + j * c, y0 + i * c, c, c);
      cv::rectangle(img, cell, colour, cv::FILLED);
      if (fig.counts_printed && n > 0)
        draw_text(img, std::to_string(n), {cell.x + c / 2.0, cell.y + c / 2.0}, count,
                  luminance(colour) > 0.45 ? kBlack : kWhite, HAlign::Center, VAlign::Middle);
    }
  }
  // Thin white gaps keep rows and columns apart once cells are small.
  if (c >= 12)
    for (int i = 1; i < k; ++i) {
      cv::line(img, {x0 + i * c, y0}, {x0 + i * c, y0 + side - 1}, kWhite, 1);
      cv::line(img, {x0, y0 + i * c}, {x0 + side - 1, y0 + i * c}, kWhite, 1);
    }
  cv::rectangle(img, cv::Rect(x0 - 1, y0 - 1, side + 2, side + 2), kDarkGrey, 1);

  if (fig.labels_drawn)
    for (int i = 0; i < k; ++i) {
      const double centre = c * (i + 0.5);
      const cv::Scalar ink = m.support[size_t(fig.shown[size_t(i)])] > 0 ? kBlack : kGrey;
      cv::line(img, cv::Point2d(x0 - 1 - tick_len, y0 + centre), cv::Point2d(x0 - 1, y0 + centre), kDarkGrey, 1);
      draw_text(img, labels[size_t(i)], {double(x0 - label_gap), y0 + centre}, label, ink, HAlign::Right,
                VAlign::Middle);
      cv::line(img, cv::Point2d(x0 + centre, y0 + side), cv::Point2d(x0 + centre, y0 + side + tick_len), kDarkGrey, 1);
      draw_text(img, labels[size_t(i)], {x0 + centre, double(col_label_top)}, label, kBlack, col_h, col_v, angle);
      if (!four_sides) continue;
      cv::line(img, cv::Point2d(x0 + side, y0 + centre), cv::Point2d(x0 + side + tick_len, y0 + centre), kDarkGrey, 1);
      draw_text(img, labels[size_t(i)], {double(x0 + side + tick_len + label_gap), y0 + centre}, label, ink,
                HAlign::Left, VAlign::Middle);
      cv::line(img, cv::Point2d(x0 + centre, y0 - 1), cv::Point2d(x0 + centre, y0 - 1 - tick_len), kDarkGrey, 1);
      draw_text(img, labels[size_t(i)], {x0 + centre, double(y0 - 1 - tick_len - 4)}, label, kBlack, top_h, top_v,
                angle);
    }
  draw_text(img, "Predicted class", {x0 + side / 2.0, double(x_title_y)}, axis, kBlack, HAlign::Center, VAlign::Top);
  draw_text(img, "True class", {double(pad), y0 + side / 2.0}, axis, kBlack, HAlign::Center, VAlign::Top, 90);

  // Colour bar: 1 at the top, 0 at the bottom, as tall as the matrix (or its title).
  for (int r = 0; r < bar_h; ++r)
    cv::line(img, {bar_x, y0 + r}, {bar_x + bar_w - 1, y0 + r}, viridis(1.0 - (r + 0.5) / bar_h), 1);
  cv::rectangle(img, cv::Rect(bar_x - 1, y0 - 1, bar_w + 2, bar_h + 2), kDarkGrey, 1);
  const std::vector<double> ticks = nice_ticks(0.0, 1.0, std::clamp(bar_h / 45, 2, 6));
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
  for (double v : ticks) {
    const double ty = y0 + (1.0 - v) * (bar_h - 1);
    cv::line(img, cv::Point2d(bar_x + bar_w, ty), cv::Point2d(bar_x + bar_w + 5, ty), kDarkGrey, 1);
    draw_text(img, format_tick(v, step), {double(bar_x + bar_w + 8), ty}, tick, kBlack, HAlign::Left, VAlign::Middle);
  }
  draw_text(img, bar_title, {double(bar_title_x), y0 + bar_h / 2.0}, axis, kBlack, HAlign::Center, VAlign::Top, 90);
  return fig;
}

void write_image(const std::string& path, const cv::Mat& image) {
  // Encoded in memory, then lib/base's atomic write: a full disk or a missing
  // directory is reported with errno's text, and no half image is left.
  const std::size_t dot = path.rfind('.');
  const std::size_t slash = path.rfind('/');
  std::vector<uchar> bytes;
  bool ok = false;
  std::string why = "no image format for its extension";
  try {
    ok = dot != std::string::npos && (slash == std::string::npos || dot > slash) &&
         cv::imencode(path.substr(dot), image, bytes);
  } catch (const cv::Exception& e) {
    why = e.what();
  }
  if (!ok) throw std::runtime_error("cannot write " + path + ": " + why);
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void write_confusion_png(const std::string& path, const ClassificationMetrics& m, const std::vector<std::string>& names,
                         const std::string& title) {
  write_image(path, render_confusion(m, names, title).image);
}

}  // namespace genre::report
