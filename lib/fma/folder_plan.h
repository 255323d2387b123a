// Datasets from genre-labelled folders (GTZAN's genres_original/<genre>/,
// Ballroom-style trees, a Music/<Genre>/... library): which files there are,
// their labels (the first folder under the root, or a label CSV), their sample
// keys, and the same DatasetPlan the FMA path makes, so fma-convert converts
// both with one code path.
#pragma once

#include "fma/dataset_plan.h"
#include "fma/genre_map.h"

#include <optional>
#include <string>
#include <vector>

namespace genre::fma {

struct LabelledFile {
  std::string rel_path;  // relative to the root, '/'-separated
  std::string label;
  std::string group;     // --label-csv's third column ("" when absent)
};

// Every regular file under `root` (recursively, symlinks followed, hidden files
// and folders skipped, `exclude` paths skipped), labelled by the first folder
// below the root; sorted by path. Files directly in the root have no label and
// are returned in `unlabelled`. Throws std::runtime_error when root is not a
// readable directory.
std::vector<LabelledFile> scan_label_folders(const std::string& root, const std::vector<std::string>& exclude,
                                             std::vector<std::string>* unlabelled);

// Rows "path,genre[,group]" (RFC 4180; an optional header row starting with
// "path,genre"); paths relative to the root. `has_group` tells whether any row
// has a third column. Throws std::runtime_error "FILE:LINE: ..." for a row
// with fewer than 2 or more than 3 fields, an empty path or genre, an absolute
// path or one with "..", or a path listed twice.
std::vector<LabelledFile> load_label_csv(const std::string& path, bool* has_group);

// Sample key of a file: the relative path without its extension, every
// character outside [A-Za-z0-9_-] replaced by '_' ('/' too), "_" appended when
// it would end like a window key ("_w<digits>"); over 64 bytes: the first 47,
// '_' and 16 hex digits of FNV-1a of the path. Dot-free (WebDataset cuts keys
// at the first dot), stable, and distinct for distinct paths up to the
// replacements, which build_folder_plan reports.
std::string folder_sample_key(const std::string& rel_path);

struct FolderPlanOptions {
  uint64_t seed = 42;
  SplitGroup split_group = SplitGroup::None;  // Artist: the files' group column
  double train_fraction = 0.8, val_fraction = 0.1;
};

// Fine classes: the distinct labels in name order, each with its mapped FMA
// genre id (-1 without a map); macro classes: every class of `macros` (none
// without macros), a fine class's macro = that of its FMA genre, or of its label where
// the macro file names it (fine_class rows without an id).
// Stratified split per label (streams seeded from the label's FNV-1a), group-
// disjoint on request. Throws std::runtime_error for two files with one key
// (naming both), for labels the map lacks (naming them), or no files.
DatasetPlan build_folder_plan(const std::vector<LabelledFile>& files, const GenreMap* map, const MacroMap* macros,
                              const FolderPlanOptions& options);

}  // namespace genre::fma
