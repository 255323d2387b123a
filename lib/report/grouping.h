// Turning window-level scores into the scores a report is about: one row per
// track (windowed datasets) and coarse classes from fine ones (macrogenres).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace genre::report {

struct Grouped {
  std::vector<float> probs;         // [groups.size()][classes], row-major
  std::vector<int64_t> labels;      // one per group
  std::vector<std::string> groups;  // group ids in first-seen order
};

// Mean of the windows' scores per group id (e.g. the track id of each window).
// Every window of a group must carry the same label. Throws
// std::invalid_argument on a size mismatch, a label out of range or a group
// whose windows disagree (naming the group, both labels and both samples).
Grouped mean_by_group(const float* probs, int64_t n, int64_t classes, const int64_t* labels,
                      const std::vector<std::string>& group_of_sample);

// [n][coarse_classes]: each coarse score is the sum of its fine classes'
// scores; fine_to_coarse[i] == -1 drops fine class i. Throws
// std::invalid_argument when fine_to_coarse is not one entry per fine class
// or names a coarse index outside [-1, coarse_classes).
std::vector<float> sum_to_parents(const float* probs, int64_t n, int64_t fine_classes,
                                  const std::vector<int>& fine_to_coarse, int64_t coarse_classes);

// Labels mapped the same way; throws std::invalid_argument for a label out of
// range or one whose fine class has no parent (-1).
std::vector<int64_t> labels_to_parents(const int64_t* labels, int64_t n, const std::vector<int>& fine_to_coarse);

}  // namespace genre::report
