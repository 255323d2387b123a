#include "loader/val_carve.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include "loader/folds.h"
#include "loader/random_streams.h"

namespace genre::loader {

namespace {
// Streams distinct from every fold's carve (those mix in the fold number).
constexpr std::uint64_t kNoFold = 0xffffffffffffffffULL;
}  // namespace

ValCarve carve_validation(const std::vector<const SampleInfo*>& samples, double val_fraction, std::uint64_t seed) {
  if (!(val_fraction > 0.0 && val_fraction < 1.0))
    throw std::invalid_argument("carve_validation: val_fraction must be in (0, 1) (got " + std::to_string(val_fraction) +
                                ")");
  std::map<std::string, int> fine_of_track;  // sorted by id: the carve depends on the tracks and the seed only
  for (const SampleInfo* s : samples) {
    if (!s) throw std::invalid_argument("carve_validation: null sample pointer");
    fine_of_track.emplace(s->track_id, s->fine);
  }
  const std::size_t n = fine_of_track.size();
  if (n < 2)
    throw std::invalid_argument("carve_validation: " + std::to_string(n) +
                                " training track(s): too few to keep one for validation");
  std::map<int, std::vector<const std::string*>> by_class;
  for (const auto& [id, fine] : fine_of_track) by_class[fine].push_back(&id);
  std::vector<std::size_t> sizes;
  for (auto& [fine, list] : by_class) {
    Xoshiro256 rng(stream_seed(seed, Stream::kValCarve, mix_seed(kNoFold, static_cast<std::uint64_t>(fine))));
    shuffle_in_place(list, rng);
    sizes.push_back(list.size());
  }
  const std::size_t target =
      std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(val_fraction * double(n))), 1, n - 1);
  std::vector<std::size_t> rank(sizes.size());
  for (std::size_t c = 0; c < rank.size(); ++c) rank[c] = c;
  Xoshiro256 tie_rng(stream_seed(seed, Stream::kValCarve, kNoFold));
  shuffle_in_place(rank, tie_rng);
  const std::vector<std::size_t> quota = stratified_quotas(sizes, target, rank);

  std::map<std::string, bool> in_val;
  std::size_t c = 0;
  for (const auto& [fine, list] : by_class) {
    for (std::size_t i = 0; i < list.size(); ++i) in_val[*list[i]] = i < quota[c];
    ++c;
  }
  ValCarve out;
  out.val_tracks = target;
  out.train_tracks = n - target;
  for (const SampleInfo* s : samples) (in_val[s->track_id] ? out.val : out.train).push_back(s);
  return out;
}

}  // namespace genre::loader
