#include "fma/dataset_plan.h"

#include "fma/conversion.h"

#include <algorithm>
#include <cmath>
#include <map>
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

void assign_fma_identity(TrackPlan& t, int track_id) {
  t.track_id = track_id;
  t.key = track_key(track_id);
  t.id = std::to_string(track_id);
  t.rel_path = audio_relative_path(track_id);
  t.job_hash = static_cast<uint64_t>(track_id);
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
  if (options.split == SplitPolicy::Official && options.split_group != SplitGroup::None)
    throw std::invalid_argument("a split group applies to the stratified split only, not FMA's official one");
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
    assign_fma_identity(p, t->id);
    p.artist = t->artist;
    p.album = t->album;
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
    SplitInput in;
    for (const auto& c : tax.fine) in.class_stream.push_back(static_cast<uint64_t>(c.fma_genre_id));
    for (const auto& p : labelled) {
      in.fine.push_back(p.fine);
      if (options.split_group == SplitGroup::Artist) in.group.push_back(p.artist.empty() ? "" : "artist " + p.artist);
      if (options.split_group == SplitGroup::Album) in.group.push_back(p.album.empty() ? "" : "album " + p.album);
    }
    const std::vector<std::string> split =
        stratified_split(in, options.seed, options.train_fraction, options.val_fraction);
    for (size_t i = 0; i < labelled.size(); ++i) labelled[i].split = split[i];
  }
  plan.split_group = options.split == SplitPolicy::Stratified ? options.split_group : SplitGroup::None;

  for (auto& p : labelled) {
    if (p.via_ancestor) ++rep.via_ancestor;
    count_labelled(rep, p, tax);
  }
  plan.tracks = std::move(labelled);
  return plan;
}

void count_labelled(PlanReport& rep, const TrackPlan& p, const taxonomy::Taxonomy& tax) {
  ++rep.labelled;
  if (p.macro < 0) {
    ++rep.no_macro;
    ++rep.no_macro_by_genre[tax.fine[static_cast<size_t>(p.fine)].fma_genre_id];
  } else {
    ++rep.macro_counts[p.split][p.macro];
  }
  ++rep.fine_counts[p.split][p.fine];
}

std::vector<std::string> split_coverage_warnings(const DatasetPlan& plan) {
  std::vector<std::string> out;
  std::map<std::string, std::set<int>> classes_in;
  std::map<std::string, size_t> tracks_in;
  for (const TrackPlan& t : plan.tracks) {
    ++tracks_in[t.split];
    classes_in[t.split].insert(t.fine);
  }
  for (const char* split : {"train", "val", "test"}) {
    if (!tracks_in.count(split)) {
      out.push_back(std::string("split '") + split + "' gets no tracks (" + std::to_string(plan.tracks.size()) +
                    " tracks in " + std::to_string(plan.taxonomy.fine.size()) +
                    " classes are too few): training without it has no " +
                    (std::string(split) == "train" ? "training data" : std::string(split) + " figures"));
      continue;
    }
    std::vector<std::string> missing;
    for (const auto& c : plan.taxonomy.fine)
      if (!classes_in[split].count(c.index)) missing.push_back(c.name);
    if (missing.empty()) continue;
    std::string names;
    for (size_t i = 0; i < missing.size() && i < 5; ++i) names += (i ? ", " : "") + missing[i];
    if (missing.size() > 5) names += " and " + std::to_string(missing.size() - 5) + " more";
    out.push_back(std::to_string(missing.size()) + " of " + std::to_string(plan.taxonomy.fine.size()) +
                  " fine classes have no tracks in split '" + split + "': " + names);
  }
  return out;
}

}  // namespace genre::fma
