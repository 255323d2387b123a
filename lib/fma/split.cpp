#include "fma/split.h"

#include "base/prng.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace genre::fma {

SplitGroup parse_split_group(const std::string& s) {
  if (s == "none") return SplitGroup::None;
  if (s == "artist") return SplitGroup::Artist;
  if (s == "album") return SplitGroup::Album;
  throw std::invalid_argument("unknown split group \"" + s + "\" (none, artist or album)");
}

const char* split_group_name(SplitGroup g) {
  switch (g) {
    case SplitGroup::None: return "none";
    case SplitGroup::Artist: return "artist";
    case SplitGroup::Album: return "album";
  }
  return "?";
}

void stratified_counts(size_t n, double train_fraction, double val_fraction, size_t& n_train, size_t& n_val,
                       size_t& n_test) {
  n_train = static_cast<size_t>(std::floor(train_fraction * static_cast<double>(n) + 0.5));
  n_train = std::min(n_train, n);
  n_val = static_cast<size_t>(std::floor(val_fraction * static_cast<double>(n) + 0.5));
  n_val = std::min(n_val, n - n_train);
  n_test = n - n_train - n_val;
}

namespace {

const char* const kSplitNames[3] = {"train", "val", "test"};

struct Group {
  std::string name;
  std::vector<size_t> members;  // track positions, ascending
  int fine = -1;                // majority class
};

void check_input(const SplitInput& in) {
  if (!in.group.empty() && in.group.size() != in.fine.size())
    throw std::invalid_argument("stratified_split: one group per track expected");
  for (int f : in.fine)
    if (f < 0 || static_cast<size_t>(f) >= in.class_stream.size())
      throw std::invalid_argument("stratified_split: fine class " + std::to_string(f) + " has no stream id");
}

std::vector<Group> make_groups(const SplitInput& in) {
  std::map<std::string, size_t> index;  // group name -> position in `groups`
  std::vector<Group> groups;
  for (size_t i = 0; i < in.fine.size(); ++i) {
    // A track without a group is its own group; '\x01' keeps the name apart from real ones.
    const std::string name = in.group[i].empty() ? "\x01" + std::to_string(i) : in.group[i];
    auto [it, added] = index.emplace(name, groups.size());
    if (added) groups.push_back({name, {}, -1});
    groups[it->second].members.push_back(i);
  }
  for (Group& g : groups) {
    std::map<int, size_t> votes;
    for (size_t i : g.members) ++votes[in.fine[i]];
    size_t best = 0;
    for (auto& [f, n] : votes)
      if (n > best) best = n, g.fine = f;  // ascending class order: ties keep the lower index
  }
  std::sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) { return a.name < b.name; });
  return groups;
}

}  // namespace

std::vector<std::string> stratified_split(const SplitInput& in, uint64_t seed, double train_fraction,
                                          double val_fraction) {
  check_input(in);
  std::vector<std::string> split(in.fine.size());
  if (in.group.empty()) {
    std::map<int, std::vector<size_t>> by_class;  // fine index -> track positions (plan order)
    for (size_t i = 0; i < in.fine.size(); ++i) by_class[in.fine[i]].push_back(i);
    for (auto& [fine, members] : by_class) {
      Xoshiro256 rng(mix_seed(seed, in.class_stream[static_cast<size_t>(fine)]));
      for (size_t i = members.size(); i > 1; --i) std::swap(members[i - 1], members[rng.bounded(i)]);
      size_t n_train, n_val, n_test;
      stratified_counts(members.size(), train_fraction, val_fraction, n_train, n_val, n_test);
      for (size_t k = 0; k < members.size(); ++k)
        split[members[k]] = k < n_train ? "train" : k < n_train + n_val ? "val" : "test";
    }
    return split;
  }

  std::vector<Group> groups = make_groups(in);
  std::map<int, std::vector<const Group*>> by_class;  // majority class -> groups by name
  for (const Group& g : groups) by_class[g.fine].push_back(&g);
  for (auto& [fine, list] : by_class) {
    Xoshiro256 rng(mix_seed(seed, in.class_stream[static_cast<size_t>(fine)]));
    for (size_t i = list.size(); i > 1; --i) std::swap(list[i - 1], list[rng.bounded(i)]);
    std::stable_sort(list.begin(), list.end(),
                     [](const Group* a, const Group* b) { return a->members.size() > b->members.size(); });
    size_t n = 0;
    for (const Group* g : list) n += g->members.size();
    size_t target[3], have[3] = {0, 0, 0};
    stratified_counts(n, train_fraction, val_fraction, target[0], target[1], target[2]);
    for (const Group* g : list) {
      const size_t size = g->members.size();
      int best = -1;
      for (int sp = 0; sp < 3; ++sp)  // where it fits: the split furthest below its target
        if (have[sp] + size <= target[sp] && (best < 0 || target[sp] - have[sp] > target[best] - have[best])) best = sp;
      for (int sp = 0; best < 0 && sp < 3; ++sp)  // else a split still empty that should not be
        if (target[sp] > 0 && have[sp] == 0) best = sp;
      if (best < 0) {  // else the least relative overshoot, (have + size) / target
        for (int sp = 0; sp < 3; ++sp)
          if (target[sp] > 0 && (best < 0 || (have[sp] + size) * target[best] < (have[best] + size) * target[sp]))
            best = sp;
      }
      if (best < 0) best = 0;
      have[best] += g->members.size();
      for (size_t i : g->members) split[i] = kSplitNames[best];
    }
  }
  return split;
}

}  // namespace genre::fma
