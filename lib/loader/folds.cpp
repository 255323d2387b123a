#include "loader/folds.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include "loader/random_streams.h"

namespace genre::loader {

namespace {

// A fold's validation quota per class: val_fraction of its n_train training tracks (at least
// one, never all), when there are at least two units (tracks, or groups) to split; classes
// ranked by a seeded shuffle for the largest-remainder ties.
std::vector<std::size_t> val_quotas(const std::vector<std::size_t>& sizes, std::size_t n_train, std::size_t units,
                                    double val_fraction, std::uint64_t seed, int f) {
  std::size_t target = 0;
  if (val_fraction > 0 && units >= 2)
    target = std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(val_fraction * double(n_train))), 1,
                                     n_train - 1);
  std::vector<std::size_t> rank(sizes.size());
  for (std::size_t c = 0; c < rank.size(); ++c) rank[c] = c;
  Xoshiro256 tie_rng(stream_seed(seed, Stream::kValCarve, static_cast<std::uint64_t>(f)));
  shuffle_in_place(rank, tie_rng);
  return stratified_quotas(sizes, target, rank);
}

struct Track {
  int fine = -1;  // of the track's first sample: a clip's windows share one label
  int fold = -1;
  bool val = false;  // in the val part of the fold being built
};

void check_arguments(int k, double val_fraction) {
  if (k < 2) throw std::invalid_argument("make_folds: k must be at least 2 (got " + std::to_string(k) + ")");
  if (!(val_fraction >= 0.0 && val_fraction < 1.0))
    throw std::invalid_argument("make_folds: val_fraction must be in [0, 1) (got " + std::to_string(val_fraction) +
                                ")");
}

struct Group {
  std::string name;
  std::size_t tracks = 0;
  int fine = -1;  // majority class of its tracks
  int fold = -1;
  bool val = false;
};

std::vector<Fold> make_group_folds(const std::vector<const SampleInfo*>& samples, int k, double val_fraction,
                                   std::uint64_t seed, FoldGroup grouping) {
  check_arguments(k, val_fraction);
  // track id -> (fine, group name); a track's first sample speaks for it.
  std::map<std::string, std::pair<int, std::string>> tracks;
  for (const SampleInfo* s : samples) {
    if (!s) throw std::invalid_argument("make_folds: null sample pointer");
    const std::string& value = grouping == FoldGroup::Artist ? s->artist : s->album;
    // '\x01' keeps a lone track's group apart from real group values.
    tracks.emplace(s->track_id, std::make_pair(s->fine, value.empty() ? "\x01" + s->track_id : value));
  }
  if (tracks.size() < static_cast<std::size_t>(k))
    throw std::invalid_argument("make_folds: " + std::to_string(tracks.size()) + " tracks cannot fill " +
                                std::to_string(k) + " folds");
  std::map<std::string, Group> groups;
  std::map<std::string, std::map<int, std::size_t>> votes;
  for (const auto& [id, t] : tracks) {
    Group& g = groups[t.second];
    g.name = t.second;
    ++g.tracks;
    ++votes[t.second][t.first];
  }
  if (groups.size() < static_cast<std::size_t>(k))
    throw std::invalid_argument("make_folds: " + std::to_string(groups.size()) + " " + fold_group_name(grouping) +
                                " groups cannot fill " + std::to_string(k) + " folds");
  for (auto& [name, g] : groups) {
    std::size_t best = 0;
    for (const auto& [fine, n] : votes[name])
      if (n > best) best = n, g.fine = fine;  // ascending classes: ties keep the lower one
  }

  std::map<int, std::vector<Group*>> by_class;  // majority class -> groups by name
  for (auto& [name, g] : groups) by_class[g.fine].push_back(&g);
  std::vector<std::map<int, std::size_t>> class_count(static_cast<std::size_t>(k));
  std::vector<std::size_t> total(static_cast<std::size_t>(k), 0);
  for (auto& [fine, list] : by_class) {
    Xoshiro256 rng(stream_seed(seed, Stream::kFoldDeal, static_cast<std::uint64_t>(fine)));
    shuffle_in_place(list, rng);
    std::stable_sort(list.begin(), list.end(), [](const Group* a, const Group* b) { return a->tracks > b->tracks; });
    for (Group* g : list) {
      std::size_t best = 0;
      for (std::size_t f = 1; f < total.size(); ++f) {
        const auto key = [&](std::size_t i) { return std::make_pair(class_count[i][fine], total[i]); };
        if (key(f) < key(best)) best = f;
      }
      g->fold = static_cast<int>(best);
      class_count[best][fine] += g->tracks;
      total[best] += g->tracks;
    }
  }

  std::vector<Fold> folds(static_cast<std::size_t>(k));
  for (int f = 0; f < k; ++f) {
    std::vector<std::vector<Group*>> train_by_class;
    std::vector<std::size_t> sizes;
    std::size_t n_train = 0, n_groups = 0;
    for (const auto& [fine, list] : by_class) {
      std::vector<Group*> kept;
      std::size_t n = 0;
      for (Group* g : list)
        if (g->fold != f) kept.push_back(g), n += g->tracks;
      Xoshiro256 rng(stream_seed(seed, Stream::kValCarve,
                                      mix_seed(static_cast<std::uint64_t>(f), static_cast<std::uint64_t>(fine))));
      shuffle_in_place(kept, rng);
      n_train += n;
      n_groups += kept.size();
      sizes.push_back(n);
      train_by_class.push_back(std::move(kept));
    }
    const std::vector<std::size_t> quota = val_quotas(sizes, n_train, n_groups, val_fraction, seed, f);

    for (auto& [name, g] : groups) g.val = false;
    std::size_t val_groups = 0;
    for (std::size_t c = 0; c < train_by_class.size(); ++c) {
      std::size_t taken = 0;
      for (Group* g : train_by_class[c]) {
        if (taken >= quota[c] || val_groups + 1 >= n_groups) break;
        g->val = true;
        taken += g->tracks;
        ++val_groups;
      }
    }

    Fold& fold = folds[static_cast<std::size_t>(f)];
    for (const SampleInfo* s : samples) {
      const Group& g = groups.at(tracks.at(s->track_id).second);
      if (g.fold == f)
        fold.held_out.push_back(s);
      else if (g.val)
        fold.val.push_back(s);
      else
        fold.train.push_back(s);
    }
  }
  return folds;
}

}  // namespace

std::vector<std::size_t> stratified_quotas(const std::vector<std::size_t>& sizes, std::size_t target,
                                           const std::vector<std::size_t>& rank) {
  std::size_t total = 0;
  for (std::size_t n : sizes) total += n;
  std::vector<std::size_t> quota(sizes.size(), 0);
  if (total == 0 || target == 0) return quota;
  std::size_t given = 0;
  for (std::size_t c = 0; c < sizes.size(); ++c) {
    quota[c] = target * sizes[c] / total;
    given += quota[c];
  }
  std::vector<std::size_t> order(rank);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return (target * sizes[a]) % total > (target * sizes[b]) % total;
  });
  for (std::size_t i = 0; given < target && i < order.size(); ++i) {
    if (quota[order[i]] < sizes[order[i]]) {
      ++quota[order[i]];
      ++given;
    }
  }
  return quota;
}

FoldGroup parse_fold_group(const std::string& name) {
  if (name == "none") return FoldGroup::None;
  if (name == "artist") return FoldGroup::Artist;
  if (name == "album") return FoldGroup::Album;
  throw std::invalid_argument("unknown fold grouping \"" + name + "\" (none, artist or album)");
}

const char* fold_group_name(FoldGroup group) {
  switch (group) {
    case FoldGroup::None: return "none";
    case FoldGroup::Artist: return "artist";
    case FoldGroup::Album: return "album";
  }
  return "?";
}

std::vector<Fold> make_folds(const std::vector<const SampleInfo*>& samples, int k, double val_fraction,
                             std::uint64_t seed, FoldGroup group) {
  if (group == FoldGroup::None) return make_folds(samples, k, val_fraction, seed);
  return make_group_folds(samples, k, val_fraction, seed, group);
}

std::vector<Fold> make_folds(const std::vector<const SampleInfo*>& samples, int k, double val_fraction,
                             std::uint64_t seed) {
  check_arguments(k, val_fraction);
  // Sorted by id, so the folds depend on the set of tracks and the seed, not on sample order.
  std::map<std::string, Track> tracks;
  std::vector<Track*> track_of_sample;
  track_of_sample.reserve(samples.size());
  for (const SampleInfo* s : samples) {
    if (!s) throw std::invalid_argument("make_folds: null sample pointer");
    track_of_sample.push_back(&tracks.emplace(s->track_id, Track{s->fine, -1, false}).first->second);
  }
  if (tracks.size() < static_cast<std::size_t>(k))
    throw std::invalid_argument("make_folds: " + std::to_string(tracks.size()) + " tracks cannot fill " +
                                std::to_string(k) + " folds");

  std::map<int, std::vector<Track*>> by_class;
  for (auto& [id, track] : tracks) by_class[track.fine].push_back(&track);
  std::size_t next_fold = 0;
  for (auto& [fine, list] : by_class) {
    Xoshiro256 rng(stream_seed(seed, Stream::kFoldDeal, static_cast<std::uint64_t>(fine)));
    shuffle_in_place(list, rng);
    for (Track* t : list) {
      t->fold = static_cast<int>(next_fold);
      next_fold = (next_fold + 1) % static_cast<std::size_t>(k);
    }
  }

  std::vector<Fold> folds(static_cast<std::size_t>(k));
  for (int f = 0; f < k; ++f) {
    // The fold's training tracks per class, in a seeded order; val takes each class's first `quota`.
    std::vector<std::vector<Track*>> train_by_class;
    std::vector<std::size_t> sizes;
    std::size_t n_train = 0;
    for (const auto& [fine, list] : by_class) {
      std::vector<Track*> kept;
      for (Track* t : list)
        if (t->fold != f) kept.push_back(t);
      Xoshiro256 rng(stream_seed(seed, Stream::kValCarve,
                                      mix_seed(static_cast<std::uint64_t>(f), static_cast<std::uint64_t>(fine))));
      shuffle_in_place(kept, rng);
      n_train += kept.size();
      sizes.push_back(kept.size());
      train_by_class.push_back(std::move(kept));
    }
    const std::vector<std::size_t> quota = val_quotas(sizes, n_train, n_train, val_fraction, seed, f);

    for (auto& [id, track] : tracks) track.val = false;
    for (std::size_t c = 0; c < train_by_class.size(); ++c)
      for (std::size_t i = 0; i < quota[c]; ++i) train_by_class[c][i]->val = true;

    Fold& fold = folds[static_cast<std::size_t>(f)];
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const Track& t = *track_of_sample[i];
      if (t.fold == f)
        fold.held_out.push_back(samples[i]);
      else if (t.val)
        fold.val.push_back(samples[i]);
      else
        fold.train.push_back(samples[i]);
    }
  }
  return folds;
}

}  // namespace genre::loader
