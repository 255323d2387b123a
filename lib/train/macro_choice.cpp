#include "train/macro_choice.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "base/atomic_file.h"
#include "fma/csv_reader.h"
#include "fma/genres.h"
#include "loader/sample_table.h"
#include "report/grouping.h"
#include "taxonomy/agglomerative.h"

namespace genre::train {

MacroChoice parse_macro_choice(const std::string& text) {
  MacroChoice c;
  if (text.empty()) return c;
  if (text != "auto" && text.rfind("auto:", 0) != 0) {
    c.kind = MacroChoice::Kind::Map;
    c.map = text;
    return c;
  }
  c.kind = MacroChoice::Kind::Auto;
  if (text == "auto") return c;
  const std::string k = text.substr(5);
  if (k.empty() || k.size() > 6 || k.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("--macro " + text + ": K must be a whole number of groups (auto:4)");
  c.groups = std::stoi(k);
  return c;
}

int auto_group_count(const MacroChoice& choice, int fine_classes) {
  if (fine_classes < 3)
    throw std::invalid_argument("--macro auto: " + std::to_string(fine_classes) +
                                " fine classes cannot be grouped (at least 3 are needed for 2 groups)");
  const int k = choice.groups >= 0 ? choice.groups
                                  : std::clamp(static_cast<int>(std::lround(std::sqrt(fine_classes))), 2, fine_classes - 1);
  if (k < 2 || k > fine_classes - 1)
    throw std::invalid_argument("--macro auto:" + std::to_string(choice.groups) + ": K must be from 2 to " +
                                std::to_string(fine_classes - 1) + " (the dataset has " + std::to_string(fine_classes) +
                                " fine classes)");
  return k;
}

shard::ClassLists regrouped_classes(const shard::ClassLists& classes, const fma::MacroMap& map) {
  shard::ClassLists out;
  for (shard::ClassEntry c : classes.fine) {
    c.macro = map.macro_of(c.fma_genre_id, c.name);
    out.fine.push_back(c);
  }
  for (size_t i = 0; i < map.names.size(); ++i) {
    shard::ClassEntry m;
    m.index = static_cast<int>(i);
    m.name = map.names[i];
    m.fma_genre_id = map.fma_ids[i];
    out.macro.push_back(m);
  }
  return out;
}

void apply_macro_map(TrainingData& data, const fma::MacroMap& map) {
  shard::ClassLists classes = regrouped_classes(data.classes, map);
  std::vector<int> fine_to_macro;
  for (const shard::ClassEntry& c : classes.fine) fine_to_macro.push_back(c.macro);
  taxonomy::GenreTree tree;
  try {
    tree = genre_tree_of(classes);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("--macro " + map.source + ": " + e.what());
  }
  data.table->set_macro_labels(fine_to_macro);
  data.classes = std::move(classes);
  data.tree = std::move(tree);
}

fma::MacroMap fixed_macro_map(const std::string& choice) {
  return fma::select_macro_map(choice, fma::GenreTable::builtin());
}

std::string grouping_csv(const shard::ClassLists& classes, const std::vector<int>& cluster_of) {
  if (cluster_of.size() != classes.fine.size())
    throw std::invalid_argument("grouping_csv: " + std::to_string(cluster_of.size()) + " groups for " +
                                std::to_string(classes.fine.size()) + " classes");
  std::map<int, int> id_uses;
  for (const shard::ClassEntry& c : classes.fine)
    if (c.fma_genre_id >= 0) ++id_uses[c.fma_genre_id];
  std::map<int, std::vector<size_t>> members;  // by group number: order of first class
  for (size_t f = 0; f < cluster_of.size(); ++f) members[cluster_of[f]].push_back(f);
  std::vector<fma::MacroRow> rows;
  for (const auto& [group, list] : members) {
    std::string name;
    for (size_t i = 0; i < list.size() && i < 3; ++i) name += (i ? "+" : "") + classes.fine[list[i]].name;
    if (list.size() > 3) name += "+" + std::to_string(list.size() - 3) + " more";
    for (size_t f : list) {
      const shard::ClassEntry& c = classes.fine[f];
      rows.push_back({name, c.fma_genre_id >= 0 && id_uses[c.fma_genre_id] == 1 ? c.fma_genre_id : -1, c.name});
    }
  }
  return fma::macro_csv_text(rows);
}

namespace {

void refuse_missing(const std::string& missing, const std::string& where) {
  throw std::runtime_error("--macro auto: " + (where.empty() ? "" : where + ": ") +
                           "the validation tracks hold no sample of " + missing +
                           " (the grouping is measured there: raise --cv-val-fraction, or give the dataset a val "
                           "split with every class)");
}

}  // namespace

void check_grouping_evidence(const SampleList& val, const shard::ClassLists& classes, const std::string& where) {
  std::vector<bool> seen(classes.fine.size(), false);
  for (const loader::SampleInfo* s : val)
    if (s->fine >= 0 && static_cast<size_t>(s->fine) < seen.size()) seen[static_cast<size_t>(s->fine)] = true;
  std::string missing;
  for (size_t c = 0; c < seen.size(); ++c)
    if (!seen[c]) missing += (missing.empty() ? "" : ", ") + classes.fine[c].name;
  if (!missing.empty()) refuse_missing(missing, where);
}

std::vector<double> soft_confusion(const std::vector<float>& probs, const std::vector<int64_t>& labels,
                                   const std::vector<std::string>& tracks, const std::vector<std::string>& names) {
  const int64_t classes = static_cast<int64_t>(names.size()), n = static_cast<int64_t>(labels.size());
  if (probs.size() != static_cast<size_t>(n * classes) || tracks.size() != labels.size())
    throw std::invalid_argument("soft_confusion: probabilities, labels and tracks disagree in size");
  const report::Grouped g = report::mean_by_group(probs.data(), n, classes, labels.data(), tracks);
  std::vector<double> confusion(static_cast<size_t>(classes * classes), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(classes), 0);
  for (size_t t = 0; t < g.labels.size(); ++t) {
    const int64_t c = g.labels[t];
    if (c < 0 || c >= classes) continue;
    ++count[static_cast<size_t>(c)];
    for (int64_t j = 0; j < classes; ++j)
      confusion[static_cast<size_t>(c * classes + j)] += g.probs[t * static_cast<size_t>(classes) + static_cast<size_t>(j)];
  }
  std::string missing;
  for (int64_t c = 0; c < classes; ++c) {
    if (count[static_cast<size_t>(c)] == 0) {
      missing += (missing.empty() ? "" : ", ") + names[static_cast<size_t>(c)];
      continue;
    }
    for (int64_t j = 0; j < classes; ++j) confusion[static_cast<size_t>(c * classes + j)] /= static_cast<double>(count[static_cast<size_t>(c)]);
  }
  if (!missing.empty()) refuse_missing(missing, "");
  return confusion;
}

nlohmann::json grouping_json(const shard::ClassLists& classes, const std::string& choice, const std::string& source) {
  nlohmann::json groups = nlohmann::json::array(), without = nlohmann::json::array();
  int used = 0;
  for (const shard::ClassEntry& m : classes.macro) {
    nlohmann::json names = nlohmann::json::array();
    for (const shard::ClassEntry& f : classes.fine)
      if (f.macro == m.index) names.push_back(f.name);
    used += names.empty() ? 0 : 1;
    groups.push_back({{"name", m.name}, {"classes", names}});
  }
  for (const shard::ClassEntry& f : classes.fine)
    if (f.macro < 0) without.push_back(f.name);
  return {{"choice", choice.empty() ? "dataset" : choice}, {"source", source},
          {"macro_classes", classes.macro.size()}, {"groups_with_classes", used}, {"groups", groups},
          {"without_macro", without}};
}

std::string grouping_markdown(const nlohmann::json& reports) {
  auto groups_text = [](const nlohmann::json& g) {
    std::string s;
    for (const nlohmann::json& m : g["groups"]) {
      if (m["classes"].empty()) continue;
      std::string members;
      for (const nlohmann::json& f : m["classes"]) members += (members.empty() ? "" : ", ") + f.get<std::string>();
      s += "- " + m["name"].get<std::string>() + ": " + members + "\n";
    }
    if (!g["without_macro"].empty()) s += "- (no macrogenre): " + g["without_macro"].dump() + "\n";
    return s;
  };
  if (reports.empty()) return "";
  const nlohmann::json& first = reports.at(0).at("macro_grouping");
  bool same = true;
  for (const nlohmann::json& r : reports) same &= r.at("macro_grouping").at("groups") == first.at("groups");
  std::string out = "Macrogenres (--macro " + first["choice"].get<std::string>() + ", " +
                    std::to_string(first["groups_with_classes"].get<int>()) + " groups with classes" +
                    (same ? "" : " in fold 1") + "):\n\n" + groups_text(first);
  if (!same)
    for (size_t k = 1; k < reports.size(); ++k)
      out += "\nFold " + std::to_string(k + 1) + ":\n\n" + groups_text(reports[k]["macro_grouping"]);
  return out + "\n";
}

nlohmann::json derive_auto_grouping(RegimeRunner& runner, TrainingData& data, const SampleSplits& splits, int k,
                                    const std::string& dir, const std::string& label, bool writes,
                                    nlohmann::json& history) {
  if (splits.val.empty())
    throw std::runtime_error("--macro auto measures the grouping on validation tracks and this run has none "
                             "(--cv-val-fraction 0, or a dataset without a val split)");
  check_grouping_evidence(splits.val, data.classes, label);
  fma::MacroMap none;
  none.source = "auto";
  apply_macro_map(data, none);
  const Evaluation ev = runner.grouping_evaluation(splits, dir, label, history);
  std::vector<int64_t> labels;
  std::vector<std::string> tracks, names;
  for (const loader::SampleInfo* s : splits.val) {
    labels.push_back(s->fine);
    tracks.push_back(s->track_id);
  }
  for (const shard::ClassEntry& c : data.classes.fine) names.push_back(c.name);
  const int fine = static_cast<int>(names.size());
  const std::vector<double> similarity = taxonomy::confusion_similarity(soft_confusion(ev.probs.back(), labels, tracks, names), fine);
  const std::vector<int> cluster_of = taxonomy::average_linkage_clusters(similarity, fine, k);
  const std::string csv = grouping_csv(data.classes, cluster_of), path = dir + "/macro_map.csv";
  const fma::MacroMap map = fma::parse_macro_csv(fma::read_csv_text(csv, path), fma::GenreTable::builtin(), path);
  if (writes) {
    std::filesystem::create_directories(dir);
    write_file_atomically(path, csv);
  }
  apply_macro_map(data, map);
  nlohmann::json j = grouping_json(data.classes, "auto:" + std::to_string(k), "macro_map.csv");
  nlohmann::json rows = nlohmann::json::array();
  for (int i = 0; i < fine; ++i)
    rows.push_back(std::vector<double>(similarity.begin() + i * fine, similarity.begin() + (i + 1) * fine));
  j["similarity"] = {{"classes", names}, {"matrix", rows},
                     {"from", "soft confusion of a fine model on " + std::to_string(labels.size()) + " validation samples"}};
  return j;
}

}  // namespace genre::train
