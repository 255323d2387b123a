// Pictures of what drove a verdict: a log-mel spectrogram in grey with a heat map
// over it (magma; the more salient, the more opaque), time in seconds on x, mel
// bands labelled by their centre frequency in Hz on y (low bands at the bottom),
// a colour bar for the heat and a title. One file per picture (genre-classify
// --explain) or a grid of panels on one shared scale (genre-train's class averages).
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace genre::report {

// Where a panel's rows and columns lie: rows are mel bands, row 0 the lowest.
struct SpectrogramAxes {
  std::vector<double> row_hz;  // centre frequency of each row's band, increasing; one per row
  double start_seconds = 0;    // time at the left edge of column 0
  double column_seconds = 0;   // time one column stands for (> 0)
};

struct HeatPanel {
  std::string title;
  cv::Mat background;  // CV_32F rows x cols, drawn in grey from its own min (dark) to max (light)
  cv::Mat heat;        // CV_32F, the same size, >= 0; drawn on the figure's scale [0, heat_max]
};

struct HeatScale {
  double max = 1;     // heat at the top of the colour bar (higher values are clipped to it)
  std::string label;  // the colour bar's title
};

struct HeatFigure {
  cv::Mat image;                 // BGR, CV_8UC3
  std::vector<cv::Rect> panels;  // each panel's pixels, in panel order
};

// One panel, a wide figure. `title` is wrapped above it, `note` (what the grey and the
// colours are) in smaller type under the title. Throws std::invalid_argument when the
// panel's matrices or the axes do not match.
HeatFigure render_heat_figure(const HeatPanel& panel, const SpectrogramAxes& axes, const HeatScale& scale,
                           const std::string& title, const std::string& note);

// Panels in a grid (up to `columns` per row), every one on the same axes and scale,
// each with its title above it; one colour bar. Throws std::invalid_argument as above
// or on no panels.
HeatFigure render_heat_grid(const std::vector<HeatPanel>& panels, const SpectrogramAxes& axes, const HeatScale& scale,
                         const std::string& title, const std::string& note, int columns = 4);

// The opaque colour the figures draw heat `v` (a fraction of the scale's max, clipped
// to [0, 1]) with over background grey `grey` (0..1), BGR: the colour bar shows it over
// mid grey.
cv::Vec3b heat_over_grey(double v, double grey);

}  // namespace genre::report
