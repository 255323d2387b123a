// The confusion matrix as a heat map: rows = true class, columns = predicted,
// cells coloured (viridis) by the fraction of the row's true class, class
// names on both axes, a title, the overall figures, a colour bar with its
// scale, and the counts in the cells while they are big enough to read.
// Classes with no samples and no predictions are left out (the picture says
// which); a class predicted but absent from the labels keeps a grey row.
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "report/metrics.h"

namespace genre::report {

struct ConfusionFigure {
  cv::Mat image;               // BGR, CV_8UC3
  std::vector<int64_t> shown;  // class index of each drawn row/column
  cv::Rect matrix;             // the cells, in image pixels
  int cell = 0;                // cell side, pixels
  bool counts_printed = false;
  bool labels_drawn = false;  // false only for very many classes
};

// Throws std::invalid_argument on a name count mismatch or more than 1000
// classes to draw (the CSV has the matrix then).
ConfusionFigure render_confusion(const ClassificationMetrics& m, const std::vector<std::string>& names,
                                 const std::string& title);

// render_confusion written as PNG. Throws std::runtime_error naming the path
// when it cannot be written.
void write_confusion_png(const std::string& path, const ClassificationMetrics& m, const std::vector<std::string>& names,
                         const std::string& title);

// Writes `image` to `path` (format from the extension); std::runtime_error naming the path on failure.
void write_image(const std::string& path, const cv::Mat& image);

}  // namespace genre::report
