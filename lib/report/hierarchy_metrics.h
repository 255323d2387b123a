// What the genre tree says about a classifier's verdicts: how far its mistakes land from the
// true genre (lib/taxonomy's GenreTree distance), whether its macrogenre and fine verdicts agree,
// and the same for conditional-risk (CRM) decoding of the same probabilities. genre-train's
// report "hierarchy" block; genre-classify's --decode crm uses the same tree.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "taxonomy/genre_tree.h"

namespace genre::report {

struct VerdictStats {
  int64_t samples = 0, mistakes = 0;
  double top1 = 0;                   // fractions; NaN when samples == 0
  double mean_mistake_distance = 0;  // mean tree distance of the wrong verdicts; NaN without mistakes
  double mean_distance = 0;          // mean over every verdict (0 for a right one): the expected cost
  // Share of verdicts whose macrogenre verdict is the macrogenre of the fine verdict, among those
  // whose fine verdict has one; NaN where none has (a tree without macrogenres).
  double level_agreement = 0;
  std::vector<int64_t> distance_histogram;  // verdicts at distance 0, 1, ..., max_distance
};

struct HierarchyReport {
  VerdictStats argmax;  // the most probable fine class; macro verdict: the most probable macrogenre
  VerdictStats crm;     // GenreTree::min_risk_class; macro verdict: the fine verdict's macrogenre
  double crm_changed = 0;  // share of samples whose CRM verdict differs from the arg max
  int max_distance = 0;
};

// fine_probs [n][tree.fine_classes()], macro_probs [n][tree.macro_classes()] or nullptr (then the
// fine probabilities summed per macrogenre), labels: fine class per sample. Throws
// std::invalid_argument for a label out of range.
HierarchyReport hierarchy_report(const float* fine_probs, const float* macro_probs, int64_t n,
                                 const taxonomy::GenreTree& tree, const int64_t* labels);

// {"max_distance", "crm_changed", "argmax": {...}, "crm": {...}}, each {"samples", "mistakes", "top1",
// "mean_mistake_distance", "mean_distance", "level_agreement", "distance_histogram"}; NaN is null.
nlohmann::json to_json(const HierarchyReport& r);
// A small markdown table: arg max vs CRM.
std::string markdown_hierarchy(const HierarchyReport& r, const std::string& title);

}  // namespace genre::report
