#include "train/training_run.h"

#include <ATen/Parallel.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "base/atomic_file.h"
#include "loader/folds.h"
#include "model/architectures.h"
#include "report/markdown.h"
#include "train/macro_choice.h"
#include "train/panns_input.h"
#include "train/process_group.h"
#include "train/regime_runner.h"
#include "train/run_files.h"
#include "train/run_splits.h"
#include "train/unstarted_run.h"

namespace genre::train {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// ../shared/spec/README.md: fma_small, single-label top-1 test accuracy.
json reference_row(double macro, double scratch, double pretrained) {
  return {{"macro_top1", macro}, {"fine_scratch_top1", scratch}, {"fine_pretrained_top1", pretrained},
          {"gain", pretrained - scratch}, {"source", "reference study, fma_small, 80/10/10 split, seed 42"}};
}

double number_at(const json& j, const std::vector<std::string>& path) {
  const json* p = &j;
  for (const std::string& key : path) {
    if (!p->is_object() || !p->contains(key)) return NAN;
    p = &(*p)[key];
  }
  return p->is_number() ? p->get<double>() : NAN;
}

// The fine figure a table leads with: per track when the data has windows.
double headline_fine(const json& report, const std::string& split) {
  const double track = number_at(report, {split, "fine", "track_top1"});
  return std::isfinite(track) ? track : number_at(report, {split, "fine", "top1"});
}

// --cv-group: auto is artist when every sample names one (FMA's metadata, a labels CSV with a
// group column), else none.
loader::FoldGroup fold_group(const std::string& name, const SampleList& samples) {
  if (name != "auto") return loader::parse_fold_group(name);
  for (const loader::SampleInfo* s : samples)
    if (s->artist.empty()) return loader::FoldGroup::None;
  return samples.empty() ? loader::FoldGroup::None : loader::FoldGroup::Artist;
}

// RUN/folds.json: each fold's training, validation and held-out tracks, so other methods
// (tools/accuracy-bench.py's classical baseline) can be scored on exactly the same folds.
json folds_json(const std::vector<loader::Fold>& folds, loader::FoldGroup group) {
  auto tracks = [](const std::vector<const loader::SampleInfo*>& samples) {
    std::vector<std::string> ids;
    for (const loader::SampleInfo* s : samples) ids.push_back(s->track_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  };
  json out = {{"group", loader::fold_group_name(group)}, {"folds", json::array()}};
  for (const loader::Fold& f : folds)
    out["folds"].push_back({{"train", tracks(f.train)}, {"val", tracks(f.val)}, {"held_out", tracks(f.held_out)}});
  return out;
}

json mean_std(const std::vector<double>& values) {
  double sum = 0, sq = 0;
  for (double v : values) sum += v;
  const double mean = sum / static_cast<double>(values.size());
  for (double v : values) sq += (v - mean) * (v - mean);
  // Sample standard deviation (n - 1), as usually reported for K folds.
  const double sd = values.size() > 1 ? std::sqrt(sq / static_cast<double>(values.size() - 1)) : 0.0;
  return {{"mean", mean}, {"std", sd}, {"values", values}};
}

std::string pct(double v) { return std::isfinite(v) ? report::format_percent(v) : "n/a"; }

// mean_std over the folds where the figure is defined (a fold without mistakes has no mistake distance).
json mean_std_defined(const std::vector<double>& values) {
  std::vector<double> defined;
  for (double v : values)
    if (std::isfinite(v)) defined.push_back(v);
  return defined.empty() ? json{{"mean", nullptr}, {"std", nullptr}, {"values", values}} : mean_std(defined);
}

// The folds' "hierarchy" blocks (regime_runner's test report) as mean ± std per decoding.
json cv_hierarchy(const json& fold_reports) {
  json out;
  std::vector<double> changed;
  for (const json& r : fold_reports) changed.push_back(number_at(r, {"held_out", "hierarchy", "crm_changed"}));
  out["crm_changed"] = mean_std_defined(changed);
  for (const char* decoding : {"argmax", "crm"})
    for (const char* key : {"top1", "mean_mistake_distance", "mean_distance", "level_agreement"}) {
      std::vector<double> values;
      for (const json& r : fold_reports) values.push_back(number_at(r, {"held_out", "hierarchy", decoding, key}));
      out[decoding][key] = mean_std_defined(values);
    }
  return out;
}

std::string cv_hierarchy_markdown(const json& h) {
  auto ms = [](const json& j, bool percent) {
    if (!j["mean"].is_number()) return std::string("n/a");
    const double mean = j["mean"].get<double>(), sd = j["std"].get<double>();
    return percent ? pct(mean) + " ± " + pct(sd) : report::format_fixed(mean, 2) + " ± " + report::format_fixed(sd, 2);
  };
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, key] : {std::pair<const char*, const char*>{"arg max", "argmax"}, {"CRM", "crm"}})
    rows.push_back({name, ms(h[key]["top1"], true), ms(h[key]["mean_mistake_distance"], false),
                    ms(h[key]["level_agreement"], true)});
  return "Genre tree (mean ± std over folds; CRM changed " + ms(h["crm_changed"], true) + " of the verdicts):\n\n" +
         report::markdown_table({"decoding", "fine top-1", "mean distance of mistakes", "levels agree"}, rows);
}

json run_compare(const TrainConfig& c, const TrainingData& data, RegimeRunner& runner, const SampleSplits& splits,
                 const std::string& dir, const std::string& label, std::string& md, json& history) {
  json out;
  for (const char* regime : {"standard", "two-stage"}) {
    const std::string key = std::string(regime) == "standard" ? "standard" : "two_stage";
    const RegimeOutcome r = runner.run(regime, splits, dir + "/" + key, label.empty() ? key : label + "/" + key);
    out[key] = r.report;
    for (const json& row : r.history) history.push_back(row);
  }
  const std::string split = "test";
  const double macro = number_at(out, {"two_stage", split, "macro", "top1"});
  const double scratch = headline_fine(out["standard"], split), pretrained = headline_fine(out["two_stage"], split);
  out["table"] = {{"macro_top1", macro}, {"fine_scratch_top1", scratch}, {"fine_pretrained_top1", pretrained},
                  {"gain", pretrained - scratch}, {"per_track", data.table->windowed()}};
  const json ref = reference_results(c.model);
  out["reference"] = ref;
  std::vector<std::vector<std::string>> rows = {
      {"this run (" + c.model + ")", pct(macro), pct(scratch), pct(pretrained), pct(pretrained - scratch)}};
  if (!ref.is_null())
    rows.push_back({"reference (" + c.model + ", fma_small)", pct(ref["macro_top1"]), pct(ref["fine_scratch_top1"]),
                    pct(ref["fine_pretrained_top1"]), pct(ref["gain"])});
  md += "## Standard vs two-stage\n\n" +
        report::markdown_table({"", "12 macrogenres", "fine, from scratch", "fine, after macro pre-training", "gain"},
                               rows, {report::Align::Left, report::Align::Right, report::Align::Right,
                                      report::Align::Right, report::Align::Right}) +
        (data.table->windowed() ? "\nFine accuracies are per track (mean of each track's window probabilities).\n"
                                : "") +
        "\nDetails: [standard](standard/report.md), [two-stage](two_stage/report.md).\n\n";
  return out;
}

// The few lines a person wants at the end: the headline figures and where the rest is.
std::string plain_summary(const json& report, const std::string& out) {
  std::string s = "test: fine top-1 " + pct(number_at(report, {"test", "fine", "top1"}));
  const double track = number_at(report, {"test", "fine", "track_top1"});
  if (std::isfinite(track)) s += " (per track " + pct(track) + ")";
  s += ", macrogenre top-1 " + pct(number_at(report, {"test", "macro", "top1"}));
  const double chance = number_at(report, {"test", "fine", "chance_top1"});
  if (std::isfinite(chance)) s += "; chance (most frequent training class) " + pct(chance);
  return s + "\nrun: " + out + "/ (model.pt, report.md, report.json, confusion_*.png, learning_curves.png)\n";
}

// Runs `work` on rank 0 only (all of a single-process run); every rank then
// learns whether it succeeded, so a refusal there stops all ranks, not only rank 0.
void on_rank0(ProcessGroup* group, const std::function<void()>& work) {
  if (!group) return work();
  std::string error;
  if (group->rank() == 0) try {
      work();
    } catch (const std::exception& e) {
      error = e.what();
    }
  if (!group->all_agree(error.empty()))
    throw std::runtime_error(group->rank() == 0 ? error : "rank 0 stopped the run (its message says why)");
}

// A run is tied to the dataset it started on: resuming on another (or a
// changed) dataset would silently mix two trainings.
void check_same_dataset(const std::string& path, const TrainingData& data) {
  std::ifstream in(path);
  if (!in) {
    write_file_atomically(path, json{{"dir", data.dir}, {"manifest_sha256", data.manifest_sha256}}.dump(2) + "\n");
    return;
  }
  const json recorded = json::parse(in, nullptr, false);
  if (recorded.is_discarded() || recorded.value("manifest_sha256", "") != data.manifest_sha256)
    throw std::runtime_error(data.dir + "/manifest.json: the dataset changed since this run started (" + path +
                             " records another manifest digest); start a new run");
}

// PANNs' weights were trained on one input: other preprocessing makes them meaningless, so
// --init refuses it; from scratch the architecture trains on anything, with a warning.
void check_panns_input(const TrainConfig& c, const TrainingData& data, Progress& progress) {
  if (!model::detail::is_panns(c.model)) return;
  std::string differences;
  for (const std::string& d : panns_input_differences(data.preprocessing))
    differences += (differences.empty() ? "" : "; ") + d;
  if (differences.empty()) return;
  if (!c.init.empty())
    throw std::runtime_error(c.data + ": not the input PANNs' weights (" + c.init + ") were trained on: " + differences +
                             " (pipelines/training.md, \"Audio-pretrained backbones\", gives the pipeline)");
  progress.line("warning: " + c.model + " on other input than PANNs' (" + differences +
                "); fine from scratch, but PANNs' weights would not fit it");
}

json run(const TrainConfig& c, const ComputeDevice& device, ProcessGroup* group) {
  const std::vector<std::string> required =
      c.cv > 0 ? std::vector<std::string>{"train"} : std::vector<std::string>{"train", "test"};  // val: carved when absent
  TrainingData data = open_training_data(c.data, required);
  const bool writes = !group || group->rank() == 0;
  // --macro: a fixed regrouping now; auto per run or fold, from its own tracks (run_one).
  const MacroChoice macro = parse_macro_choice(c.macro);
  json dataset_grouping = grouping_json(data.classes, "", "the dataset's manifest");
  if (macro.kind == MacroChoice::Kind::Map) {
    const fma::MacroMap map = fixed_macro_map(macro.map);
    apply_macro_map(data, map);
    dataset_grouping = grouping_json(data.classes, c.macro, map.source);
  }
  const int auto_groups =
      macro.kind == MacroChoice::Kind::Auto ? auto_group_count(macro, static_cast<int>(data.classes.fine.size())) : 0;
  at::set_num_threads(c.threads);
  // Run the TorchScript models op for op as eager PyTorch does: no profiling
  // runs that differ from later steps (a resumed process must compute exactly
  // what an uninterrupted one does), no autodiff-subgraph rewrites, no speed lost.
  torch::jit::setGraphExecutorOptimize(false);
  Progress progress(!writes);
  progress.line("training " + c.model + " (" + c.regime + (c.cv > 0 ? ", " + std::to_string(c.cv) + "-fold CV" : "") +
                "): " + std::to_string(data.reader->size("train")) + " training samples, " +
                std::to_string(data.classes.fine.size()) + " fine / " +
                (auto_groups > 0 ? std::to_string(auto_groups) + " found from data (--macro " + c.macro + ")"
                                 : std::to_string(data.classes.macro.size())) +
                " macro classes, input " + std::to_string(data.input_shape[0]) + "x" +
                std::to_string(data.input_shape[1]) + "x" + std::to_string(data.input_shape[2]) + ", " +
                device.describe() + ", " + std::to_string(c.threads) + " threads" +
                (group ? " per rank, " + std::to_string(group->size()) + " ranks (c10d " + group->backend() + ")" : ""));
  check_panns_input(c, data, progress);
  on_rank0(group, [&] { check_same_dataset(c.out + "/dataset.json", data); });
  RegimeRunner runner(c, data, device, progress, group);
  json report = {{"model", c.model}, {"regime", c.regime}, {"data", c.data}, {"windowed", data.table->windowed()},
                 {"manifest_sha256", data.manifest_sha256}};
  json history = json::array();
  std::string md = "# genre-train: " + c.model + ", " + c.regime + "\n\n";

  auto run_one = [&](const SampleSplits& splits, const std::string& dir, const std::string& label,
                     const std::string& split) {
    json used = dataset_grouping;
    if (auto_groups > 0) {
      used = derive_auto_grouping(runner, data, splits, auto_groups, dir, label, writes, history);
      std::string names;
      for (const json& g : used["groups"]) names += (names.empty() ? "" : " | ") + g["name"].get<std::string>();
      progress.line((label.empty() ? "" : "[" + label + "] ") + "macrogenres from data (" + dir + "/macro_map.csv): " + names);
    }
    json r;
    if (c.regime == "compare") {
      r = json{{"compare", run_compare(c, data, runner, splits, dir, label, md, history)}};
    } else {
      const RegimeOutcome outcome = runner.run(c.regime, splits, dir, label, split);
      for (const json& row : outcome.history) history.push_back(row);
      r = outcome.report;
    }
    r["macro_grouping"] = used;
    return r;
  };

  if (c.cv > 0) {
    if (c.regime == "compare") throw std::runtime_error("--cv with --regime compare is not supported: run each regime with --cv");
    const SampleSplits all = dataset_splits(data);
    SampleList pool = all.train;
    pool.insert(pool.end(), all.val.begin(), all.val.end());
    const loader::FoldGroup group = fold_group(c.cv_group, pool);
    const std::vector<loader::Fold> folds = loader::make_folds(pool, c.cv, c.cv_val_fraction, c.seed, group);
    const std::string grouping = group == loader::FoldGroup::None ? "by track"
                                                                    : std::string("by ") + loader::fold_group_name(group);
    if (writes) write_file_atomically(c.out + "/folds.json", folds_json(folds, group).dump(1) + "\n");
    for (size_t k = 0; k < folds.size() && auto_groups > 0; ++k)  // before any fold trains
      check_grouping_evidence(folds[k].val, data.classes, "fold " + std::to_string(k + 1));
    std::vector<double> top1, track_top1, f1, macro_top1, macro_groups;
    json fold_reports = json::array();
    for (size_t k = 0; k < folds.size(); ++k) {
      const SampleSplits s{folds[k].train, folds[k].val, folds[k].held_out};
      const std::string label = "fold " + std::to_string(k + 1);
      const json r = run_one(s, c.out + "/folds/fold-" + std::to_string(k + 1), label, "held_out");
      fold_reports.push_back(r);
      top1.push_back(number_at(r, {"held_out", "fine", "top1"}));
      track_top1.push_back(headline_fine(r, "held_out"));
      f1.push_back(number_at(r, {"held_out", "fine", "macro_f1"}));
      macro_top1.push_back(number_at(r, {"held_out", "macro", "top1"}));
      macro_groups.push_back(number_at(r, {"macro_grouping", "groups_with_classes"}));
    }
    report["cv"] = {{"folds", c.cv},
                    {"group", loader::fold_group_name(group)},
                    {"fine", {{"top1", mean_std(top1)}, {"track_top1", mean_std(track_top1)}, {"macro_f1", mean_std(f1)}}},
                    {"macro", {{"top1", mean_std(macro_top1)}, {"groups_with_classes", mean_std(macro_groups)}}},
                    {"hierarchy", cv_hierarchy(fold_reports)},
                    {"per_fold", fold_reports}};
    std::vector<std::vector<std::string>> rows;
    for (size_t k = 0; k < folds.size(); ++k)
      rows.push_back({std::to_string(k + 1), pct(top1[k]), pct(track_top1[k]), pct(f1[k]), pct(macro_top1[k])});
    auto ms = [&](const std::vector<double>& v) {
      const json j = mean_std(v);
      return pct(j["mean"]) + " ± " + pct(j["std"]);
    };
    rows.push_back({"mean ± std", ms(top1), ms(track_top1), ms(f1), ms(macro_top1)});
    md += "## " + std::to_string(c.cv) + "-fold cross-validation (train+val, " + grouping +
          ", stratified; test untouched)\n\n" +
          report::markdown_table({"fold", "fine top-1", "fine top-1 per track", "fine macro-F1", "macro top-1"}, rows) +
          "\n" + cv_hierarchy_markdown(report["cv"]["hierarchy"]) + (c.macro.empty() ? "" : "\n" + grouping_markdown(fold_reports)) +
          "\nEach fold: [folds/fold-N/report.md](folds/fold-1/report.md).\n";
  } else {
    const json r = run_one(splits_for_run(data, c, progress), c.out, "", "test");
    report.update(r);
    if (c.regime != "compare") {
      std::ifstream sub(c.out + "/report.md");
      std::stringstream text;
      text << sub.rdbuf();
      md = text.str();
    }
    if (!c.macro.empty()) md += "\n" + grouping_markdown(json::array({r}));
  }
  if (!writes) return report;
  write_metrics(c.out, history);
  write_file_atomically(c.out + "/report.json", report.dump(2) + "\n");
  write_file_atomically(c.out + "/report.md", md);
  const std::string summary =
      c.cv > 0 || c.regime == "compare" ? md.substr(md.find("## ")) + "\nrun: " + c.out + "/ (report.md, report.json)\n"
                                        : plain_summary(report, c.out);
  std::fprintf(stdout, "%s", summary.c_str());
  return report;
}

ComputeDevice device_for(const TrainConfig& c, const DistEnv& env) {
  ComputeDevice device = select_device(c.device, c.amp, c.channels_last, c.model != "gru" && c.model.rfind("vit", 0) != 0);
  if (device.cuda() && env.distributed()) device.device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
  return device;
}

void check_batch_shares(const TrainConfig& c, const DistEnv& env) {
  if (c.batch_size % env.world_size != 0)
    throw std::invalid_argument("--batch-size " + std::to_string(c.batch_size) + " (the global batch) is not divisible by " +
                                std::to_string(env.world_size) + " ranks: each rank takes an equal share");
}

// Joins the process group (nullptr when alone), runs `work`, leaves the group.
json with_group(const DistSetup& dist, const ComputeDevice& device, const std::function<json(ProcessGroup*)>& work) {
  if (!dist.env.distributed()) return work(nullptr);
  auto group = std::make_unique<ProcessGroup>(dist.env, dist.timeout, device.cuda());
  try {
    json report = work(group.get());
    group->barrier();  // nobody tears the group down under a rank still reducing
    return report;
  } catch (...) {
    // A group whose peer died can block in its destructor; the process is
    // about to exit with the error anyway.
    (void)group.release();
    throw;
  }
}

// run(); a failure before the first epoch leaves nothing behind (train/unstarted_run.h).
json run_or_forget(const TrainConfig& c, const ComputeDevice& device, ProcessGroup* group) {
  try {
    return run(c, device, group);
  } catch (...) {
    if (!group || group->rank() == 0) forget_failed_run(c.out);
    throw;
  }
}

// Threads per rank when not given: the cores shared among the ranks on this machine.
int default_threads(const DistEnv& env) {
  int local = 1;
  for (const char* name : {"LOCAL_WORLD_SIZE", "SLURM_NTASKS_PER_NODE"})
    if (const char* v = std::getenv(name); v && std::atoi(v) > 0) {
      local = std::atoi(v);
      break;
    }
  if (!env.distributed()) local = 1;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency() / static_cast<unsigned>(local)));
}

}  // namespace

json reference_results(const std::string& model) {
  if (model == "cnn") return reference_row(0.5000, 0.3179, 0.3342);
  if (model == "vit_b16") return reference_row(0.5186, 0.3192, 0.3565);
  if (model == "resnet18") return reference_row(0.5953, 0.4006, 0.4293);
  return nullptr;
}

json start_training(TrainConfig c, const DistSetup& dist) {
  if (c.threads <= 0) c.threads = default_threads(dist.env);
  resolve_recipe(c);
  c.augmentation.validate();
  parse_macro_choice(c.macro);  // a malformed auto:K is a usage error before anything is written
  reference_stage(c, "fine");  // validates optimiser and scheduler names early
  check_batch_shares(c, dist.env);
  const ComputeDevice device = device_for(c, dist.env);
  return with_group(dist, device, [&](ProcessGroup* group) {
    on_rank0(group, [&] {
      if (fs::exists(c.out + "/config.json") && run_completed_an_epoch(c.out))
        throw std::runtime_error(c.out + ": already holds a run (config.json); continue it with --resume " + c.out +
                                 " or choose another --out");
      clear_unstarted_run(c.out);  // a run that failed before its first epoch: nothing to keep
      fs::create_directories(c.out);
      write_file_atomically(c.out + "/config.json", c.to_json().dump(2) + "\n");
    });
    return run_or_forget(c, device, group);
  });
}

json resume_training(const std::string& dir, int threads, const DistSetup& dist) {
  const std::string path = dir + "/config.json";
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error(dir + ": nothing to resume (no config.json: no run started here, or it failed before "
                             "completing an epoch); start it with --data and --out");
  TrainConfig c;
  try {
    c = TrainConfig::from_json(json::parse(in));
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": not a genre-train configuration: " + e.what());
  }
  c.out = dir;
  if (threads > 0) c.threads = threads;
  check_batch_shares(c, dist.env);
  const ComputeDevice device = device_for(c, dist.env);
  return with_group(dist, device, [&](ProcessGroup* group) { return run_or_forget(c, device, group); });
}

}  // namespace genre::train
