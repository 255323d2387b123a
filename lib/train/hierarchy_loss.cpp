#include "train/hierarchy_loss.h"

#include <cmath>
#include <stdexcept>

namespace genre::train {

namespace {

// The child of the root a fine class hangs under: its macrogenre, or (none) its topmost fine
// ancestor, numbered after the macrogenres. Two classes share a non-root ancestor iff equal.
std::vector<int> top_branches(const taxonomy::GenreTree& tree) {
  std::vector<int> top(static_cast<size_t>(tree.fine_classes()));
  for (int c = 0; c < tree.fine_classes(); ++c) {
    if (tree.macro_of(c) >= 0) {
      top[static_cast<size_t>(c)] = tree.macro_of(c);
      continue;
    }
    int a = c;
    const std::vector<int>& parent = tree.fine_parent();
    while (!parent.empty() && parent[static_cast<size_t>(a)] >= 0) a = parent[static_cast<size_t>(a)];
    top[static_cast<size_t>(c)] = tree.macro_classes() + a;
  }
  return top;
}

}  // namespace

at::Tensor tree_soft_targets(const taxonomy::GenreTree& tree, double temperature) {
  if (!(temperature > 0) || !std::isfinite(temperature))
    throw std::invalid_argument("--tree-temperature must be a positive number, got " + std::to_string(temperature));
  const int n = tree.fine_classes();
  const std::vector<int> top = top_branches(tree);
  at::Tensor q = at::zeros({n, n}, at::kDouble);
  double* p = q.data_ptr<double>();
  for (int y = 0; y < n; ++y) {
    double sum = 0;
    for (int j = 0; j < n; ++j) {
      const bool related = j == y || top[static_cast<size_t>(j)] == top[static_cast<size_t>(y)];
      const double w = related ? std::exp(-tree.distance(y, j) / temperature) : 0.0;  // exp(0) = 1 for y itself
      p[y * n + j] = w;
      sum += w;
    }
    for (int j = 0; j < n; ++j) p[y * n + j] /= sum;
  }
  return q.to(at::kFloat);
}

bool spreads_mass(const at::Tensor& soft_targets) {
  return !at::equal(soft_targets, at::eye(soft_targets.size(0), soft_targets.options()));
}

at::Tensor soft_target_cross_entropy(const at::Tensor& logits, const at::Tensor& labels,
                                     const at::Tensor& soft_targets, double smoothing) {
  const at::Tensor valid = labels.ge(0);
  at::Tensor t = soft_targets.index_select(0, labels.clamp_min(0));
  if (smoothing > 0) t = (1 - smoothing) * t + smoothing / static_cast<double>(logits.size(1));
  const at::Tensor per_sample = -(t * at::log_softmax(logits, 1)).sum(1);
  return (per_sample * valid.to(per_sample.scalar_type())).sum() / valid.sum().clamp_min(1).to(per_sample.scalar_type());
}

std::vector<float> bce_positive_weights(const std::vector<double>& positives, double samples, const std::string& mode,
                                        double fn_weight) {
  if (!(fn_weight > 0) || !std::isfinite(fn_weight))
    throw std::invalid_argument("--fn-weight must be a positive number, got " + std::to_string(fn_weight));
  if (mode != "inverse" && mode != "log-inverse" && mode != "none")
    throw std::invalid_argument("unknown --pos-weight '" + mode + "' (inverse, log-inverse, none)");
  if (mode == "none" && fn_weight == 1.0) return {};
  std::vector<float> weights;
  for (double pos : positives) {
    const double ratio = pos > 0 ? (samples - pos) / pos : 1.0;
    const double w = mode == "none" ? 1.0 : mode == "log-inverse" ? std::log1p(ratio) : ratio;
    weights.push_back(static_cast<float>(w * fn_weight));
  }
  return weights;
}

}  // namespace genre::train
