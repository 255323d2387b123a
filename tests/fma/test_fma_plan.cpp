// Taxonomy, labels and splits built from FMA metadata, checked against the
// real fma_small / fma_medium genre tables in ../shared/data/fma.
#include "fma/dataset_plan.h"
#include "base/prng.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace genre::fma;
using genre::mix_seed;
using genre::Xoshiro256;

namespace {

struct RealData {
  GenreTable genres;
  std::vector<Track> small;
};

RealData load_real(const std::filesystem::path& shared) {
  return {GenreTable::load((shared / "fma" / "genres.csv").string()),
          load_flat_genre_table((shared / "fma" / "tracks_small_genres.csv").string())};
}

std::map<std::string, size_t> split_sizes(const DatasetPlan& p) {
  std::map<std::string, size_t> n;
  for (const auto& t : p.tracks) ++n[t.split];
  return n;
}

}  // namespace

TEST(Plan, StratifiedCountsRounding) {
  size_t tr, va, te;
  stratified_counts(10, 0.8, 0.1, tr, va, te);
  EXPECT_EQ(std::vector<size_t>({tr, va, te}), std::vector<size_t>({8, 1, 1}));
  stratified_counts(1, 0.8, 0.1, tr, va, te);
  EXPECT_EQ(std::vector<size_t>({tr, va, te}), std::vector<size_t>({1, 0, 0}));
  stratified_counts(1000, 0.8, 0.1, tr, va, te);
  EXPECT_EQ(std::vector<size_t>({tr, va, te}), std::vector<size_t>({800, 100, 100}));
  stratified_counts(7, 0.8, 0.1, tr, va, te);
  EXPECT_EQ(tr + va + te, 7u);
}

TEST(Plan, RealSmallOfficialSplit) {
  GENRE_REQUIRE_SHARED_DATA(shared);
  RealData d = load_real(shared);
  ASSERT_EQ(d.small.size(), 7997u);
  PlanOptions o;
  o.split = SplitPolicy::Official;
  DatasetPlan p = build_plan(d.small, d.genres, annex_macro_map(d.genres), o);
  EXPECT_EQ(p.report.tracks_in_subset, 7997u);
  EXPECT_EQ(p.report.outside_taxonomy, 0u);
  auto n = split_sizes(p);
  EXPECT_EQ(n["train"], 6397u);
  EXPECT_EQ(n["val"], 800u);
  EXPECT_EQ(n["test"], 800u);
  // Primary-genre counting with min 1 reproduces the reference study's 103 classes.
  EXPECT_EQ(p.taxonomy.fine.size(), 103u);
  EXPECT_EQ(p.taxonomy.macro.size(), 12u);
  // Every track's label is its first listed genre when every first genre is a class.
  std::map<int, const Track*> by_id;
  for (const auto& t : d.small) by_id[t.id] = &t;
  for (const auto& t : p.tracks)
    ASSERT_EQ(p.taxonomy.fine[static_cast<size_t>(t.fine)].fma_genre_id, by_id.at(t.track_id)->genres.front());
  // Fine classes are ordered by FMA id and carry FMA titles.
  for (size_t i = 1; i < p.taxonomy.fine.size(); ++i)
    EXPECT_LT(p.taxonomy.fine[i - 1].fma_genre_id, p.taxonomy.fine[i].fma_genre_id);
  EXPECT_EQ(p.taxonomy.fine[*p.taxonomy.fine_index_by_fma_id(21)].name, "Hip-Hop");
  EXPECT_EQ(p.report.no_macro + [&] {
    size_t k = 0;
    for (auto& [s, m] : p.report.macro_counts)
      for (auto& [i, c] : m) k += c;
    return k;
  }(), 7997u);
}

TEST(Plan, RealSmallFineMinTracksAndCountingRule) {
  GENRE_REQUIRE_SHARED_DATA(shared);
  RealData d = load_real(shared);
  MacroMap top = top_level_macro_map(d.genres);
  PlanOptions o;
  o.fine_count = FineCount::Any;
  EXPECT_EQ(build_plan(d.small, d.genres, top, o).taxonomy.fine.size(), 113u);
  o.fine_min_tracks = 100;
  DatasetPlan p = build_plan(d.small, d.genres, top, o);
  EXPECT_EQ(p.taxonomy.fine.size(), 34u);
  // With 34 classes some tracks have no listed genre in the set: counted, not dropped silently.
  EXPECT_EQ(p.report.labelled + p.report.outside_taxonomy, 7997u);
  EXPECT_GT(p.report.outside_taxonomy, 0u);
  size_t by_genre = 0;
  for (auto& [g, c] : p.report.outside_by_genre) by_genre += c;
  EXPECT_EQ(by_genre + p.report.no_genre, p.report.outside_taxonomy);
  // top-level macros: all 16 FMA roots, and every fine class has one.
  EXPECT_EQ(p.taxonomy.macro.size(), 16u);
  EXPECT_EQ(p.report.no_macro, 0u);
  for (size_t i = 0; i < p.taxonomy.fine.size(); ++i)
    EXPECT_EQ(p.taxonomy.macro[static_cast<size_t>(p.taxonomy.fine_to_macro[i])].fma_genre_id,
              d.genres.at(p.taxonomy.fine[i].fma_genre_id).top_level);
}

TEST(Plan, RealSmallStratifiedProportionsPerClassAndDeterminism) {
  GENRE_REQUIRE_SHARED_DATA(shared);
  RealData d = load_real(shared);
  MacroMap annex = annex_macro_map(d.genres);
  PlanOptions o;  // stratified, seed 42
  DatasetPlan a = build_plan(d.small, d.genres, annex, o);
  DatasetPlan b = build_plan(d.small, d.genres, annex, o);
  ASSERT_EQ(a.tracks.size(), 7997u);
  ASSERT_EQ(a.tracks.size(), b.tracks.size());
  for (size_t i = 0; i < a.tracks.size(); ++i) ASSERT_EQ(a.tracks[i].split, b.tracks[i].split);

  std::map<int, size_t> total;
  for (const auto& t : a.tracks) ++total[t.fine];
  for (const auto& [fine, n] : total) {
    size_t tr, va, te;
    stratified_counts(n, 0.8, 0.1, tr, va, te);
    EXPECT_EQ(a.report.fine_counts["train"][fine], tr) << "class " << fine;
    EXPECT_EQ(a.report.fine_counts["val"][fine], va) << "class " << fine;
    EXPECT_EQ(a.report.fine_counts["test"][fine], te) << "class " << fine;
    if (n >= 50) {
      EXPECT_NEAR(static_cast<double>(tr) / static_cast<double>(n), 0.8, 0.02);
    }
  }
  auto n = split_sizes(a);
  EXPECT_NEAR(static_cast<double>(n["train"]) / 7997.0, 0.8, 0.01);
  EXPECT_NEAR(static_cast<double>(n["val"]) / 7997.0, 0.1, 0.01);

  o.seed = 7;
  DatasetPlan c = build_plan(d.small, d.genres, annex, o);
  size_t moved = 0;
  for (size_t i = 0; i < a.tracks.size(); ++i) moved += a.tracks[i].split != c.tracks[i].split;
  EXPECT_GT(moved, 500u);  // another seed is another split
  EXPECT_EQ(split_sizes(c), n);  // with the same per-class sizes
}

TEST(Plan, MediumSubsetIncludesSmallTracks) {
  GENRE_REQUIRE_SHARED_DATA(shared);
  RealData d = load_real(shared);
  auto medium = load_flat_genre_table((shared / "fma" / "tracks_medium_genres.csv").string());
  ASSERT_EQ(medium.size(), 16986u);
  std::vector<Track> both = d.small;
  both.insert(both.end(), medium.begin(), medium.end());
  PlanOptions o;
  o.split = SplitPolicy::Official;
  o.subset = Subset::Small;
  EXPECT_EQ(build_plan(both, d.genres, annex_macro_map(d.genres), o).report.tracks_in_subset, 7997u);
  o.subset = Subset::Medium;
  DatasetPlan p = build_plan(both, d.genres, annex_macro_map(d.genres), o);
  EXPECT_EQ(p.report.tracks_in_subset, 7997u + 16986u);
  EXPECT_EQ(p.report.labelled + p.report.outside_taxonomy + p.report.no_split, 7997u + 16986u);
}

TEST(Plan, LabelPoliciesOnHandMadeTracks) {
  auto rows = std::vector<std::vector<std::string>>{{"genre_id", "#tracks", "parent", "title", "top_level"},
                                                    {"10", "1", "0", "Pop", "10"},
                                                    {"12", "1", "0", "Rock", "12"},
                                                    {"76", "1", "10", "Experimental Pop", "10"},
                                                    {"103", "1", "12", "Loud-Rock", "12"}};
  GenreTable g = GenreTable::from_rows(rows, "g.csv");
  auto mk = [](int id, std::vector<int> genres, std::vector<int> all) {
    Track t;
    t.id = id;
    t.subset = "small";
    t.split = "training";
    t.genres = std::move(genres);
    t.genres_all = std::move(all);
    return t;
  };
  std::vector<Track> tracks = {mk(1, {76}, {10, 76}), mk(2, {76}, {10, 76}), mk(3, {103, 76}, {10, 12, 76, 103}),
                               mk(4, {103}, {12, 103}), mk(5, {}, {})};
  PlanOptions o;
  o.split = SplitPolicy::Official;
  o.fine_min_tracks = 2;  // 76 has 2 primary tracks, 103 has 2 -> both classes
  DatasetPlan single = build_plan(tracks, g, top_level_macro_map(g), o);
  ASSERT_EQ(single.taxonomy.fine.size(), 2u);
  ASSERT_EQ(single.tracks.size(), 4u);
  EXPECT_EQ(single.tracks[2].fine_all, std::vector<int>{1});  // Loud-Rock listed first
  EXPECT_EQ(single.report.outside_taxonomy, 1u);
  EXPECT_EQ(single.report.no_genre, 1u);
  EXPECT_EQ(single.report.outside_track_ids, std::vector<int>{5});
  o.labels = LabelPolicy::Multi;
  DatasetPlan multi = build_plan(tracks, g, top_level_macro_map(g), o);
  EXPECT_EQ(multi.tracks[2].fine, 1);
  EXPECT_EQ(multi.tracks[2].fine_all, (std::vector<int>{1, 0}));
  EXPECT_EQ(multi.tracks[2].macro, 1);  // Loud-Rock -> Rock

  // Ancestor fallback: 103 not a class (min 3), but the track's genres_all has none either ->
  // with a Rock-labelled class it would fall back; here Pop (10) is not a class so it is outside.
  o.labels = LabelPolicy::Single;
  o.fine_min_tracks = 3;
  EXPECT_EQ(build_plan(tracks, g, top_level_macro_map(g), o).taxonomy.fine.size(), 0u);
  std::vector<Track> more = tracks;
  more.push_back(mk(6, {12}, {12}));
  more.push_back(mk(7, {12}, {12}));
  more.push_back(mk(8, {12}, {12}));
  DatasetPlan anc = build_plan(more, g, top_level_macro_map(g), o);
  ASSERT_EQ(anc.taxonomy.fine.size(), 1u);  // Rock
  EXPECT_EQ(anc.report.via_ancestor, 2u);    // tracks 3 and 4 reach Rock through genres_all
  EXPECT_EQ(anc.report.outside_taxonomy, 3u);  // 1, 2 (Pop side) and 5 (no genre)
}

// The reference split, spelled out independently: per fine class, its tracks in
// ascending id, Fisher-Yates with xoshiro256** seeded mix_seed(seed, FMA genre id),
// the first round(0.8 n) train, round(0.1 n) val, the rest test. --split-group none
// (the default) must give exactly this, so the study's datasets are unchanged.
TEST(Plan, RealSmallStratifiedIsTheDocumentedReferenceSplit) {
  GENRE_REQUIRE_SHARED_DATA(shared);
  RealData d = load_real(shared);
  PlanOptions o;
  DatasetPlan p = build_plan(d.small, d.genres, annex_macro_map(d.genres), o);
  std::map<int, std::vector<const TrackPlan*>> by_class;
  for (const auto& t : p.tracks) by_class[t.fine].push_back(&t);
  for (auto& [fine, list] : by_class) {
    Xoshiro256 rng(mix_seed(42, static_cast<uint64_t>(p.taxonomy.fine[static_cast<size_t>(fine)].fma_genre_id)));
    for (size_t i = list.size(); i > 1; --i) std::swap(list[i - 1], list[rng.bounded(i)]);
    const size_t n = list.size(), n_train = static_cast<size_t>(std::floor(0.8 * n + 0.5)),
                 n_val = std::min(static_cast<size_t>(std::floor(0.1 * n + 0.5)), n - n_train);
    for (size_t k = 0; k < n; ++k)
      ASSERT_EQ(list[k]->split, k < n_train ? "train" : k < n_train + n_val ? "val" : "test")
          << "track " << list[k]->track_id;
  }
  EXPECT_EQ(p.split_group, SplitGroup::None);
}

TEST(Plan, ArtistGroupedSplitKeepsEachArtistInOneSplit) {
  GenreTable genres = GenreTable::builtin();
  std::vector<Track> tracks;
  const int genre_ids[] = {12, 10, 21};  // Rock, Pop, Hip-Hop
  for (int i = 0; i < 300; ++i) {
    Track t;
    t.id = 100 + i;
    t.subset = "small";
    t.genres = {genre_ids[(i / 7) % 3]};
    t.artist = i % 31 == 0 ? "" : std::to_string(1 + i / 7);  // 7-track artists, a few tracks without
    t.album = std::to_string(1 + i / 3);
    tracks.push_back(t);
  }
  PlanOptions o;
  o.split_group = SplitGroup::Artist;
  DatasetPlan p = build_plan(tracks, genres, top_level_macro_map(genres), o);
  EXPECT_EQ(p.split_group, SplitGroup::Artist);
  std::map<std::string, std::set<std::string>> splits_of_artist;
  for (const auto& t : p.tracks)
    if (!t.artist.empty()) splits_of_artist[t.artist].insert(t.split);
  for (const auto& [a, s] : splits_of_artist) EXPECT_EQ(s.size(), 1u) << "artist " << a;
  auto n = split_sizes(p);
  EXPECT_NEAR(static_cast<double>(n["train"]) / 300, 0.8, 0.05);
  EXPECT_NEAR(static_cast<double>(n["val"]) / 300, 0.1, 0.05);
  EXPECT_NEAR(static_cast<double>(n["test"]) / 300, 0.1, 0.05);
  o.split_group = SplitGroup::Album;
  DatasetPlan by_album = build_plan(tracks, genres, top_level_macro_map(genres), o);
  std::map<std::string, std::set<std::string>> splits_of_album;
  for (const auto& t : by_album.tracks) splits_of_album[t.album].insert(t.split);
  for (const auto& [a, s] : splits_of_album) EXPECT_EQ(s.size(), 1u) << "album " << a;
  o.split = SplitPolicy::Official;
  EXPECT_THROW(build_plan(tracks, genres, top_level_macro_map(genres), o), std::invalid_argument);
}
