// The report's class-average explanations: for each fine class, the mean
// gradient saliency (infer/gradient_saliency.h) of that class's own score over
// the class's test samples (at most kMaxSamplesPerClass, spread evenly over
// them), drawn over the class's mean input image, one grid panel per class on
// one shared colour scale (report/saliency_png.h).
#pragma once

#include <torch/script.h>

#include <nlohmann/json.hpp>
#include <string>

#include "train/compute_device.h"
#include "train/training_data.h"

namespace genre::train {

constexpr size_t kMaxSamplesPerClass = 64;

// Writes the grid to dir/png_name and returns report.json's "class_saliency"
// entry: {"png", "method", "samples_per_class": {class: n}, "max_samples_per_class",
// "scale_max"}, or {"skipped": why} when nothing can be drawn (no test samples,
// images whose time span the preprocessing does not record).
nlohmann::json write_class_saliency(torch::jit::Module& module, const TrainingData& data, const SampleList& test,
                                    const ComputeDevice& device, const std::string& dir, const std::string& png_name,
                                    const std::string& title);

}  // namespace genre::train
