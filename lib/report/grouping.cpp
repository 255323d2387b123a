#include "report/grouping.h"

#include <stdexcept>
#include <unordered_map>

namespace genre::report {
namespace {

void check_shape(const char* caller, const float* probs, int64_t n, int64_t classes, const void* labels) {
  const std::string who(caller);
  if (classes < 1) throw std::invalid_argument(who + ": classes must be at least 1, got " + std::to_string(classes));
  if (n < 0) throw std::invalid_argument(who + ": negative sample count " + std::to_string(n));
  if (n > 0 && (!probs || !labels))
    throw std::invalid_argument(who + ": null input with " + std::to_string(n) + " samples");
}

void check_label(const char* caller, int64_t label, int64_t sample, int64_t classes) {
  if (label < 0 || label >= classes)
    throw std::invalid_argument(std::string(caller) + ": label " + std::to_string(label) + " of sample " +
                                std::to_string(sample) + " is out of range [0, " + std::to_string(classes) + ")");
}

}  // namespace

Grouped mean_by_group(const float* probs, int64_t n, int64_t classes, const int64_t* labels,
                      const std::vector<std::string>& group_of_sample) {
  check_shape("mean_by_group", probs, n, classes, labels);
  if (int64_t(group_of_sample.size()) != n)
    throw std::invalid_argument("mean_by_group: " + std::to_string(group_of_sample.size()) + " group ids for " +
                                std::to_string(n) + " samples");

  struct Acc {
    size_t index;
    int64_t first_sample;
  };
  std::unordered_map<std::string, Acc> by_id;
  Grouped g;
  std::vector<double> sums;  // doubles: a long track has hundreds of windows
  std::vector<int64_t> counts;
  for (int64_t i = 0; i < n; ++i) {
    check_label("mean_by_group", labels[i], i, classes);
    const std::string& id = group_of_sample[size_t(i)];
    auto [it, inserted] = by_id.try_emplace(id, Acc{g.groups.size(), i});
    Acc& a = it->second;
    if (inserted) {
      g.groups.push_back(id);
      g.labels.push_back(labels[i]);
      sums.resize(sums.size() + size_t(classes), 0.0);
      counts.push_back(0);
    } else if (g.labels[a.index] != labels[i]) {
      throw std::invalid_argument("mean_by_group: group \"" + id + "\" has label " + std::to_string(g.labels[a.index]) +
                                  " at sample " + std::to_string(a.first_sample) + " but label " +
                                  std::to_string(labels[i]) + " at sample " + std::to_string(i));
    }
    double* sum = sums.data() + a.index * size_t(classes);
    const float* row = probs + i * classes;
    for (int64_t j = 0; j < classes; ++j) sum[j] += row[j];
    ++counts[a.index];
  }
  g.probs.resize(sums.size());
  for (size_t k = 0; k < g.groups.size(); ++k)
    for (size_t j = 0; j < size_t(classes); ++j)
      g.probs[k * size_t(classes) + j] = float(sums[k * size_t(classes) + j] / double(counts[k]));
  return g;
}

std::vector<float> sum_to_parents(const float* probs, int64_t n, int64_t fine_classes,
                                  const std::vector<int>& fine_to_coarse, int64_t coarse_classes) {
  check_shape("sum_to_parents", probs, n, fine_classes, probs);
  if (coarse_classes < 1)
    throw std::invalid_argument("sum_to_parents: coarse_classes must be at least 1, got " +
                                std::to_string(coarse_classes));
  if (int64_t(fine_to_coarse.size()) != fine_classes)
    throw std::invalid_argument("sum_to_parents: fine_to_coarse has " + std::to_string(fine_to_coarse.size()) +
                                " entries for " + std::to_string(fine_classes) + " fine classes");
  for (size_t i = 0; i < fine_to_coarse.size(); ++i)
    if (fine_to_coarse[i] < -1 || fine_to_coarse[i] >= coarse_classes)
      throw std::invalid_argument("sum_to_parents: fine class " + std::to_string(i) + " maps to " +
                                  std::to_string(fine_to_coarse[i]) + ", outside [-1, " +
                                  std::to_string(coarse_classes) + ")");
  std::vector<float> out(size_t(n) * size_t(coarse_classes), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    const float* row = probs + i * fine_classes;
    float* dst = out.data() + size_t(i) * size_t(coarse_classes);
    for (int64_t j = 0; j < fine_classes; ++j)
      if (fine_to_coarse[size_t(j)] >= 0) dst[fine_to_coarse[size_t(j)]] += row[j];
  }
  return out;
}

std::vector<int64_t> labels_to_parents(const int64_t* labels, int64_t n, const std::vector<int>& fine_to_coarse) {
  if (n < 0) throw std::invalid_argument("labels_to_parents: negative sample count " + std::to_string(n));
  if (n > 0 && !labels) throw std::invalid_argument("labels_to_parents: null labels");
  const int64_t fine = int64_t(fine_to_coarse.size());
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    check_label("labels_to_parents", labels[i], i, fine);
    const int parent = fine_to_coarse[size_t(labels[i])];
    if (parent < 0)
      throw std::invalid_argument("labels_to_parents: label " + std::to_string(labels[i]) + " of sample " +
                                  std::to_string(i) + " is a fine class with no parent");
    out[size_t(i)] = parent;
  }
  return out;
}

}  // namespace genre::report
