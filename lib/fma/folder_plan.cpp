#include "fma/folder_plan.h"

#include "fma/csv_reader.h"
#include "base/prng.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

namespace fs = std::filesystem;

namespace genre::fma {

namespace {

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

bool ends_like_window_key(const std::string& key) {
  const size_t pos = key.rfind("_w");
  if (pos == std::string::npos || pos == 0 || pos + 2 >= key.size()) return false;
  return std::all_of(key.begin() + static_cast<long>(pos) + 2, key.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::vector<LabelledFile> scan_label_folders(const std::string& root, const std::vector<std::string>& exclude,
                                             std::vector<std::string>* unlabelled) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw std::runtime_error(root + ": not a directory");
  std::set<fs::path> skip;
  for (const auto& e : exclude) {
    const fs::path p = fs::weakly_canonical(e, ec);
    if (!ec) skip.insert(p);
  }
  std::vector<LabelledFile> out;
  const auto options = fs::directory_options::follow_directory_symlink;
  fs::recursive_directory_iterator it(root, options, ec), end;
  if (ec) throw std::runtime_error(root + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw std::runtime_error(root + ": " + ec.message());
    const fs::path& p = it->path();
    if (hidden(p) || skip.count(fs::weakly_canonical(p, ec))) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string rel = p.lexically_relative(root).generic_string();
    const size_t slash = rel.find('/');
    if (slash == std::string::npos) {
      if (unlabelled) unlabelled->push_back(rel);
      continue;
    }
    out.push_back({rel, rel.substr(0, slash), ""});
  }
  std::sort(out.begin(), out.end(), [](const LabelledFile& a, const LabelledFile& b) { return a.rel_path < b.rel_path; });
  if (unlabelled) std::sort(unlabelled->begin(), unlabelled->end());
  return out;
}

std::vector<LabelledFile> load_label_csv(const std::string& path, bool* has_group) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open for reading");
  CsvReader reader(in, path);
  std::vector<LabelledFile> out;
  std::set<std::string> seen;
  std::vector<std::string> row;
  bool first = true;
  if (has_group) *has_group = false;
  while (reader.next(row)) {
    const std::string where = path + ":" + std::to_string(reader.record_line());
    if (row.size() == 1 && row[0].empty()) continue;  // blank line
    if (first && row.size() >= 2 && row[0] == "path" && row[1] == "genre") {
      first = false;
      continue;
    }
    first = false;
    if (row.size() < 2 || row.size() > 3)
      throw std::runtime_error(where + ": " + std::to_string(row.size()) + " fields, expected path,genre[,group]");
    const std::string rel = fs::path(row[0]).lexically_normal().generic_string();
    if (row[0].empty() || row[1].empty()) throw std::runtime_error(where + ": empty path or genre");
    if (fs::path(row[0]).is_absolute() || rel == ".." || rel.rfind("../", 0) == 0)
      throw std::runtime_error(where + ": path \"" + row[0] + "\" is not relative to the root");
    if (!seen.insert(rel).second) throw std::runtime_error(where + ": path \"" + row[0] + "\" is listed twice");
    LabelledFile f{rel, row[1], row.size() == 3 ? row[2] : ""};
    if (row.size() == 3 && has_group) *has_group = true;
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](const LabelledFile& a, const LabelledFile& b) { return a.rel_path < b.rel_path; });
  return out;
}

std::string folder_sample_key(const std::string& rel_path) {
  std::string stem = rel_path;
  const size_t slash = stem.rfind('/');
  const size_t dot = stem.rfind('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash + 1)) stem.erase(dot);
  std::string key;
  for (unsigned char c : stem)
    key += (std::isalnum(c) && c < 0x80) || c == '_' || c == '-' ? static_cast<char>(c) : '_';
  if (key.size() > 64) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(rel_path)));
    key = key.substr(0, 47) + "_" + hex;
  }
  if (ends_like_window_key(key)) key += "_";
  return key;
}

DatasetPlan build_folder_plan(const std::vector<LabelledFile>& files, const GenreMap* map, const MacroMap* macros,
                              const FolderPlanOptions& options) {
  if (files.empty()) throw std::runtime_error("no audio files found under the label folders");
  DatasetPlan plan;
  plan.source = "folders";
  plan.split_group = options.split_group;
  PlanReport& rep = plan.report;
  rep.tracks_in_metadata = rep.tracks_in_subset = files.size();

  // Keys: unique, or an error naming both files.
  std::map<std::string, const LabelledFile*> by_key;
  for (const auto& f : files) {
    auto [it, added] = by_key.emplace(folder_sample_key(f.rel_path), &f);
    if (!added)
      throw std::runtime_error("\"" + it->second->rel_path + "\" and \"" + f.rel_path + "\" both get the sample key \"" +
                               it->first + "\" (keys are the path without extension, other characters than letters, "
                               "digits, '-' and '_' made '_'): rename one");
  }

  std::set<std::string> labels;
  for (const auto& f : files) labels.insert(f.label);
  // One label is a dataset no classifier can learn from, and almost always a root one level too
  // high (gtzan/ instead of gtzan/genres_original/): refused, not converted into a model that
  // answers that one genre with 100 % accuracy.
  if (labels.size() < 2)
    throw std::runtime_error("every file has the label \"" + *labels.begin() + "\": a genre dataset needs two or more "
                             "labels (with --folders the labels are the first folder level under the root: if the "
                             "genre folders are inside \"" + *labels.begin() + "\", pass that folder)");
  if (map) {
    std::string missing;
    for (const auto& l : labels)
      if (!map->fma_id.count(l)) missing += (missing.empty() ? "" : ", ") + l;
    if (!missing.empty())
      throw std::runtime_error("labels not in the genre map " + map->source + ": " + missing +
                               " (add them to a --genre-map file, or --genre-map none for fine labels only)");
  }

  taxonomy::Taxonomy& tax = plan.taxonomy;
  std::map<std::string, int> fine_of_label;
  for (const auto& l : labels) {
    const int idx = static_cast<int>(tax.fine.size());
    const int fma_id = map ? map->fma_id.at(l) : -1;
    fine_of_label[l] = idx;
    tax.fine.push_back({idx, l, fma_id});
    tax.fine_to_macro.push_back(macros ? macros->macro_of(fma_id, l) : -1);
  }
  if (macros)
    for (size_t i = 0; i < macros->names.size(); ++i)
      tax.macro.push_back({static_cast<int>(i), macros->names[i], macros->fma_ids[i]});
  tax.validate("folder taxonomy");

  SplitInput in;
  for (const auto& c : tax.fine) in.class_stream.push_back(fnv1a64(c.name));
  int position = 0;
  for (const auto& [key, f] : by_key) {  // key order
    TrackPlan p;
    p.track_id = position++;
    p.key = key;
    p.id = key;
    p.rel_path = f->rel_path;
    p.job_hash = fnv1a64(key);
    p.artist = f->group;
    p.fine = fine_of_label.at(f->label);
    p.fine_all = {p.fine};
    p.macro = tax.fine_to_macro[static_cast<size_t>(p.fine)];
    in.fine.push_back(p.fine);
    if (options.split_group == SplitGroup::Artist) in.group.push_back(f->group);
    else if (options.split_group == SplitGroup::Album)
      throw std::invalid_argument("folder datasets have one group column (artist): --split-group album does not apply");
    plan.tracks.push_back(std::move(p));
  }
  const std::vector<std::string> split = stratified_split(in, options.seed, options.train_fraction, options.val_fraction);
  for (size_t i = 0; i < plan.tracks.size(); ++i) {
    TrackPlan& p = plan.tracks[i];
    p.split = split[i];
    count_labelled(rep, p, tax);
  }
  return plan;
}

}  // namespace genre::fma
