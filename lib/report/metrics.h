// Classification metrics of a genre classifier on one split: top-1/top-k
// accuracy, macro-F1 (scikit-learn's definition), per-class recall and the
// confusion matrix, from plain score arrays. Used by genre-train's report.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace genre::report {

struct ClassificationMetrics {
  int64_t samples = 0;
  int64_t classes = 0;
  double top1 = 0, top5 = 0;  // fractions in [0,1]; NaN when samples == 0
  int64_t top5_k = 0;         // the k top5 was measured with: min(5, classes)
  // Mean F1 over the classes present in labels ∪ predictions, as
  // sklearn.metrics.f1_score(average="macro") with its default label set.
  double macro_f1 = 0;
  double mean_loss = NAN;                       // optional, filled by the caller
  std::vector<int64_t> support;                 // per class: samples with that true label
  std::vector<int64_t> predicted;               // per class: samples predicted as it
  std::vector<double> per_class_accuracy;       // per class: recall (NaN where support == 0)
  std::vector<double> per_class_f1;             // NaN where the class is in neither labels nor predictions
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
};

// `probs` is [n][classes] row-major: probabilities or any scores (only their
// order matters). The prediction is the arg max; ties go to the lowest class
// index (numpy's argmax), and top-k ranks ties the same way. n == 0 gives
// NaN accuracies and F1. Throws std::invalid_argument on classes < 1, n < 0,
// a label outside [0, classes) or a non-finite score, naming the sample.
ClassificationMetrics evaluate(const float* probs, int64_t n, int64_t classes, const int64_t* labels);

// {"samples","classes","top1","top5","top5_k","macro_f1","mean_loss",
//  "per_class":[{"index","name","support","predicted","accuracy","f1"}]};
// NaN values are null. Throws std::invalid_argument when names.size() != classes.
nlohmann::json to_json(const ClassificationMetrics& m, const std::vector<std::string>& names);

// Throws std::invalid_argument unless there is one name per class and every
// per-class vector is sized for m.classes (as evaluate makes them).
void check_names(const ClassificationMetrics& m, const std::vector<std::string>& names, const char* caller);

}  // namespace genre::report
