#include "report/hierarchy_metrics.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "report/grouping.h"
#include "report/markdown.h"

namespace genre::report {

namespace {

int64_t arg_max(const float* p, int64_t classes) { return std::max_element(p, p + classes) - p; }

VerdictStats stats_of(const std::vector<int64_t>& verdicts, const std::vector<int64_t>& macro_verdicts,
                      const taxonomy::GenreTree& tree, const int64_t* labels) {
  VerdictStats s;
  s.samples = static_cast<int64_t>(verdicts.size());
  s.distance_histogram.assign(static_cast<size_t>(tree.max_distance()) + 1, 0);
  int64_t right = 0, mistake_distance = 0, with_macro = 0, agreeing = 0;
  for (size_t i = 0; i < verdicts.size(); ++i) {
    const int d = tree.distance(static_cast<int>(labels[i]), static_cast<int>(verdicts[i]));
    ++s.distance_histogram[static_cast<size_t>(d)];
    if (d == 0)
      ++right;
    else
      ++s.mistakes, mistake_distance += d;
    const int macro = tree.macro_of(static_cast<int>(verdicts[i]));
    if (macro >= 0) ++with_macro, agreeing += macro_verdicts[i] == macro;
  }
  const double n = static_cast<double>(s.samples);
  s.top1 = s.samples ? static_cast<double>(right) / n : NAN;
  s.mean_mistake_distance = s.mistakes ? static_cast<double>(mistake_distance) / static_cast<double>(s.mistakes) : NAN;
  s.mean_distance = s.samples ? static_cast<double>(mistake_distance) / n : NAN;
  s.level_agreement = with_macro ? static_cast<double>(agreeing) / static_cast<double>(with_macro) : NAN;
  return s;
}

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json stats_json(const VerdictStats& s) {
  return {{"samples", s.samples},
          {"mistakes", s.mistakes},
          {"top1", number(s.top1)},
          {"mean_mistake_distance", number(s.mean_mistake_distance)},
          {"mean_distance", number(s.mean_distance)},
          {"level_agreement", number(s.level_agreement)},
          {"distance_histogram", s.distance_histogram}};
}

std::string fixed(double v, int digits) { return std::isfinite(v) ? format_fixed(v, digits) : "n/a"; }

}  // namespace

HierarchyReport hierarchy_report(const float* fine_probs, const float* macro_probs, int64_t n,
                                 const taxonomy::GenreTree& tree, const int64_t* labels) {
  const int64_t fine = tree.fine_classes(), macro = tree.macro_classes();
  for (int64_t i = 0; i < n; ++i)
    if (labels[i] < 0 || labels[i] >= fine)
      throw std::invalid_argument("hierarchy report: sample " + std::to_string(i) + " has label " +
                                  std::to_string(labels[i]) + " outside [0, " + std::to_string(fine) + ")");
  std::vector<float> summed;
  if (!macro_probs && macro > 0) {
    summed = sum_to_parents(fine_probs, n, fine, tree.fine_to_macro(), macro);
    macro_probs = summed.data();
  }
  std::vector<int64_t> argmax, argmax_macro, crm, crm_macro;
  int64_t changed = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* p = fine_probs + i * fine;
    argmax.push_back(arg_max(p, fine));
    argmax_macro.push_back(macro > 0 ? arg_max(macro_probs + i * macro, macro) : -1);
    crm.push_back(tree.min_risk_class(p));
    crm_macro.push_back(tree.macro_of(static_cast<int>(crm.back())));
    changed += crm.back() != argmax.back();
  }
  HierarchyReport r;
  r.argmax = stats_of(argmax, argmax_macro, tree, labels);
  r.crm = stats_of(crm, crm_macro, tree, labels);
  r.crm_changed = n ? static_cast<double>(changed) / static_cast<double>(n) : NAN;
  r.max_distance = tree.max_distance();
  return r;
}

nlohmann::json to_json(const HierarchyReport& r) {
  return {{"max_distance", r.max_distance},
          {"crm_changed", number(r.crm_changed)},
          {"argmax", stats_json(r.argmax)},
          {"crm", stats_json(r.crm)}};
}

std::string markdown_hierarchy(const HierarchyReport& r, const std::string& title) {
  std::ostringstream md;
  md << "### " << title << ": the genre tree\n\n"
     << "Distances count the edges between two genres in the tree (siblings 2, different macrogenres "
     << r.max_distance << " at most). CRM picks the genre of least expected distance; it changed "
     << format_percent(r.crm_changed) << " of the verdicts.\n\n"
     << "| decoding | top-1 | mean distance of mistakes | mean distance | levels agree |\n|---|---|---|---|---|\n";
  for (const auto& [name, s] : {std::pair<const char*, const VerdictStats&>{"arg max", r.argmax}, {"CRM", r.crm}})
    md << "| " << name << " | " << format_percent(s.top1) << " | " << fixed(s.mean_mistake_distance, 2) << " | "
       << fixed(s.mean_distance, 3) << " | " << format_percent(s.level_agreement) << " |\n";
  md << "\n";
  return md.str();
}

}  // namespace genre::report
