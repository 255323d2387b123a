#include "train/class_saliency.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cstring>

#include "image/specresize_parameters.h"
#include "infer/gradient_saliency.h"
#include "infer/saliency_frames.h"
#include "loader/batch_loader.h"
#include "report/confusion_png.h"
#include "report/saliency_png.h"

namespace genre::train {

using nlohmann::json;

namespace {

// The images' axes: rows (unflipped: row 0 = the lowest band) at the centre frequency of
// the mel band they sample, columns over the window's time span. Empty row_hz when the
// preprocessing does not say how long a window is.
report::SpectrogramAxes image_axes(const json& preprocessing, int64_t height, int64_t width) {
  report::SpectrogramAxes axes;
  const std::vector<double> band_hz = infer::mel_band_hz(preprocessing);
  const json& spec = preprocessing.at(image::specresize_param::kRecordName);
  const json& mel = preprocessing.at("genre/melspec-params");
  const double frames = spec.value(image::specresize_param::kWindowFrames, 0.0) > 0
                            ? spec.value(image::specresize_param::kWindowFrames, 0.0)
                            : spec.value(image::specresize_param::kMaxFrames, 0.0);
  const double frame_seconds = mel.value("hop-length", 0.0) / std::max(1.0, mel.value("sample-rate", 0.0));
  if (frames <= 0 || frame_seconds <= 0) return axes;
  axes.column_seconds = frames * frame_seconds / double(width);
  const double n = double(band_hz.size());
  for (int64_t r = 0; r < height; ++r) {  // row r samples band position (r + 0.5) * n / height - 0.5
    const double b = std::clamp((r + 0.5) * n / double(height) - 0.5, 0.0, n - 1);
    const size_t lo = size_t(b), hi = std::min(lo + 1, band_hz.size() - 1);
    axes.row_hz.push_back(band_hz[lo] + (band_hz[hi] - band_hz[lo]) * (b - double(lo)));
  }
  return axes;
}

// Evenly spread picks of at most `max` of each class's samples, in sample order.
SampleList capped_per_class(const SampleList& test, size_t classes, size_t max) {
  std::vector<SampleList> by_class(classes);
  for (const loader::SampleInfo* s : test)
    if (s->fine >= 0 && size_t(s->fine) < classes) by_class[size_t(s->fine)].push_back(s);
  SampleList out;
  for (const SampleList& c : by_class)
    for (size_t i = 0; i < std::min(max, c.size()); ++i) out.push_back(c[i * c.size() / std::min(max, c.size())]);
  return out;
}

// Row r of `m` (H x W, image rows) moved so that row 0 is the lowest band.
cv::Mat unflipped(cv::Mat m, bool low_freq_at_bottom) {
  if (low_freq_at_bottom) cv::flip(m, m, 0);
  return m;
}

}  // namespace

json write_class_saliency(torch::jit::Module& module, const TrainingData& data, const SampleList& test,
                          const ComputeDevice& device, const std::string& dir, const std::string& png_name,
                          const std::string& title) {
  const int64_t c = data.input_shape[0], h = data.input_shape[1], w = data.input_shape[2];
  report::SpectrogramAxes axes;
  try {
    axes = image_axes(data.preprocessing, h, w);
  } catch (const std::exception& e) {  // a dataset made without melspec/specresize records
    return {{"skipped", std::string("the preprocessing does not say where the image's bands lie: ") + e.what()}};
  }
  if (axes.row_hz.empty()) return {{"skipped", "the preprocessing records no window length to put seconds on the maps"}};
  const size_t classes = data.classes.fine.size();
  const SampleList picked = capped_per_class(test, classes, kMaxSamplesPerClass);
  if (picked.empty()) return {{"skipped", "no test samples with a fine class"}};
  const bool flip = data.preprocessing.at(image::specresize_param::kRecordName).value("low-freq-at", "top") == "bottom";

  std::vector<cv::Mat> heat(classes), image(classes);
  std::vector<int64_t> count(classes, 0);
  for (size_t k = 0; k < classes; ++k) heat[k] = cv::Mat::zeros(int(h), int(w), CV_32F), image[k] = heat[k].clone();
  loader::LoaderOptions options;
  options.batch_size = 16;
  options.workers = 0;
  loader::BatchLoader batches(*data.reader, picked, options);
  while (auto b = batches.next()) {
    const at::Tensor x = batch_to_device(b->images, {b->size, c, h, w}, device);
    const at::Tensor maps = infer::gradient_saliency(module, x, b->fine);
    for (int64_t i = 0; i < b->size; ++i) {
      const size_t k = size_t(b->fine[size_t(i)]);
      heat[k] += cv::Mat(int(h), int(w), CV_32F, maps[i].data_ptr<float>());
      image[k] += cv::Mat(int(h), int(w), CV_32F, b->images.data() + size_t(i * c * h * w));  // channel 0
      ++count[k];
    }
    batches.recycle(std::move(*b));
  }
  std::vector<report::HeatPanel> panels;
  json per_class = json::object();
  double top = 0;
  for (size_t k = 0; k < classes; ++k) {
    per_class[data.classes.fine[k].name] = count[k];
    if (count[k] == 0) continue;
    report::HeatPanel p;
    p.title = data.classes.fine[k].name + " (" + std::to_string(count[k]) + ")";
    p.heat = unflipped(heat[k] / double(count[k]), flip);
    p.background = unflipped(image[k] / double(count[k]), flip);
    double lo = 0, hi = 0;
    cv::minMaxLoc(p.heat, &lo, &hi);
    top = std::max(top, hi);
    panels.push_back(std::move(p));
  }
  report::HeatScale scale{top > 0 ? top : 1.0, "mean |d score / d input|"};
  const report::HeatFigure figure = report::render_heat_grid(
      panels, axes, scale, title,
      "Per fine class: the mean gradient saliency of the class's own score over its test samples (count in "
      "brackets, at most " + std::to_string(kMaxSamplesPerClass) + "), over the class's mean input image in grey. "
      "One colour scale for every panel.");
  report::write_image(dir + "/" + png_name, figure.image);
  return {{"png", png_name}, {"method", "gradient saliency |d logit / d input|, max over channels, class mean"},
          {"samples_per_class", per_class}, {"max_samples_per_class", kMaxSamplesPerClass}, {"scale_max", scale.max}};
}

}  // namespace genre::train
