// K-fold cross-validation at the track level: a track's samples (its windows)
// always land in one fold, so no track is both trained on and evaluated.
#pragma once

#include <cstdint>
#include <vector>

#include "loader/sample_table.h"

namespace genre::loader {

struct Fold {
  std::vector<const SampleInfo*> train, val, held_out;  // each in the order of the input samples
};

// Tracks (grouped by track_id, whatever split they came from) are stratified
// by fine class: each class's tracks, sorted by id then shuffled from `seed`,
// are dealt round-robin over the k folds, the deal continuing across classes
// so fold sizes differ by at most one track overall as well as per class.
// Fold f holds out fold f and trains on the others; its val part is
// val_fraction of those training tracks (largest-remainder quotas per class,
// at least one track while one is left to train on), never from the held-out fold.
// Throws std::invalid_argument when k < 2, there are fewer tracks than k,
// val_fraction is outside [0, 1), or a sample pointer is null.
std::vector<Fold> make_folds(const std::vector<const SampleInfo*>& samples, int k, double val_fraction,
                             std::uint64_t seed);

}  // namespace genre::loader
