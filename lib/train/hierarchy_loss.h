// The hierarchy-aware losses of genre-train (pipelines/hierarchy.md, "Hierarchy-aware training"):
//
// --loss tree: cross-entropy against a soft target that spreads mass over the true genre's
//   relatives by their tree distance, q(j | y) ∝ exp(-d(y, j) / T) for the genres j under the
//   same macrogenre as y (or the same top fine ancestor, for a genre without one), 0 for the
//   rest. A genre of another macrogenre gets no mass: every such mistake is equally far, and a
//   uniform share of mass for them is label smoothing, which stays a knob of its own. So a flat
//   tree, or T -> 0, is plain cross-entropy; label smoothing and mixup mix these targets as they
//   mix one-hot ones.
// --fn-weight W (bce): the positive term of each class's loss multiplied by W on top of
//   --pos-weight, so a missed label costs W times a false alarm.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "taxonomy/genre_tree.h"

namespace genre::train {

// [C, C] float: row y is q(. | y). Throws std::invalid_argument for T <= 0 (not finite).
at::Tensor tree_soft_targets(const taxonomy::GenreTree& tree, double temperature);

// Whether the targets spread any mass (false: every row is one-hot, the loss is plain CE).
bool spreads_mass(const at::Tensor& soft_targets);

// Mean over the samples with a label >= 0 of -sum_j t_j log softmax(z)_j, where t is row
// labels[i] of `soft_targets` smoothed like torch's label smoothing: (1 - s) t + s / C.
// With one-hot rows it equals at::cross_entropy_loss(z, labels, {}, Mean, -1, s).
at::Tensor soft_target_cross_entropy(const at::Tensor& logits, const at::Tensor& labels,
                                     const at::Tensor& soft_targets, double smoothing);

// bce's pos_weight per class from the training labels: `mode` inverse = negatives/positives
// (torch's recommendation; 1 for a class without positives), log-inverse = its log1p, none = 1;
// times fn_weight. Empty when mode is none and fn_weight is 1 (bce without pos_weight).
std::vector<float> bce_positive_weights(const std::vector<double>& positives, double samples, const std::string& mode,
                                        double fn_weight);

}  // namespace genre::train
