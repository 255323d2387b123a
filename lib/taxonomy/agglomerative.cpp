#include "taxonomy/agglomerative.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace genre::taxonomy {

namespace {

void check_square(const std::vector<double>& m, int n, const char* what) {
  if (n < 1 || m.size() != static_cast<size_t>(n) * static_cast<size_t>(n))
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(m.size()) + " values are not a " +
                                std::to_string(n) + " x " + std::to_string(n) + " matrix");
}

}  // namespace

std::vector<double> confusion_similarity(const std::vector<double>& confusion, int n) {
  check_square(confusion, n, "confusion matrix");
  const size_t N = static_cast<size_t>(n);
  std::vector<double> p(N * N);
  for (size_t i = 0; i < N; ++i) {
    double sum = 0;
    for (size_t j = 0; j < N; ++j) {
      const double v = confusion[i * N + j];
      if (!std::isfinite(v) || v < 0)
        throw std::invalid_argument("confusion matrix: entry [" + std::to_string(i) + "][" + std::to_string(j) +
                                    "] is " + std::to_string(v));
      sum += v;
    }
    if (sum <= 0) throw std::invalid_argument("confusion matrix: row " + std::to_string(i) + " is empty (no sample of that class)");
    for (size_t j = 0; j < N; ++j) p[i * N + j] = confusion[i * N + j] / sum;
  }
  std::vector<double> s(N * N, 0.0);
  for (size_t i = 0; i < N; ++i)
    for (size_t j = 0; j < N; ++j)
      if (i != j) s[i * N + j] = 0.5 * (p[i * N + j] + p[j * N + i]);
  return s;
}

std::vector<int> average_linkage_clusters(const std::vector<double>& similarity, int n, int k) {
  check_square(similarity, n, "similarity matrix");
  if (k < 1 || k > n)
    throw std::invalid_argument("cannot make " + std::to_string(k) + " clusters of " + std::to_string(n) + " items");
  const size_t N = static_cast<size_t>(n);
  // members[c]: items of cluster c in ascending order (empty once merged away); the lowest item
  // of a cluster is members[c][0], and clusters stay in the order of their lowest items.
  std::vector<std::vector<int>> members(N);
  for (size_t i = 0; i < N; ++i) members[i] = {static_cast<int>(i)};
  // link[a][b]: the sum of similarities between the items of a and b (mean = sum / (|a| |b|)).
  std::vector<double> link(similarity);
  for (int clusters = n; clusters > k; --clusters) {
    size_t best_a = 0, best_b = 0;
    double best = -INFINITY;
    for (size_t a = 0; a < N; ++a) {
      if (members[a].empty()) continue;
      for (size_t b = a + 1; b < N; ++b) {
        if (members[b].empty()) continue;
        const double mean = link[a * N + b] / static_cast<double>(members[a].size() * members[b].size());
        if (mean > best) best = mean, best_a = a, best_b = b;  // strict: ties keep the earlier pair
      }
    }
    for (size_t c = 0; c < N; ++c) {  // average linkage: sums add up
      link[best_a * N + c] += link[best_b * N + c];
      link[c * N + best_a] = link[best_a * N + c];
    }
    members[best_a].insert(members[best_a].end(), members[best_b].begin(), members[best_b].end());
    members[best_b].clear();
  }
  std::vector<int> cluster_of(N, -1);
  int next = 0;
  for (size_t c = 0; c < N; ++c) {
    if (members[c].empty()) continue;
    for (int item : members[c]) cluster_of[static_cast<size_t>(item)] = next;
    ++next;
  }
  return cluster_of;
}

}  // namespace genre::taxonomy
