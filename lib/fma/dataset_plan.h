// From FMA metadata to what each track becomes in the dataset: the class
// lists (taxonomy), each track's fine/macro labels and its split, plus a report
// of everything that was left out and why. Reused by fma-convert and the
// training tool.
#pragma once

#include "fma/genres.h"
#include "fma/macro_map.h"
#include "fma/split.h"
#include "fma/tracks.h"
#include "taxonomy/taxonomy.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace genre::fma {

enum class LabelPolicy { Single, Multi };
enum class SplitPolicy { Official, Stratified };
// What "a genre has N tracks in the subset" counts: tracks listing it first
// (Primary: on fma_small, min 1 gives the reference study's 103 classes) or
// tracks listing it anywhere in track/genres (Any: 113 on fma_small).
enum class FineCount { Primary, Any };

LabelPolicy parse_label_policy(const std::string& s);  // single | multi
SplitPolicy parse_split_policy(const std::string& s);  // official | stratified
FineCount parse_fine_count(const std::string& s);      // primary | any

struct PlanOptions {
  Subset subset = Subset::Small;
  int fine_min_tracks = 1;
  FineCount fine_count = FineCount::Primary;
  LabelPolicy labels = LabelPolicy::Single;
  SplitPolicy split = SplitPolicy::Stratified;
  uint64_t seed = 42;
  SplitGroup split_group = SplitGroup::None;  // stratified only: keep artists/albums in one split
  double train_fraction = 0.8, val_fraction = 0.1;  // test = the rest
};

struct TrackPlan {
  int track_id = 0;             // FMA track id (folder plans: the position in key order)
  std::string key;              // sample key: FMA "000002", folders derived from the relative path
  std::string id;               // the track_id column of failures.csv: FMA "2", folders = key
  std::string rel_path;         // audio file relative to the audio root
  uint64_t job_hash = 0;        // cluster jobs: splitmix64(job_hash) % N (FMA: the id)
  std::string artist, album;    // group ids ("" when unknown), written to the sample JSON
  int fine = -1;                // primary fine class index
  std::vector<int> fine_all;    // every fine class of the track, primary first (multi); {fine} for single
  int macro = -1;               // macro index of the primary fine class, -1 when it has none
  std::string split;            // train | val | test
  bool via_ancestor = false;    // primary label came from genres_all, not the track's own genres
};

// Sets an FMA track's identity fields: track_id, key "NNNNNN", id, rel_path NNN/NNNNNN.mp3, job_hash.
void assign_fma_identity(TrackPlan& t, int track_id);

struct PlanReport {
  size_t tracks_in_metadata = 0;
  size_t tracks_in_subset = 0;
  size_t labelled = 0;
  size_t outside_taxonomy = 0;  // no genre (own or ancestor) in the fine class set
  size_t no_genre = 0;          // of which: empty genre list in the metadata
  size_t no_split = 0;          // --split official and set/split empty or unknown
  size_t no_macro = 0;          // labelled, but the primary class has no macrogenre
  size_t via_ancestor = 0;
  std::map<int, size_t> outside_by_genre;    // first listed genre id of tracks outside -> count
  std::map<int, size_t> no_macro_by_genre;   // fine genre id without macrogenre -> tracks
  std::vector<int> outside_track_ids;        // every track outside the taxonomy (ascending)
  std::vector<int> no_split_track_ids;
  std::map<std::string, std::map<int, size_t>> fine_counts;   // split -> fine index -> tracks
  std::map<std::string, std::map<int, size_t>> macro_counts;  // split -> macro index -> tracks
};

// Adds one labelled track with its split to the report's counts (labelled, without macro,
// per split and class).
void count_labelled(PlanReport& report, const TrackPlan& track, const taxonomy::Taxonomy& taxonomy);

struct DatasetPlan {
  taxonomy::Taxonomy taxonomy;
  std::vector<TrackPlan> tracks;  // ascending track id (folders: key); only labelled tracks with a split
  PlanReport report;
  std::string source = "fma";     // fma | folders
  SplitGroup split_group = SplitGroup::None;
};

// Fine classes: FMA genres with >= fine_min_tracks tracks in the subset (see
// FineCount), ordered by FMA genre id, named by FMA title. Macro classes: every
// class of `macros` (stable indices across subsets). Single label: the first
// of the track's own genres (track/genres order) in the class set, else the
// first of genres_all (ancestors) in it. Multi: every genre of genres and
// genres_all in the class set, primary first. Stratified split: per primary
// fine class, tracks sorted by id and shuffled with xoshiro256** seeded from
// (seed, FMA genre id); the first round(train*n) go to train, then round(val*n)
// to val, the rest to test. With a split group, whole artists/albums go to one
// split (see stratified_split); tracks without one are their own group.
DatasetPlan build_plan(const std::vector<Track>& tracks, const GenreTable& genres, const MacroMap& macros,
                       const PlanOptions& options);

// What a plan's splits lack for training and validating every class, one
// line each: a split of train/val/test without tracks, fine classes without
// tracks in a split. Empty when every split holds every class.
std::vector<std::string> split_coverage_warnings(const DatasetPlan& plan);

}  // namespace genre::fma
