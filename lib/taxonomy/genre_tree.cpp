#include "taxonomy/genre_tree.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace genre::taxonomy {

namespace {

// Node ids: fine classes 0..F-1, macro classes F..F+M-1, the root F+M, then a group of its own
// for each top fine class without a macrogenre (F+M+1+f): such a class is as far from every other
// macrogenre's genres as they are from each other, not nearer to all of them (which would make it
// conditional-risk decoding's safe answer whenever a model is unsure).
struct Nodes {
  std::vector<int> parent, depth;
};

Nodes build_nodes(const std::vector<int>& fine_to_macro, const std::vector<int>& fine_parent, int macro_classes) {
  const int fine = static_cast<int>(fine_to_macro.size()), root = fine + macro_classes;
  Nodes n;
  n.parent.assign(static_cast<size_t>(root + 1 + fine), root);
  n.parent[static_cast<size_t>(root)] = -1;
  for (int f = 0; f < fine; ++f) {
    const int p = fine_parent.empty() ? -1 : fine_parent[static_cast<size_t>(f)];
    const int macro = fine_to_macro[static_cast<size_t>(f)];
    n.parent[static_cast<size_t>(f)] = p >= 0 ? p : macro >= 0 ? fine + macro : root + 1 + f;
  }
  n.depth.assign(n.parent.size(), -1);
  n.depth[static_cast<size_t>(root)] = 0;
  for (size_t v = 0; v < n.parent.size(); ++v) {
    std::vector<size_t> path;
    size_t u = v;
    while (n.depth[u] < 0) {
      if (path.size() > n.parent.size())
        throw std::invalid_argument("genre tree: fine class " + std::to_string(v) + " is its own ancestor");
      path.push_back(u);
      u = static_cast<size_t>(n.parent[u]);
    }
    for (auto it = path.rbegin(); it != path.rend(); ++it) n.depth[*it] = n.depth[static_cast<size_t>(n.parent[*it])] + 1;
  }
  return n;
}

int edges_between(const Nodes& n, int a, int b) {
  int d = 0;
  while (a != b) {
    if (n.depth[static_cast<size_t>(a)] >= n.depth[static_cast<size_t>(b)])
      a = n.parent[static_cast<size_t>(a)];
    else
      b = n.parent[static_cast<size_t>(b)];
    ++d;
  }
  return d;
}

}  // namespace

GenreTree::GenreTree(std::vector<int> fine_to_macro, std::vector<int> fine_parent, int macro_classes)
    : fine_to_macro_(std::move(fine_to_macro)), fine_parent_(std::move(fine_parent)), macro_classes_(macro_classes) {
  const int fine = static_cast<int>(fine_to_macro_.size());
  if (macro_classes_ < 0) throw std::invalid_argument("genre tree: negative macro class count");
  if (fine_parent_.empty()) fine_parent_.assign(fine_to_macro_.size(), -1);
  if (fine_parent_.size() != fine_to_macro_.size())
    throw std::invalid_argument("genre tree: " + std::to_string(fine_parent_.size()) + " fine parents for " +
                                std::to_string(fine) + " fine classes");
  for (int f = 0; f < fine; ++f) {
    const int m = fine_to_macro_[static_cast<size_t>(f)], p = fine_parent_[static_cast<size_t>(f)];
    if (m < -1 || m >= macro_classes_)
      throw std::invalid_argument("genre tree: fine class " + std::to_string(f) + " has macro index " +
                                  std::to_string(m) + " outside [-1, " + std::to_string(macro_classes_) + ")");
    if (p < -1 || p >= fine || p == f)
      throw std::invalid_argument("genre tree: fine class " + std::to_string(f) + " has parent " + std::to_string(p));
    if (p >= 0 && fine_to_macro_[static_cast<size_t>(p)] != m)
      throw std::invalid_argument("genre tree: fine class " + std::to_string(f) + " hangs under fine class " +
                                  std::to_string(p) + " of another macrogenre");
  }
  const Nodes nodes = build_nodes(fine_to_macro_, fine_parent_, macro_classes_);
  distance_.resize(static_cast<size_t>(fine) * static_cast<size_t>(fine));
  for (int a = 0; a < fine; ++a)
    for (int b = 0; b < fine; ++b) {
      const int d = edges_between(nodes, a, b);
      distance_[static_cast<size_t>(a) * static_cast<size_t>(fine) + static_cast<size_t>(b)] = d;
      max_distance_ = std::max(max_distance_, d);
    }
}

int GenreTree::min_risk_class(const float* probs) const {
  const size_t fine = fine_to_macro_.size();
  int best = 0;
  double best_risk = 0;
  for (size_t j = 0; j < fine; ++j) {
    double risk = 0;
    for (size_t i = 0; i < fine; ++i) risk += static_cast<double>(probs[i]) * distance_[i * fine + j];
    if (j == 0 || risk < best_risk) best = static_cast<int>(j), best_risk = risk;
  }
  return best;
}

nlohmann::json GenreTree::to_json() const { return {{"fine_parent", fine_parent_}}; }

GenreTree GenreTree::from_json(const nlohmann::json& j, std::vector<int> fine_to_macro, int macro_classes,
                               const std::string& origin) {
  std::vector<int> parents;
  if (!j.is_null()) {
    if (!j.is_object() || !j.contains("fine_parent") || !j.at("fine_parent").is_array())
      throw std::invalid_argument(origin + ": genre_tree must be {\"fine_parent\": [...]}");
    for (const nlohmann::json& v : j.at("fine_parent")) {
      if (!v.is_number_integer()) throw std::invalid_argument(origin + ": genre_tree.fine_parent holds a non-integer");
      const int64_t p = v.get<int64_t>();
      if (p < -1 || p > static_cast<int64_t>(fine_to_macro.size()))
        throw std::invalid_argument(origin + ": genre_tree.fine_parent holds " + std::to_string(p));
      parents.push_back(static_cast<int>(p));
    }
  }
  try {
    return GenreTree(std::move(fine_to_macro), std::move(parents), macro_classes);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(origin + ": " + e.what());
  }
}

std::vector<int> fine_parents_from_fma(const std::vector<int>& fma_ids, const std::vector<int>& fine_to_macro,
                                       const std::vector<std::pair<int, int>>& fma_parent) {
  const std::map<int, int> parent_of(fma_parent.begin(), fma_parent.end());
  std::map<int, int> class_of_id;
  for (size_t f = 0; f < fma_ids.size(); ++f)
    if (fma_ids[f] > 0) class_of_id.emplace(fma_ids[f], static_cast<int>(f));
  std::vector<int> parents(fma_ids.size(), -1);
  for (size_t f = 0; f < fma_ids.size(); ++f) {
    if (fma_ids[f] <= 0) continue;
    int id = fma_ids[f];
    for (size_t steps = 0; steps <= parent_of.size(); ++steps) {  // bounded: a cyclic table ends the walk
      const auto up = parent_of.find(id);
      if (up == parent_of.end() || up->second <= 0) break;
      id = up->second;
      const auto cls = class_of_id.find(id);
      if (cls != class_of_id.end() && fine_to_macro[static_cast<size_t>(cls->second)] == fine_to_macro[f] &&
          cls->second != static_cast<int>(f)) {
        parents[f] = cls->second;
        break;
      }
    }
  }
  return parents;
}

}  // namespace genre::taxonomy
