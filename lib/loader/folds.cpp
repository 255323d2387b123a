#include "loader/folds.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include "loader/random_streams.h"

namespace genre::loader {

namespace {

struct Track {
  int fine = -1;  // of the track's first sample: a clip's windows share one label
  int fold = -1;
  bool val = false;  // in the val part of the fold being built
};

// Largest-remainder split of `target` tracks over classes of the given sizes
// (exact integer remainders; ties broken by the seeded class order `rank`).
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

}  // namespace

std::vector<Fold> make_folds(const std::vector<const SampleInfo*>& samples, int k, double val_fraction,
                             std::uint64_t seed) {
  if (k < 2) throw std::invalid_argument("make_folds: k must be at least 2 (got " + std::to_string(k) + ")");
  if (!(val_fraction >= 0.0 && val_fraction < 1.0))
    throw std::invalid_argument("make_folds: val_fraction must be in [0, 1) (got " + std::to_string(val_fraction) +
                                ")");
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
    fma::Xoshiro256 rng(stream_seed(seed, Stream::kFoldDeal, static_cast<std::uint64_t>(fine)));
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
      fma::Xoshiro256 rng(stream_seed(seed, Stream::kValCarve,
                                      fma::mix_seed(static_cast<std::uint64_t>(f), static_cast<std::uint64_t>(fine))));
      shuffle_in_place(kept, rng);
      n_train += kept.size();
      sizes.push_back(kept.size());
      train_by_class.push_back(std::move(kept));
    }
    std::size_t target = 0;
    if (val_fraction > 0 && n_train >= 2)
      target = std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(val_fraction * double(n_train))), 1,
                                       n_train - 1);
    std::vector<std::size_t> rank(sizes.size());
    for (std::size_t c = 0; c < rank.size(); ++c) rank[c] = c;
    fma::Xoshiro256 tie_rng(stream_seed(seed, Stream::kValCarve, static_cast<std::uint64_t>(f)));
    shuffle_in_place(rank, tie_rng);
    const std::vector<std::size_t> quota = stratified_quotas(sizes, target, rank);

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
