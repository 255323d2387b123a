#include "report/metrics.h"

#include <algorithm>
#include <stdexcept>

namespace genre::report {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument("evaluate: " + what); }

// Position of `label` when the row is sorted by descending score, ties by
// ascending class index: 0 means it is the arg max.
int64_t rank_of(const float* row, int64_t classes, int64_t label) {
  const float p = row[label];
  int64_t rank = 0;
  for (int64_t j = 0; j < classes; ++j)
    if (row[j] > p || (row[j] == p && j < label)) ++rank;
  return rank;
}

int64_t arg_max(const float* row, int64_t classes) {
  int64_t best = 0;
  for (int64_t j = 1; j < classes; ++j)
    if (row[j] > row[best]) best = j;
  return best;
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

ClassificationMetrics evaluate(const float* probs, int64_t n, int64_t classes, const int64_t* labels) {
  if (classes < 1) fail("classes must be at least 1, got " + std::to_string(classes));
  if (n < 0) fail("negative sample count " + std::to_string(n));
  if (n > 0 && (!probs || !labels)) fail("null probs or labels with " + std::to_string(n) + " samples");

  ClassificationMetrics m;
  m.samples = n;
  m.classes = classes;
  m.top5_k = std::min<int64_t>(5, classes);
  const size_t c = size_t(classes);
  m.support.assign(c, 0);
  m.predicted.assign(c, 0);
  m.confusion.assign(c, std::vector<int64_t>(c, 0));

  int64_t top1_hits = 0, topk_hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = probs + i * classes;
    const int64_t label = labels[i];
    if (label < 0 || label >= classes)
      fail("label " + std::to_string(label) + " of sample " + std::to_string(i) + " is out of range [0, " +
           std::to_string(classes) + ")");
    for (int64_t j = 0; j < classes; ++j)
      if (!std::isfinite(row[j]))
        fail("score of sample " + std::to_string(i) + ", class " + std::to_string(j) + " is not finite (" +
             std::to_string(row[j]) + ")");
    const int64_t pred = arg_max(row, classes);
    ++m.support[size_t(label)];
    ++m.predicted[size_t(pred)];
    ++m.confusion[size_t(label)][size_t(pred)];
    if (pred == label) ++top1_hits;
    if (rank_of(row, classes, label) < m.top5_k) ++topk_hits;
  }

  m.top1 = n ? double(top1_hits) / double(n) : NAN;
  m.top5 = n ? double(topk_hits) / double(n) : NAN;

  m.per_class_accuracy.assign(c, NAN);
  m.per_class_f1.assign(c, NAN);
  double f1_sum = 0;
  int64_t f1_classes = 0;
  for (size_t k = 0; k < c; ++k) {
    const int64_t tp = m.confusion[k][k];
    const int64_t fn = m.support[k] - tp;
    const int64_t fp = m.predicted[k] - tp;
    if (m.support[k] > 0) m.per_class_accuracy[k] = double(tp) / double(m.support[k]);
    // A class in labels ∪ predictions always has 2tp + fp + fn > 0; this is
    // sklearn's F1 including its zero_division=0 cases (tp = 0 -> F1 = 0).
    if (m.support[k] > 0 || m.predicted[k] > 0) {
      m.per_class_f1[k] = 2.0 * double(tp) / double(2 * tp + fp + fn);
      f1_sum += m.per_class_f1[k];
      ++f1_classes;
    }
  }
  m.macro_f1 = f1_classes ? f1_sum / double(f1_classes) : NAN;
  return m;
}

void check_names(const ClassificationMetrics& m, const std::vector<std::string>& names, const char* caller) {
  if (int64_t(names.size()) != m.classes)
    throw std::invalid_argument(std::string(caller) + ": " + std::to_string(names.size()) + " class names for " +
                                std::to_string(m.classes) + " classes");
  const size_t c = size_t(m.classes);
  bool sized = m.support.size() == c && m.predicted.size() == c && m.per_class_accuracy.size() == c &&
               m.per_class_f1.size() == c && m.confusion.size() == c;
  for (const auto& row : m.confusion) sized = sized && row.size() == c;
  if (!sized)
    throw std::invalid_argument(std::string(caller) + ": metrics are not sized for " + std::to_string(m.classes) +
                                " classes (not made by evaluate?)");
}

nlohmann::json to_json(const ClassificationMetrics& m, const std::vector<std::string>& names) {
  check_names(m, names, "to_json");
  nlohmann::json per_class = nlohmann::json::array();
  for (size_t k = 0; k < names.size(); ++k) {
    per_class.push_back({{"index", k},
                         {"name", names[k]},
                         {"support", m.support[k]},
                         {"predicted", m.predicted[k]},
                         {"accuracy", number_or_null(m.per_class_accuracy[k])},
                         {"f1", number_or_null(m.per_class_f1[k])}});
  }
  return {{"samples", m.samples},
          {"classes", m.classes},
          {"top1", number_or_null(m.top1)},
          {"top5", number_or_null(m.top5)},
          {"top5_k", m.top5_k},
          {"macro_f1", number_or_null(m.macro_f1)},
          {"mean_loss", number_or_null(m.mean_loss)},
          {"per_class", per_class}};
}

}  // namespace genre::report
