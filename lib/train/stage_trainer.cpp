#include "train/stage_trainer.h"

#include <csignal>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "loader/batch_loader.h"
#include "report/metrics.h"
#include "train/checkpoint.h"
#include "train/gradient_sync.h"
#include "train/hierarchy_loss.h"
#include "train/lr_schedule.h"
#include "train/module_state.h"
#include "train/optimizer.h"
#include "train/process_group.h"
#include "train/sample_blame.h"

namespace genre::train {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<at::Tensor> forward_heads(torch::jit::Module& module, const at::Tensor& x) {
  return module.get_method("forward_heads")({x}).toTensorVector();
}

at::Tensor labels_tensor(const std::vector<int64_t>& labels, const c10::Device& device) {
  return torch::from_blob(const_cast<int64_t*>(labels.data()), {static_cast<int64_t>(labels.size())}, at::kLong)
      .to(device);
}

bool any_valid(const std::vector<int64_t>& labels) {
  for (int64_t l : labels)
    if (l >= 0) return true;
  return false;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Test hook for the resume tests: GENRE_TRAIN_TEST_KILL_AFTER_STEPS=N makes
// the process SIGKILL itself after N optimiser steps, a kill -9 at an exact
// point mid-epoch; with GENRE_TRAIN_TEST_KILL_RANK=R only the rank R of a
// distributed run does (the others must notice).
void maybe_kill_for_test(ProcessGroup* group) {
  static const long limit = [group] {
    const char* v = std::getenv("GENRE_TRAIN_TEST_KILL_AFTER_STEPS");
    const char* rank = std::getenv("GENRE_TRAIN_TEST_KILL_RANK");
    if (rank && *rank && (!group || std::strtol(rank, nullptr, 10) != group->rank())) return 0L;
    return v ? std::strtol(v, nullptr, 10) : 0L;
  }();
  static long steps = 0;
  if (limit > 0 && ++steps >= limit) std::raise(SIGKILL);
}

// Every parameter and buffer from rank 0: all ranks start from the same model.
void broadcast_module(ProcessGroup& group, torch::jit::Module& module) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> tensors;
  for (const at::Tensor& p : module.parameters(true)) tensors.push_back(p.detach());
  for (const at::Tensor& b : module.buffers(true)) tensors.push_back(b.detach());
  group.broadcast(tensors, 0);
}

// Rank r's contiguous share [n*r/W, n*(r+1)/W) of n samples (all of them when fewer than ranks).
std::pair<size_t, size_t> share_of(size_t n, const ProcessGroup* group, int rank) {
  if (!group || n < static_cast<size_t>(group->size())) return {0, n};
  const size_t w = static_cast<size_t>(group->size()), r = static_cast<size_t>(rank);
  return {n * r / w, n * (r + 1) / w};
}

}  // namespace

int64_t target_label(const loader::SampleInfo& s, const std::string& target) {
  return target == "macro" ? s.macro : s.fine;
}

StageTrainer::StageTrainer(const TrainConfig& config, const TrainingData& data, const ComputeDevice& device,
                           Progress& progress, ProcessGroup* group)
    : config_(config), data_(data), device_(device), progress_(progress), group_(group) {}

// Made at each stage's start from the run's tree as it is then: --macro auto regroups the genres
// per run or fold after this trainer exists.
void StageTrainer::make_tree_targets() {
  tree_targets_ = at::Tensor();
  if (config_.loss != "tree") return;
  const at::Tensor targets = tree_soft_targets(data_.tree, config_.tree_temperature);
  if (spreads_mass(targets))
    tree_targets_ = targets.to(device_.device);
  else if (writes_files())
    progress_.line("--loss tree: the genre tree is flat (no macrogenres or parent genres to share mass with): "
                   "the loss is plain cross-entropy");
}

bool StageTrainer::writes_files() const { return !group_ || group_->rank() == 0; }

void StageTrainer::load_best(const std::string& path, torch::jit::Module& module) {
  if (!group_) return load_weights(path, module);
  const std::optional<std::string> bytes = group_->share_file(path);
  if (!bytes) throw std::runtime_error(path + ": missing on rank 0");
  load_weights_bytes(*bytes, path, module);
}

// bce's per-class pos_weight from the training samples' label counts (--pos-weight), times
// --fn-weight (train/hierarchy_loss.h).
void StageTrainer::set_pos_weight(const SampleList& train) {
  const int64_t classes = static_cast<int64_t>(data_.classes.fine.size());
  std::vector<double> positives(classes, 0.0);
  for (const loader::SampleInfo* s : train)
    for (int label : s->fine_labels)
      if (label >= 0 && label < classes) positives[label] += 1;
  const std::vector<float> weights =
      bce_positive_weights(positives, static_cast<double>(train.size()), config_.pos_weight, config_.fn_weight);
  pos_weight_ = weights.empty() ? at::Tensor() : torch::tensor(weights).to(device_.device);
}

at::Tensor StageTrainer::loss(const std::vector<at::Tensor>& heads, const loader::Batch& b, const std::string& target,
                              double smoothing, bool mix) const {
  at::Tensor perm;
  if (mix) perm = labels_tensor(b.mix_perm, device_.device);
  const double lambda = mix ? b.mix_lambda : 1.0;
  // fine: the fine genres' labels, which --loss tree's soft targets apply to.
  auto cross_entropy = [&](const at::Tensor& logits, const std::vector<int64_t>& labels, bool fine) {
    const at::Tensor z = logits.to(at::kFloat);
    const at::Tensor y = labels_tensor(labels, device_.device);
    auto one = [&](const at::Tensor& t) {
      return fine && tree_targets_.defined() ? soft_target_cross_entropy(z, t, tree_targets_, smoothing)
                                             : at::cross_entropy_loss(z, t, {}, at::Reduction::Mean, -1, smoothing);
    };
    at::Tensor l = one(y);
    if (mix) l = lambda * l + (1 - lambda) * one(y.index_select(0, perm));
    return l;
  };
  if (target == "multitask") {
    at::Tensor total = at::zeros({}, heads.front().options().dtype(at::kFloat));
    const std::vector<int64_t>* labels[] = {&b.macro, &b.fine};
    for (size_t i = 0; i < heads.size() && i < 2; ++i)
      if (any_valid(*labels[i]))
        total = total + config_.task_weights.at(i) * cross_entropy(heads[i], *labels[i], i == 1);
    return total;
  }
  if (config_.loss == "bce") {
    const int64_t classes = static_cast<int64_t>(data_.classes.fine.size());
    at::Tensor t = torch::from_blob(const_cast<float*>(b.multi_hot.data()), {b.size, classes}, at::kFloat)
                       .to(device_.device);
    if (mix) t = lambda * t + (1 - lambda) * t.index_select(0, perm);
    return at::binary_cross_entropy_with_logits(heads.back().to(at::kFloat), t, {}, pos_weight_,
                                                at::Reduction::Mean);
  }
  return cross_entropy(heads.back(), target == "macro" ? b.macro : b.fine, target != "macro");
}

Evaluation StageTrainer::evaluate(torch::jit::Module& module, const std::string& target, const SampleList& samples,
                                  double smoothing) {
  module.eval();
  torch::NoGradGuard no_grad;
  loader::LoaderOptions options;
  options.batch_size = std::max<int64_t>(config_.batch_size, 64);
  options.workers = config_.workers;
  options.fine_classes = config_.loss == "bce" ? static_cast<int64_t>(data_.classes.fine.size()) : 0;
  const auto [begin, end] = share_of(samples.size(), group_, group_ ? group_->rank() : 0);
  const bool sharded = end - begin < samples.size();
  loader::BatchLoader batches(*data_.reader, SampleList(samples.begin() + begin, samples.begin() + end), options);
  const auto& shape = data_.input_shape;
  Evaluation ev;
  double loss_sum = 0;
  while (auto b = batches.next()) {
    const at::Tensor x = batch_to_device(b->images, {b->size, shape[0], shape[1], shape[2]}, device_);
    std::vector<at::Tensor> heads;
    {
      AutocastScope autocast(device_);
      heads = forward_heads(module, x);
    }
    if (ev.probs.empty()) {
      ev.probs.resize(heads.size());
      for (const at::Tensor& h : heads) ev.classes.push_back(h.size(1));
    }
    loss_sum += loss(heads, *b, target, smoothing, false).item<double>() * static_cast<double>(b->size);
    for (size_t i = 0; i < heads.size(); ++i) {
      const bool sigmoid = config_.loss == "bce" && target != "multitask";
      at::Tensor p = (sigmoid ? heads[i].to(at::kFloat).sigmoid() : heads[i].to(at::kFloat).softmax(1)).cpu().contiguous();
      ev.probs[i].insert(ev.probs[i].end(), p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    }
    ev.samples += b->size;
    batches.recycle(std::move(*b));
  }
  if (sharded) {
    // Everyone's probabilities in sample order (the shares are contiguous, in
    // rank order), and the loss summed over all of them: the figures are those
    // of one process evaluating every sample.
    at::Tensor totals = torch::tensor({loss_sum, static_cast<double>(ev.samples)}, at::kDouble);
    group_->allreduce_sum(totals);
    loss_sum = totals[0].item<double>();
    ev.samples = static_cast<int64_t>(totals[1].item<double>());
    size_t widest = 0;
    for (int r = 0; r < group_->size(); ++r) {
      const auto [b, e] = share_of(samples.size(), group_, r);
      widest = std::max(widest, e - b);
    }
    for (size_t h = 0; h < ev.probs.size(); ++h) {
      const size_t classes = static_cast<size_t>(ev.classes[h]);
      std::vector<float> padded(ev.probs[h]);
      padded.resize(widest * classes, 0.0f);
      const std::vector<at::Tensor> parts = group_->allgather(torch::from_blob(padded.data(), {static_cast<int64_t>(padded.size())}, at::kFloat));
      ev.probs[h].clear();
      for (int r = 0; r < group_->size(); ++r) {
        const auto [b, e] = share_of(samples.size(), group_, r);
        const float* p = parts[static_cast<size_t>(r)].data_ptr<float>();
        ev.probs[h].insert(ev.probs[h].end(), p, p + (e - b) * classes);
      }
    }
  }
  ev.loss = ev.samples > 0 ? loss_sum / static_cast<double>(ev.samples) : NAN;
  return ev;
}

json StageTrainer::run(model::BuiltModel& model, const StageTask& task, const SampleList& train, const SampleList& val) {
  if (writes_files()) std::filesystem::create_directories(task.dir);
  make_tree_targets();
  const std::string last_path = task.dir + "/last.pt", best_path = task.dir + "/best.pt";
  torch::jit::Module& module = model.module;
  model_to_device(module, device_);
  if (group_) broadcast_module(*group_, module);
  std::vector<at::Tensor> all;
  for (const at::Tensor& p : module.parameters(true)) all.push_back(p);
  std::vector<at::Tensor> trainable = config_.freeze.empty() ? all : freeze_up_to(module, config_.freeze);
  // --unfreeze-after N: the head (and what --freeze leaves) trains alone for N epochs, then
  // everything. The optimiser holds every parameter from the start: a frozen one has no
  // gradient, so Adam, AdamW and SGD skip it and keep no state for it; the list is the same in
  // both phases, so a checkpoint of either resumes exactly.
  const int unfreeze_at = config_.freeze.empty() ? 0 : config_.unfreeze_after;
  Optimizer optimizer(task.setup, unfreeze_at > 0 ? all : trainable);
  const auto unfreeze = [&] {
    for (at::Tensor& p : all) p.set_requires_grad(true);
    trainable = all;
  };

  loader::LoaderOptions options;
  options.batch_size = config_.batch_size / (group_ ? group_->size() : 1);  // this rank's share of the global batch
  options.shard_rank = group_ ? group_->rank() : 0;
  options.shard_count = group_ ? group_->size() : 1;
  options.shuffle = true;
  options.windows_per_track = std::max<int64_t>(0, config_.windows_per_track);
  options.seed = config_.seed;
  options.augment = config_.augmentation;
  options.workers = config_.workers;
  options.fine_classes = config_.loss == "bce" ? static_cast<int64_t>(data_.classes.fine.size()) : 0;
  loader::BatchLoader batches(*data_.reader, train, options);
  const int64_t steps = batches.batches();
  const int epochs = task.setup.epochs;

  ScheduleSetup schedule_setup = task.setup.schedule;
  schedule_setup.total_steps = steps * epochs;
  auto schedule = make_schedule(schedule_setup);
  TrainerState state;
  std::optional<TrainerState> resumed;
  if (!group_) {
    resumed = load_checkpoint(last_path, module, optimizer);
  } else if (const std::optional<std::string> bytes = group_->share_file(last_path)) {
    resumed = load_checkpoint_bytes(*bytes, last_path, module, optimizer);
  }
  if (resumed) {
    state = *resumed;
    schedule->restore(state.schedule);
  }
  if (val.empty() && (task.setup.keep == "best" || task.setup.patience > 0))
    throw std::invalid_argument(task.label + ": no validation samples to choose the best epoch or stop early by: "
                                "use --keep last and --patience 0, or give the run a validation split");
  if (state.finished) {
    if (task.setup.keep == "best") load_best(best_path, module);
    return state.history;
  }
  if (unfreeze_at > 0 && state.next_epoch > unfreeze_at) unfreeze();  // resumed after the unfreezing
  std::unique_ptr<GradientSync> sync;
  std::vector<at::Tensor> buffers;  // batch-norm running statistics: rank 0's, as DDP's broadcast_buffers
  if (group_) {
    sync = std::make_unique<GradientSync>(*group_, trainable);
    for (const at::Tensor& b : module.buffers(true)) buffers.push_back(b.detach());
  }
  if (config_.loss == "bce") set_pos_weight(train);
  GradScaler scaler(device_.amp == "fp16", state.grad_scale);
  std::vector<int64_t> val_labels;
  for (const loader::SampleInfo* s : val) val_labels.push_back(task.target == "multitask" ? s->fine : target_label(*s, task.target));
  const auto& shape = data_.input_shape;

  for (int epoch = state.next_epoch; epoch < epochs; ++epoch) {
    if (unfreeze_at > 0 && epoch == unfreeze_at) {
      unfreeze();
      if (sync) {
        sync.reset();  // its gradient hooks sit on the parameters that trained so far
        sync = std::make_unique<GradientSync>(*group_, trainable);
      }
      state.bad_epochs = 0;  // early stopping counts from the unfreezing
      progress_.line("[" + task.label + "] epoch " + std::to_string(epoch + 1) +
                     ": every parameter trains from here (--unfreeze-after " + std::to_string(unfreeze_at) + ")");
    }
    module.train(true);
    batches.reset(epoch);
    const auto start = Clock::now();
    double loss_sum = 0, comm_seconds = 0;
    int64_t seen = 0, step = 0;
    while (auto b = batches.next()) {
      optimizer.set_lr(schedule->lr());
      if (group_ && !buffers.empty()) {
        const auto t = Clock::now();
        group_->broadcast(buffers, 0);
        comm_seconds += seconds_since(t);
      }
      const at::Tensor x = batch_to_device(b->images, {b->size, shape[0], shape[1], shape[2]}, device_);
      std::vector<at::Tensor> heads;
      {
        AutocastScope autocast(device_);
        heads = forward_heads(module, x);
      }
      const at::Tensor l = loss(heads, *b, task.target, task.setup.label_smoothing, !b->mix_perm.empty());
      optimizer.zero_grad();
      if (sync) sync->begin();
      scaler.scale(l).backward();
      if (sync) comm_seconds += sync->finish();
      if (scaler.unscale(trainable)) optimizer.step();
      schedule->after_step();
      maybe_kill_for_test(group_);
      const double value = l.item<double>();
      if (!std::isfinite(value)) {
        const std::string bad_data = non_finite_samples(*b, train, *data_.reader);  // the data, not the rate?
        throw std::runtime_error(task.label + ": the training loss became " + std::to_string(value) + " at epoch " +
                                 std::to_string(epoch + 1) +
                                 (bad_data.empty() ? " (learning rate too high?)"
                                                   : ": the data is the cause: " + bad_data +
                                                         "; remake the dataset from sound audio"));
      }
      loss_sum += value * static_cast<double>(b->size);
      seen += b->size;
      ++step;
      batches.recycle(std::move(*b));
      const double elapsed = seconds_since(start);
      const double per_step = elapsed / static_cast<double>(step);
      progress_.step(task.label, epoch + 1, epochs, step, steps, loss_sum / static_cast<double>(seen),
                     static_cast<double>(seen * (group_ ? group_->size() : 1)) / elapsed,  // every rank's samples
                     per_step * static_cast<double>((steps - step) + (epochs - epoch - 1) * steps));
    }
    const double train_seconds = seconds_since(start);
    if (group_) {  // the epoch's figures over every rank's samples
      at::Tensor totals = torch::tensor({loss_sum, static_cast<double>(seen)}, at::kDouble);
      group_->allreduce_sum(totals);
      loss_sum = totals[0].item<double>();
      seen = static_cast<int64_t>(totals[1].item<double>());
    }
    // Without validation samples (e.g. --cv-val-fraction 0 with --keep last) the epoch has no val figures.
    Evaluation ev;
    ev.loss = NAN;
    report::ClassificationMetrics vm;
    vm.top1 = NAN;
    if (!val.empty()) {
      ev = evaluate(module, task.target, val, task.setup.label_smoothing);
      vm = report::evaluate(ev.probs.back().data(), ev.samples, ev.classes.back(), val_labels.data());
    }
    schedule->after_epoch(ev.loss);
    if (ev.loss < state.best_val_loss) {
      state.best_val_loss = ev.loss;
      state.best_epoch = epoch + 1;
      state.bad_epochs = 0;
      if (writes_files()) save_weights(best_path, module);
    } else {
      ++state.bad_epochs;
    }
    const bool early_stop = task.setup.patience > 0 && state.bad_epochs >= task.setup.patience;
    state.history.push_back({{"epoch", epoch + 1},
                             {"stage", task.label},
                             {"train_loss", loss_sum / std::max<double>(1, static_cast<double>(seen))},
                             {"val_loss", ev.loss},
                             {"val_top1", vm.top1},
                             {"train_samples_per_s", static_cast<double>(seen) / train_seconds},
                             {"lr", schedule->lr()},
                             {"seconds", seconds_since(start)}});
    if (group_) {
      // Time this rank waited on gradient all-reduces (and buffer broadcasts)
      // that the backward pass did not hide, against the epoch's training time.
      state.history.back()["world_size"] = group_->size();
      state.history.back()["allreduce_wait_s"] = comm_seconds;
      state.history.back()["allreduce_share"] = comm_seconds / train_seconds;
    }
    state.next_epoch = epoch + 1;
    state.finished = early_stop || epoch + 1 == epochs;
    state.schedule = schedule->state();
    state.grad_scale = scaler.value();
    if (writes_files()) save_checkpoint(last_path, module, optimizer, state);
    const std::string note =
        early_stop ? " (early stop: no better val_loss for " + std::to_string(task.setup.patience) + " epochs)" : "";
    char line[256];
    std::snprintf(line, sizeof line, "[%s] epoch %d/%d train_loss %.4f val_loss %.4f val_top1 %.2f%% %.1f samples/s",
                  task.label.c_str(), epoch + 1, epochs, loss_sum / std::max<double>(1, static_cast<double>(seen)),
                  ev.loss, 100 * vm.top1, static_cast<double>(seen) / train_seconds);
    const std::string comm =
        group_ ? " (" + std::to_string(group_->size()) + " ranks, all-reduce wait " +
                     std::to_string(static_cast<int>(100 * comm_seconds / train_seconds + 0.5)) + "% of the step time)"
               : "";
    progress_.line(line + comm + note);
    if (state.finished) break;
  }
  if (task.setup.keep == "best") load_best(best_path, module);
  return state.history;
}

}  // namespace genre::train
