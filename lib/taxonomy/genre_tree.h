// The genre tree a model's classes form, and what it costs to confuse two of them:
//
//   root -> macrogenre -> fine genre [-> fine genre ...]
//
// A fine class hangs under another fine class when that class is its nearest FMA ancestor in the
// same macrogenre (Indie-Rock under Rock), else under its macrogenre; a class without a
// macrogenre is a group of its own under the root. The cost of answering b for a track of class a is the number of edges between them:
// 0 for the right class, 1 for a parent or child, 2 for siblings, ... and the most for genres of
// different macrogenres. Used by the hierarchy-aware loss (genre-train --loss tree), the
// conditional-risk decoding (genre-classify --decode crm, genreclassify decoding=crm) and the
// reports' mistake distance.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace genre::taxonomy {

class GenreTree {
 public:
  GenreTree() = default;
  // fine_to_macro: each fine class's macro index or -1; fine_parent: each fine class's parent
  // fine class or -1 (empty: none has one). Throws std::invalid_argument naming the class for an
  // index out of range, a parent in another macrogenre, or a cycle.
  GenreTree(std::vector<int> fine_to_macro, std::vector<int> fine_parent, int macro_classes);

  int fine_classes() const { return static_cast<int>(fine_to_macro_.size()); }
  int macro_classes() const { return macro_classes_; }
  int macro_of(int fine) const { return fine_to_macro_.at(static_cast<size_t>(fine)); }
  const std::vector<int>& fine_to_macro() const { return fine_to_macro_; }
  const std::vector<int>& fine_parent() const { return fine_parent_; }
  // Edges between two fine classes (0 when a == b).
  int distance(int a, int b) const { return distance_[static_cast<size_t>(a) * fine_to_macro_.size() + b]; }
  int max_distance() const { return max_distance_; }
  // The fine class with the least expected cost under `probs` (one score per fine class, summing
  // to 1 or not: only ratios matter): argmin_j sum_i p_i distance(i, j), ties to the lowest index.
  // Conditional risk minimisation: a wrong verdict is a near miss, and its macrogenre is the
  // macrogenre of the fine verdict by construction.
  int min_risk_class(const float* probs) const;

  // {"fine_parent": [...]} for bundle.json (fine_to_macro lives in the class lists).
  nlohmann::json to_json() const;
  // Reads to_json()'s form; a missing or null value is a tree without fine parents. Throws
  // std::invalid_argument naming `origin` for a malformed value.
  static GenreTree from_json(const nlohmann::json& j, std::vector<int> fine_to_macro, int macro_classes,
                             const std::string& origin);

 private:
  std::vector<int> fine_to_macro_, fine_parent_;
  int macro_classes_ = 0;
  std::vector<int> distance_;  // [fine][fine]
  int max_distance_ = 0;
};

// fine_parent for classes with FMA genre ids: each class's nearest FMA ancestor (walking
// `fma_parent`, id -> parent id, 0 or absent = top) that is another class of the same macrogenre.
// Classes without an FMA id (-1) get -1.
std::vector<int> fine_parents_from_fma(const std::vector<int>& fma_ids, const std::vector<int>& fine_to_macro,
                                       const std::vector<std::pair<int, int>>& fma_parent);

}  // namespace genre::taxonomy
