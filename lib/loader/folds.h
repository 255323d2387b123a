// K-fold cross-validation at the track level: a track's samples (its windows)
// always land in one fold, so no track is both trained on and evaluated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loader/sample_table.h"

namespace genre::loader {

// What must never span the held-out fold and the training folds: nothing more
// than the track (None), the same artist, the same album (SampleInfo::artist/album).
enum class FoldGroup { None, Artist, Album };
// "none" | "artist" | "album"; throws std::invalid_argument naming the choices otherwise.
FoldGroup parse_fold_group(const std::string& name);
const char* fold_group_name(FoldGroup group);

struct Fold {
  std::vector<const SampleInfo*> train, val, held_out;  // each in the order of the input samples
};

// Largest-remainder split of `target` tracks over classes of the given sizes
// (exact integer remainders; ties broken by the class order `rank`, a
// permutation of the class indices, usually seeded).
std::vector<std::size_t> stratified_quotas(const std::vector<std::size_t>& sizes, std::size_t target,
                                           const std::vector<std::size_t>& rank);

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

// Stratified group k-fold: with Artist or Album, a group's tracks (a track
// without a group value is its own group) are all in one fold, and a fold's
// val part takes whole groups too, so no group is both trained on and held
// out (or validated on). A group's class is its tracks' majority fine class
// (ties: the lower index); per class its groups, by name then shuffled from
// `seed`, are taken largest first, each to the fold holding the fewest tracks
// of that class (ties: fewest tracks, then the lower fold). Val: per class,
// the training groups in a seeded order are taken while the class's
// largest-remainder quota of val_fraction of the training tracks is not met,
// keeping at least one training group. None: exactly make_folds above.
// Throws std::invalid_argument as above, and when there are fewer groups than k.
std::vector<Fold> make_folds(const std::vector<const SampleInfo*>& samples, int k, double val_fraction,
                             std::uint64_t seed, FoldGroup group);

}  // namespace genre::loader
