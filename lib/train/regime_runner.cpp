#include "train/regime_runner.h"

#include <torch/script.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

#include "base/atomic_file.h"
#include "model/bundle.h"
#include "model/init_weights.h"
#include "train/class_saliency.h"
#include "report/confusion_csv.h"
#include "report/confusion_png.h"
#include "report/grouping.h"
#include "report/hierarchy_metrics.h"
#include "report/learning_curves_png.h"
#include "report/markdown.h"
#include "report/metrics.h"
#include "train/module_state.h"
#include "train/process_group.h"
#include "train/run_files.h"

namespace genre::train {

using nlohmann::json;

namespace {

std::vector<std::string> names_of(const std::vector<shard::ClassEntry>& classes) {
  std::vector<std::string> names;
  for (const auto& c : classes) names.push_back(c.name);
  return names;
}

std::string join_label(const std::string& prefix, const std::string& stage) {
  return prefix.empty() ? stage : prefix + "/" + stage;
}

// Metrics of one class level on one split: per sample, and per track (mean
// of its windows' probabilities) when the samples are windows. The
// confusion matrix is drawn for the headline level (tracks when windowed).
// Share of `labels` equal to `majority`: the accuracy of always answering the
// most frequent training class, the chance level a result must beat.
double majority_share(const std::vector<int64_t>& labels, int64_t majority) {
  if (labels.empty()) return NAN;
  return static_cast<double>(std::count(labels.begin(), labels.end(), majority)) / static_cast<double>(labels.size());
}

json level_report(const std::vector<float>& probs, const std::vector<int64_t>& labels, int64_t majority,
                  const std::vector<std::string>& tracks, bool windowed, int64_t classes,
                  const std::vector<std::string>& names, const std::string& dir, const std::string& stem,
                  const std::string& title, std::string& markdown, bool write) {
  const int64_t n = static_cast<int64_t>(labels.size());
  report::ClassificationMetrics m = report::evaluate(probs.data(), n, classes, labels.data());
  json j = report::to_json(m, names);
  j["chance_top1"] = majority_share(labels, majority);
  const report::ClassificationMetrics* headline = &m;
  report::ClassificationMetrics track;
  if (windowed) {
    const report::Grouped g = report::mean_by_group(probs.data(), n, classes, labels.data(), tracks);
    track = report::evaluate(g.probs.data(), static_cast<int64_t>(g.labels.size()), classes, g.labels.data());
    j["track_top1"] = track.top1;
    j["track"] = report::to_json(track, names);
    j["track"]["chance_top1"] = majority_share(g.labels, majority);
    headline = &track;
  }
  const std::string level = windowed ? " (per track: mean of its windows)" : "";
  if (write) {
    report::write_confusion_csv(dir + "/" + stem + ".csv", *headline, names);
    report::write_confusion_png(dir + "/" + stem + ".png", *headline, names, title + level);
  }
  markdown += report::markdown_metrics(*headline, names, title + level) + "\n";
  if (windowed) markdown += "Per window: top-1 " + report::format_percent(m.top1) + ", " + std::to_string(n) + " windows.\n\n";
  j["confusion_png"] = stem + ".png";
  j["confusion_csv"] = stem + ".csv";
  return j;
}

// The genre tree's view of the fine verdicts (arg max and CRM), at the headline level: per track
// (mean of its windows' probabilities) when windowed. The macro verdict is the macro head's where
// the model has one, else the fine probabilities summed per macrogenre.
json hierarchy_block(const Evaluation& ev, bool macro_head, const std::vector<int64_t>& labels,
                     const std::vector<std::string>& tracks, bool windowed, const taxonomy::GenreTree& tree,
                     const std::string& title, std::string& markdown) {
  const int64_t n = static_cast<int64_t>(labels.size()), fine = tree.fine_classes(), macro = tree.macro_classes();
  std::vector<float> fine_probs = ev.probs.back(), macro_probs = macro_head ? ev.probs.front() : std::vector<float>();
  std::vector<int64_t> level_labels = labels;
  if (windowed) {
    report::Grouped g = report::mean_by_group(fine_probs.data(), n, fine, labels.data(), tracks);
    if (macro_head) {  // grouped by the same tracks; the grouping's labels are the fine ones', unused here
      const std::vector<int64_t> any_label(labels.size(), 0);
      macro_probs = report::mean_by_group(macro_probs.data(), n, macro, any_label.data(), tracks).probs;
    }
    fine_probs = std::move(g.probs);
    level_labels = std::move(g.labels);
  }
  const report::HierarchyReport r =
      report::hierarchy_report(fine_probs.data(), macro_head ? macro_probs.data() : nullptr,
                               static_cast<int64_t>(level_labels.size()), tree, level_labels.data());
  markdown += report::markdown_hierarchy(r, title + (windowed ? " (per track)" : ""));
  json j = report::to_json(r);
  j["level"] = windowed ? "track" : "sample";
  j["macro_verdict"] = macro_head ? "macro head" : "fine probabilities summed per macrogenre";
  return j;
}

void write_curves(const std::string& dir, const json& history, const std::string& title) {
  std::vector<report::CurvePoint> points;
  for (const json& row : history) {
    report::CurvePoint p;
    p.epoch = row.at("epoch").get<int>();
    p.stage = row.at("stage").get<std::string>();
    p.train_loss = row.at("train_loss").get<double>();
    p.val_loss = row.at("val_loss").is_number() ? row.at("val_loss").get<double>() : NAN;
    p.val_top1 = row.at("val_top1").is_number() ? row.at("val_top1").get<double>() : NAN;
    points.push_back(p);
  }
  if (!points.empty()) report::write_learning_curves_png(dir + "/learning_curves.png", points, title);
}

int64_t most_frequent(const SampleList& samples, const std::string& target) {
  std::map<int64_t, int64_t> counts;
  for (const loader::SampleInfo* s : samples)
    if (target_label(*s, target) >= 0) ++counts[target_label(*s, target)];
  int64_t best = -1, best_count = 0;
  for (const auto& [label, count] : counts)
    if (count > best_count) best = label, best_count = count;
  return best;
}

// Every evaluated sample's fine-class probabilities, for error analysis (and
// for checking that Python's torch.jit.load gives the same numbers).
void write_predictions(const std::string& path, const shard::DatasetReader& reader, const SampleList& samples,
                       const std::vector<float>& probs, const std::vector<std::string>& names) {
  std::ostringstream out;
  out << "key,split,track_id,label,predicted";
  for (const std::string& name : names) out << "," << report::csv_field(name);
  out << "\n";
  out.precision(9);
  const size_t classes = names.size();
  for (size_t i = 0; i < samples.size(); ++i) {
    const float* p = probs.data() + i * classes;
    const size_t predicted = static_cast<size_t>(std::max_element(p, p + classes) - p);
    out << reader.sample(samples[i]->split, samples[i]->index).key << "," << samples[i]->split << ","
        << samples[i]->track_id << "," << samples[i]->fine << "," << predicted;
    for (size_t c = 0; c < classes; ++c) out << "," << p[c];
    out << "\n";
  }
  write_file_atomically(path, out.str());
}

}  // namespace

SampleList usable_for(const SampleList& samples, const std::string& target) {
  if (target != "macro") return samples;
  SampleList out;
  for (const loader::SampleInfo* s : samples)
    if (s->macro >= 0) out.push_back(s);
  return out;
}

RegimeRunner::RegimeRunner(const TrainConfig& config, const TrainingData& data, const ComputeDevice& device,
                           Progress& progress, ProcessGroup* group)
    : writes_files_(!group || group->rank() == 0),
      config_(config),
      data_(data),
      device_(device),
      progress_(progress),
      trainer_(config, data, device, progress, group) {}

// classes_or_zero: one head of that many classes; 0: multitask heads (macro, fine).
model::BuiltModel RegimeRunner::build(int64_t classes_or_zero, uint64_t seed_offset) {
  model::ModelSpec spec;
  spec.name = config_.model;
  spec.channels = data_.input_shape[0];
  spec.height = data_.input_shape[1];
  spec.width = data_.input_shape[2];
  if (classes_or_zero > 0)
    spec.heads = {classes_or_zero};
  else
    spec.heads = {static_cast<int64_t>(data_.classes.macro.size()), static_cast<int64_t>(data_.classes.fine.size())};
  spec.trunk = config_.trunk;
  spec.head_kind = config_.head_kind;
  spec.gru_hidden = config_.gru_hidden;
  spec.head_dropout = config_.head_dropout;
  spec.repeat_gray = config_.repeat_gray;
  spec.base_channels = config_.base_channels;
  torch::manual_seed(config_.seed + seed_offset);
  model::BuiltModel built = model::build_model(spec);
  if (built.module.hasattr("band_mean")) set_band_standardization(built.module);
  if (!config_.init.empty()) {
    const model::InitReport r = model::load_init(built.module, spec, config_.init);
    progress_.line("--init " + config_.init + ": " + std::to_string(r.loaded) + " tensors loaded, " +
                   std::to_string(r.skipped.size()) + " head tensors of the file skipped, " +
                   std::to_string(r.fresh.size()) + " head tensors not in the file (they keep their initialisation)");
  }
  return built;
}

void RegimeRunner::set_band_standardization(torch::jit::Module& module) {
  if (!band_stats_) band_stats_ = loader::band_statistics(*data_.reader, *train_samples_);
  const loader::BandStats& b = *band_stats_;
  const std::vector<int64_t> shape{static_cast<int64_t>(b.channels), static_cast<int64_t>(b.rows), 1};
  torch::NoGradGuard no_grad;
  module.attr("band_mean").toTensor().copy_(torch::tensor(b.mean, at::kDouble).reshape(shape));
  module.attr("band_std").toTensor().copy_(torch::tensor(b.std, at::kDouble).reshape(shape));
}

json RegimeRunner::test_report(torch::jit::Module& module, const std::string& target, const SampleList& test,
                               const std::string& dir, const std::string& title, const std::string& macro_stem) {
  const SampleList samples = usable_for(test, target);
  const Evaluation ev = trainer_.evaluate(module, target, samples, 0.0);
  std::vector<int64_t> fine, macro;
  std::vector<std::string> tracks;
  for (const loader::SampleInfo* s : samples) {
    fine.push_back(s->fine);
    macro.push_back(s->macro);
    tracks.push_back(s->track_id);
  }
  const bool windowed = data_.table->windowed();
  const auto fine_names = names_of(data_.classes.fine), macro_names = names_of(data_.classes.macro);
  const int64_t n_fine = static_cast<int64_t>(fine_names.size()), n_macro = static_cast<int64_t>(macro_names.size());
  std::string md;
  json j;
  if (target == "macro") {
    j["macro"] = level_report(ev.probs.back(), macro, majority_macro_, tracks, windowed, n_macro, macro_names, dir, macro_stem,
                              title + ": macrogenres", md, writes_files_);
    j["macro"]["source"] = "macro stage";
  } else {
    j["fine"] = level_report(ev.probs.back(), fine, majority_fine_, tracks, windowed, n_fine, fine_names, dir, "confusion_fine",
                             title + ": fine genres", md, writes_files_);
    if (writes_files_) write_predictions(dir + "/predictions.csv", *data_.reader, samples, ev.probs.back(), fine_names);
    // Macrogenre verdicts: the macro head of a multitask model, else the fine
    // probabilities summed per macrogenre (the rule genreclassify uses).
    std::vector<float> macro_probs;
    std::vector<int64_t> macro_labels;
    std::vector<std::string> macro_tracks;
    const std::vector<float>& fine_probs = ev.probs.back();
    std::vector<int> fine_to_macro;
    for (const auto& c : data_.classes.fine) fine_to_macro.push_back(c.macro);
    const std::vector<float> summed =
        target == "multitask" ? ev.probs.front()
        : n_macro == 0        ? std::vector<float>()  // a dataset without macrogenres
                              : report::sum_to_parents(fine_probs.data(), ev.samples, n_fine, fine_to_macro, n_macro);
    for (size_t i = 0; i < samples.size() && n_macro > 0; ++i) {
      if (macro[i] < 0) continue;
      macro_probs.insert(macro_probs.end(), summed.begin() + i * n_macro, summed.begin() + (i + 1) * n_macro);
      macro_labels.push_back(macro[i]);
      macro_tracks.push_back(tracks[i]);
    }
    if (!macro_labels.empty()) {
      j["macro"] = level_report(macro_probs, macro_labels, majority_macro_, macro_tracks, windowed, n_macro, macro_names, dir,
                                macro_stem, title + ": macrogenres", md, writes_files_);
      j["macro"]["source"] = target == "multitask" ? "macro head" : "fine probabilities summed per macrogenre";
    }
    j["hierarchy"] = hierarchy_block(ev, target == "multitask", fine, tracks, windowed, data_.tree, title, md);
    if (writes_files_) {
      j["class_saliency"] = write_class_saliency(module, data_, samples, device_, dir, "class_saliency.png",
                                                 title + ": what each class's score looks at");
      if (j["class_saliency"].contains("png")) md += "![class-average saliency](class_saliency.png)\n\n";
    }
  }
  j["loss"] = ev.loss;
  j["markdown"] = md;
  return j;
}

void RegimeRunner::save_model_bundle(model::BuiltModel& built, const std::string& regime, const json& history,
                                     const std::string& path) const {
  torch::jit::Module module = built.module.clone();
  module.to(c10::Device(c10::kCPU));
  if (device_.channels_last) {  // the bundle runs anywhere: plain contiguous weights
    torch::NoGradGuard no_grad;
    for (const auto& p : module.named_parameters(true)) p.value.set_data(p.value.contiguous());
  }
  module.eval();
  model::BundleInfo info;
  info.model = config_.model;
  info.regime = regime;
  info.target = "fine";
  info.heads = regime == "multitask" ? std::vector<std::string>{"macro", "fine"} : std::vector<std::string>{"fine"};
  info.input_shape = data_.input_shape;
  info.multi_label = config_.loss == "bce";
  info.classes = data_.classes;
  info.preprocessing = data_.preprocessing;
  info.manifest_sha256 = data_.manifest_sha256;
  info.training = {{"config", config_.to_json()}, {"epochs", history}, {"track_aggregation", "mean of window probabilities"}};
  if (module.hasattr("band_mean")) {  // also inside the model as buffers: this copy is for people and tools
    auto values = [&](const char* name) {
      const at::Tensor t = module.attr(name).toTensor().to(at::kDouble).contiguous();
      return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
    };
    info.training["band_standardization"] = {{"applied", "inside the model: (x - band_mean) / band_std per channel and row"},
                                             {"statistics", "the training split's samples"},
                                             {"mean", values("band_mean")}, {"std", values("band_std")}};
  }
  info.inference_hop_seconds = data_.window_hop_seconds;
  info.tree = data_.tree;
  model::save_bundle(module, info, path);
}

// The tracks of each split, so a reader can check what was trained and tested on.
void write_split_tracks(const std::string& path, const SampleSplits& splits, const std::string& test_split) {
  auto tracks = [](const SampleList& samples) {
    std::vector<std::string> ids;
    for (const loader::SampleInfo* s : samples)
      if (ids.empty() || ids.back() != s->track_id) ids.push_back(s->track_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  };
  write_file_atomically(path, json{{"train", tracks(splits.train)}, {"val", tracks(splits.val)},
                                   {test_split, tracks(splits.test)}}.dump() + "\n");
}

Evaluation RegimeRunner::grouping_evaluation(const SampleSplits& splits, const std::string& dir,
                                             const std::string& label, json& history) {
  train_samples_ = &splits.train;
  band_stats_.reset();
  model::BuiltModel model = build(static_cast<int64_t>(data_.classes.fine.size()), 0);
  StageTask task{"fine", reference_stage(config_, "standard"), dir + "/stages/grouping", join_label(label, "grouping")};
  for (const json& row : trainer_.run(model, task, splits.train, splits.val)) history.push_back(row);
  return trainer_.evaluate(model.module, "fine", splits.val, 0.0);
}

RegimeOutcome RegimeRunner::run(const std::string& regime, const SampleSplits& splits, const std::string& dir,
                                const std::string& label, const std::string& test_split) {
  if (writes_files_) {
    std::filesystem::create_directories(dir);
    write_split_tracks(dir + "/splits.json", splits, test_split);
  }
  train_samples_ = &splits.train;
  band_stats_.reset();
  majority_fine_ = most_frequent(splits.train, "fine");
  majority_macro_ = most_frequent(splits.train, "macro");
  const int64_t n_fine = static_cast<int64_t>(data_.classes.fine.size());
  const int64_t n_macro = static_cast<int64_t>(data_.classes.macro.size());
  RegimeOutcome out;
  out.history = json::array();
  json test;
  std::string md;
  auto add_history = [&](const json& h) {
    for (const json& row : h) out.history.push_back(row);
    if (writes_files_) write_metrics(dir, out.history);
  };
  model::BuiltModel final_model;

  if (regime == "standard") {
    final_model = build(n_fine, 0);
    StageTask task{"fine", reference_stage(config_, "standard"), dir + "/stages/fine", join_label(label, "fine")};
    add_history(trainer_.run(final_model, task, splits.train, splits.val));
  } else if (regime == "two-stage") {
    if (n_macro == 0) throw std::runtime_error(data_.dir + "/manifest.json: the dataset has no macrogenres for two-stage training");
    model::BuiltModel macro_model = build(n_macro, 0);
    StageTask macro{"macro", reference_stage(config_, "macro"), dir + "/stages/macro", join_label(label, "macro")};
    const SampleList train_macro = usable_for(splits.train, "macro"), val_macro = usable_for(splits.val, "macro");
    if (train_macro.empty() || (val_macro.empty() && !splits.val.empty()))
      throw std::runtime_error(data_.dir + ": no training or validation sample has a macrogenre label");
    add_history(trainer_.run(macro_model, macro, train_macro, val_macro));
    const json macro_report =
        test_report(macro_model.module, "macro", splits.test, dir, label.empty() ? "macro stage" : label + " macro stage",
                    "confusion_macro");
    md += macro_report["markdown"].get<std::string>();
    test["macro"] = macro_report["macro"];

    final_model = build(n_fine, 1);
    const TransferReport moved = transfer_matching(macro_model.module, final_model.module, final_model.head_prefixes);
    progress_.line("[" + join_label(label, "fine") + "] " + std::to_string(moved.copied.size()) +
                   " tensors carried over from the macro stage, " + std::to_string(moved.reinitialised.size()) +
                   " re-initialised (the head)");
    StageTask fine{"fine", reference_stage(config_, "fine"), dir + "/stages/fine", join_label(label, "fine")};
    add_history(trainer_.run(final_model, fine, splits.train, splits.val));
  } else if (regime == "multitask") {
    if (config_.model != "multihead")
      throw std::runtime_error("--regime multitask trains every head of --model multihead (not " + config_.model + ")");
    final_model = build(0, 0);
    StageTask task{"multitask", reference_stage(config_, "multitask"), dir + "/stages/multitask",
                   join_label(label, "multitask")};
    add_history(trainer_.run(final_model, task, splits.train, splits.val));
  } else {
    throw std::runtime_error("unknown regime '" + regime + "' (standard, two-stage, multitask, compare)");
  }

  const std::string target = regime == "multitask" ? "multitask" : "fine";
  const bool two_stage = regime == "two-stage";
  const json fine_report = test_report(final_model.module, target, splits.test, dir, label.empty() ? "fine stage" : label,
                                       two_stage ? "confusion_macro_from_fine" : "confusion_macro");
  md += fine_report["markdown"].get<std::string>();
  test["fine"] = fine_report["fine"];
  test["hierarchy"] = fine_report["hierarchy"];  // what the --cv summary (cv.hierarchy) reads
  if (fine_report.contains("macro")) test[two_stage ? "macro_from_fine" : "macro"] = fine_report["macro"];
  if (fine_report.contains("class_saliency")) test["class_saliency"] = fine_report["class_saliency"];
  out.report = {{test_split, test}, {"regime", regime}, {"model", config_.model}, {"bundle", "model.pt"}};
  if (!writes_files_) return out;
  save_model_bundle(final_model, regime, out.history, dir + "/model.pt");
  write_curves(dir, out.history, (label.empty() ? regime : label) + ": " + config_.model);

  write_file_atomically(dir + "/report.json", out.report.dump(2) + "\n");
  write_file_atomically(dir + "/report.md", "# " + config_.model + " (" + regime + ")\n\n" + md +
                                                "![learning curves](learning_curves.png)\n");
  return out;
}

}  // namespace genre::train
