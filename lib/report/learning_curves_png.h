// Learning curves of a training run as one PNG: a loss panel (train and val)
// and a top-1 accuracy panel (val, and train where given) against epoch, with
// ticks, axis labels, legends, a title, and each change of training stage
// ("macro" then "fine") marked by a dashed vertical line with the stage names.
#pragma once

#include <opencv2/core.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace genre::report {

struct CurvePoint {
  int epoch = 0;
  std::string stage;        // e.g. "macro", "fine"; "" for a single-stage run
  double train_loss = NAN;  // NaN where absent
  double val_loss = NAN;
  double val_top1 = NAN;  // fraction in [0,1]
  double train_top1 = NAN;
};

// One panel's data-to-pixel mapping.
struct PanelAxes {
  cv::Rect area;                // plot frame in image pixels
  double x_min = 0, x_max = 1;  // data range along the frame
  double y_min = 0, y_max = 1;
  cv::Point2d at(double x, double y) const;
};

struct CurvesFigure {
  cv::Mat image;                         // BGR, CV_8UC3
  PanelAxes loss;                        // y in loss units
  PanelAxes accuracy;                    // y in percent
  std::vector<double> x;                 // x position of each point
  std::vector<double> stage_boundaries;  // x of each dashed stage line
  bool renumbered = false;               // epochs restarted at a stage: x counts on across stages
};

// Points in training order. Epochs either increase throughout, or restart at
// each new stage (then x counts on: fine epoch 1 follows macro's last).
// Throws std::invalid_argument on no points or epochs that do not increase
// within a stage.
CurvesFigure render_learning_curves(const std::vector<CurvePoint>& points, const std::string& title);

// render_learning_curves written as PNG; std::runtime_error naming the path when it cannot be written.
void write_learning_curves_png(const std::string& path, const std::vector<CurvePoint>& points,
                               const std::string& title);

}  // namespace genre::report
