// Groups of classes found from data (genre-train --macro auto): a similarity between fine
// classes made from a model's confusion, and average-linkage agglomerative clustering of it.
#pragma once

#include <vector>

namespace genre::taxonomy {

// The similarity of n classes from a confusion matrix (row-major n x n; rows: true class,
// columns: what the model answered, as counts or mean probabilities): each row normalised to
// sum 1 (P[i][j]: the share of class i's tracks taken for j), then S = (P + P^T) / 2. The
// diagonal is 0 (a class's own hits say nothing about its neighbours). Throws
// std::invalid_argument for a matrix that is not n x n, a negative or non-finite entry, or a row
// that sums to 0 (naming the row: a class the confusion has no sample of).
std::vector<double> confusion_similarity(const std::vector<double>& confusion, int n);

// Average-linkage agglomerative clustering of n items into k clusters by a symmetric similarity
// (row-major n x n; the diagonal is ignored): starting from singletons, merge the two clusters
// whose mean pairwise similarity is highest until k remain; ties merge the pair whose lowest
// items come first. Returns each item's cluster, clusters numbered by their lowest item (item 0
// is in cluster 0). Throws std::invalid_argument for k outside [1, n] or a matrix that is not n x n.
std::vector<int> average_linkage_clusters(const std::vector<double>& similarity, int n, int k);

}  // namespace genre::taxonomy
