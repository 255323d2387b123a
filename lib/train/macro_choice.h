// genre-train --macro: the macrogenres a run trains with, chosen at training time instead of
// when the dataset was converted. annex, top-level or a FILE map the fine classes' FMA genre
// ids (or, in a FILE, their names) through lib/fma's macro maps against FMA's built-in genres
// table; auto[:K] derives K groups from a fine model's confusion on the run's validation
// tracks (average-linkage clustering, taxonomy/agglomerative.h) and writes them as a macro map
// file. Regrouping rewrites the class lists, each sample's macro label and the genre tree, so
// the reports and the bundle describe what the model was trained with.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fma/macro_map.h"
#include "shard/manifest.h"
#include "train/regime_runner.h"
#include "train/training_data.h"

namespace genre::train {

struct MacroChoice {
  enum class Kind { Dataset, Map, Auto };
  Kind kind = Kind::Dataset;
  std::string map;  // Map: annex | top-level | a CSV file
  int groups = -1;  // Auto: K as given; -1 = not given (the default for the number of fine classes)
};

// "" (the dataset's own grouping), "annex", "top-level", "auto", "auto:K" or a file path.
// Throws std::invalid_argument (one line) for an auto:K whose K is not a whole number.
MacroChoice parse_macro_choice(const std::string& text);

// auto's number of groups for `fine_classes` classes: K as given, else round(sqrt(F)) (GTZAN's
// 10 genres: 3; 163 FMA genres: 13, about the hand-made 12), both within [2, F - 1] (one group,
// or a group per class, leaves nothing for the two stages to split). Throws
// std::invalid_argument (one line) for a K outside that range.
int auto_group_count(const MacroChoice& choice, int fine_classes);

// `classes` with each fine class's macrogenre taken from `map` (by FMA genre id, else by name;
// -1 where the map does not cover it, as fma-convert does) and the map's macro classes, all of
// them, as the macro list. The fine classes keep their order, names and ids.
shard::ClassLists regrouped_classes(const shard::ClassLists& classes, const fma::MacroMap& map);

// Regroups a run's data: class lists, every sample's macro label, the genre tree.
void apply_macro_map(TrainingData& data, const fma::MacroMap& map);

// The map of --macro annex|top-level|FILE against FMA's built-in genres table. Throws
// std::runtime_error naming the file and row for an unknown id or a malformed file.
fma::MacroMap fixed_macro_map(const std::string& choice);

// The macro map file of a clustering (cluster_of: each fine class's group, numbered from 0 in
// order of their first class): one macrogenre per group, named by its members joined with "+"
// ("Rock+Metal"; past three, "+N more"); a member by its FMA genre id where no other class has
// that id, else by name (fine_class). What --macro FILE and fma-convert --macro FILE read.
std::string grouping_csv(const shard::ClassLists& classes, const std::vector<int>& cluster_of);

// The soft confusion of fine-class probabilities (n samples x `classes`, row-major): row i is
// the mean probability given to each class over the tracks of class i, each track's windows
// averaged first (every track weighs the same). Throws std::runtime_error naming the classes
// without a sample (their row would be empty).
std::vector<double> soft_confusion(const std::vector<float>& probs, const std::vector<int64_t>& labels,
                                   const std::vector<std::string>& tracks, const std::vector<std::string>& names);

// --macro auto's evidence must hold every class: throws std::runtime_error naming `where` (e.g.
// "fold 3") and the classes without a validation sample, with the way out. Called for every
// fold before any training, so a run that cannot finish stops before its first epoch.
void check_grouping_evidence(const SampleList& val, const shard::ClassLists& classes, const std::string& where);

// The grouping in reports: {"choice", "source", "macro_classes", "groups_with_classes",
// "groups": [{"name", "classes": [fine class names]}], "without_macro": [names]}.
nlohmann::json grouping_json(const shard::ClassLists& classes, const std::string& choice, const std::string& source);

// The macrogenres of a run's reports (each holding "macro_grouping"; one per fold under --cv)
// as markdown: the groups once when every fold has the same, else per fold.
std::string grouping_markdown(const nlohmann::json& reports);

// --macro auto inside one run or one cross-validation fold, from that run's or fold's training
// and validation tracks only: first the data loses its macrogenres (no other grouping informs
// the evidence), then a fine model is trained on splits.train (runner.grouping_evaluation), its
// soft confusion on splits.val is symmetrised into a similarity and clustered into k groups by
// average linkage. The grouping is written to dir/macro_map.csv (when `writes`), read back
// through lib/fma's parser and applied to `data`. Returns grouping_json plus the similarity.
// Throws std::runtime_error when splits.val is empty or misses a class.
nlohmann::json derive_auto_grouping(RegimeRunner& runner, TrainingData& data, const SampleSplits& splits, int k,
                                    const std::string& dir, const std::string& label, bool writes,
                                    nlohmann::json& history);

}  // namespace genre::train
