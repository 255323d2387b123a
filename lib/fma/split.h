// The seeded train/val/test split of a dataset's tracks, stratified by fine
// class, optionally group-disjoint (a group's tracks, e.g. one artist's, all
// land in one split). Shared by the FMA and the folder plans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace genre::fma {

// What tracks must stay together in one split: none, the same artist, the same album.
enum class SplitGroup { None, Artist, Album };
SplitGroup parse_split_group(const std::string& s);  // none | artist | album
const char* split_group_name(SplitGroup g);

// Counts per split in the order train, val, test of a stratified allocation of n tracks.
void stratified_counts(size_t n, double train_fraction, double val_fraction, size_t& n_train, size_t& n_val,
                       size_t& n_test);

struct SplitInput {
  std::vector<int> fine;               // each track's fine class index (tracks in plan order)
  std::vector<uint64_t> class_stream;  // per fine class: the id its shuffle is seeded from
  std::vector<std::string> group;      // each track's group; empty vector: no grouping; "" = the track alone
};

// "train" | "val" | "test" for each track. Without groups: per class, its
// tracks in plan order are shuffled with xoshiro256** seeded from (seed,
// class_stream) and the first round(train*n) go to train, round(val*n) to val,
// the rest to test (the FMA reference split). With groups: a group's class is
// its majority class (ties: the lower index); per class its groups, ordered by
// name, shuffled from the same seed, then taken largest first; each whole group
// goes to the split furthest below its track target among those it fits in
// (ties: train, val, test), else to a split with a target that is still
// empty, else to the split it overshoots least relative to its target.
std::vector<std::string> stratified_split(const SplitInput& input, uint64_t seed, double train_fraction,
                                          double val_fraction);

}  // namespace genre::fma
