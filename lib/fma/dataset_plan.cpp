#include "fma/dataset_plan.h"

#include "fma/prng.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

namespace genre::fma {

LabelPolicy parse_label_policy(const std::string& s) {
  if (s == "single") return LabelPolicy::Single;
  if (s == "multi") return LabelPolicy::Multi;
  throw std::invalid_argument("unknown label policy \"" + s + "\" (single or multi)");
}

SplitPolicy parse_split_policy(const std::string& s) {
  if (s == "official") return SplitPolicy::Official;
  if (s == "stratified") return SplitPolicy::Stratified;
  throw std::invalid_argument("unknown split policy \"" + s + "\" (official or stratified)");
}

FineCount parse_fine_count(const std::string& s) {
  if (s == "primary") return FineCount::Primary;
  if (s == "any") return FineCount::Any;
  throw std::invalid_argument("unknown fine-count rule \"" + s + "\" (primary or any)");
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

// Candidate genres of a track in label order: own genres, then the ancestors
// genres_all adds.
std::vector<int> candidates(const Track& t) {
  std::vector<int> out = t.genres;
  for (int g : t.genres_all)
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
  return out;
}

}  // namespace

DatasetPlan build_plan(const std::vector<Track>& tracks, const GenreTable& genres, const MacroMap& macros,
                       const PlanOptions& options) {
  if (options.fine_min_tracks < 1) throw std::invalid_argument("fine-min-tracks must be at least 1");
  if (options.train_fraction < 0 || options.val_fraction < 0 || options.train_fraction + options.val_fraction > 1)
    throw std::invalid_argument("split fractions must be non-negative and sum to at most 1");
  DatasetPlan plan;
  PlanReport& rep = plan.report;
  rep.tracks_in_metadata = tracks.size();

  std::vector<const Track*> chosen;
  for (const auto& t : tracks)
    if (track_in_subset(t, options.subset)) chosen.push_back(&t);
  std::sort(chosen.begin(), chosen.end(), [](const Track* a, const Track* b) { return a->id < b->id; });
  rep.tracks_in_subset = chosen.size();

  // Fine class set.
  std::map<int, size_t> count;
  for (const Track* t : chosen) {
    if (t->genres.empty()) continue;
    if (options.fine_count == FineCount::Primary) {
      ++count[t->genres.front()];
    } else {
      for (int g : std::set<int>(t->genres.begin(), t->genres.end())) ++count[g];
    }
  }
  taxonomy::Taxonomy& tax = plan.taxonomy;
  std::map<int, int> fine_of_genre;
  for (const auto& [gid, n] : count) {
    if (n < static_cast<size_t>(options.fine_min_tracks)) continue;
    const Genre* g = genres.find(gid);
    if (!g) throw std::runtime_error("track genre " + std::to_string(gid) + " is not in genres.csv");
    const int idx = static_cast<int>(tax.fine.size());
    fine_of_genre[gid] = idx;
    tax.fine.push_back({idx, g->title, gid});
    auto m = macros.genre_to_macro.find(gid);
    tax.fine_to_macro.push_back(m == macros.genre_to_macro.end() ? -1 : m->second);
  }
  for (size_t i = 0; i < macros.names.size(); ++i)
    tax.macro.push_back({static_cast<int>(i), macros.names[i], macros.fma_ids[i]});
  tax.validate("FMA taxonomy (" + macros.source + ")");

  // Labels.
  std::vector<TrackPlan> labelled;
  std::vector<const Track*> labelled_src;
  for (const Track* t : chosen) {
    TrackPlan p;
    p.track_id = t->id;
    const std::vector<int> cand = candidates(*t);
    for (size_t i = 0; i < cand.size(); ++i) {
      auto it = fine_of_genre.find(cand[i]);
      if (it == fine_of_genre.end()) continue;
      if (p.fine < 0) {
        p.fine = it->second;
        p.via_ancestor = i >= t->genres.size();
      }
      if (std::find(p.fine_all.begin(), p.fine_all.end(), it->second) == p.fine_all.end())
        p.fine_all.push_back(it->second);
      if (options.labels == LabelPolicy::Single) break;
    }
    if (p.fine < 0) {
      ++rep.outside_taxonomy;
      rep.outside_track_ids.push_back(t->id);
      if (t->genres.empty()) ++rep.no_genre;
      else ++rep.outside_by_genre[t->genres.front()];
      continue;
    }
    p.macro = tax.fine_to_macro[static_cast<size_t>(p.fine)];
    if (options.split == SplitPolicy::Official) {
      auto s = dataset_split_name(t->split);
      if (!s) {
        ++rep.no_split;
        rep.no_split_track_ids.push_back(t->id);
        continue;
      }
      p.split = *s;
    }
    labelled.push_back(std::move(p));
    labelled_src.push_back(t);
  }

  if (options.split == SplitPolicy::Stratified) {
    std::map<int, std::vector<size_t>> by_class;  // fine index -> positions in `labelled` (ascending id)
    for (size_t i = 0; i < labelled.size(); ++i) by_class[labelled[i].fine].push_back(i);
    for (auto& [fine, members] : by_class) {
      Xoshiro256 rng(mix_seed(options.seed, static_cast<uint64_t>(tax.fine[static_cast<size_t>(fine)].fma_genre_id)));
      for (size_t i = members.size(); i > 1; --i) std::swap(members[i - 1], members[rng.bounded(i)]);
      size_t n_train, n_val, n_test;
      stratified_counts(members.size(), options.train_fraction, options.val_fraction, n_train, n_val, n_test);
      for (size_t k = 0; k < members.size(); ++k)
        labelled[members[k]].split = k < n_train ? "train" : k < n_train + n_val ? "val" : "test";
    }
  }

  for (auto& p : labelled) {
    ++rep.labelled;
    if (p.via_ancestor) ++rep.via_ancestor;
    if (p.macro < 0) {
      ++rep.no_macro;
      ++rep.no_macro_by_genre[tax.fine[static_cast<size_t>(p.fine)].fma_genre_id];
    } else {
      ++rep.macro_counts[p.split][p.macro];
    }
    ++rep.fine_counts[p.split][p.fine];
  }
  plan.tracks = std::move(labelled);
  return plan;
}

}  // namespace genre::fma
