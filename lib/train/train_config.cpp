#include "train/train_config.h"

#include <stdexcept>

namespace genre::loader {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AugmentConfig, random_resized_crop, crop_scale_min, crop_ratio_jitter, time_masks,
                                   time_mask_max, freq_masks, freq_mask_max, mixup_alpha, hflip, color_jitter, gain_db)
}  // namespace genre::loader

namespace genre::train {

using nlohmann::json;

namespace {

bool is_vit(const std::string& model) { return model.rfind("vit", 0) == 0; }

// The study's recipes. "from scratch" runs (the macro stage, the standard
// regime) train with the first-stage optimiser; fine-tuning after the macro
// stage uses the second-stage one (ResNet: lr 5e-5 and ReduceLROnPlateau).
StageSetup study_recipe(const std::string& model, const std::string& stage) {
  StageSetup s;
  s.name = stage;
  const bool fine_tuning = stage == "fine";
  const bool first_stage = stage == "macro" || stage == "standard";
  if (model == "cnn") {
    s.optimizer = first_stage ? "adam" : "adamw";
    s.lr = first_stage ? 1e-3 : 1e-4;
    s.weight_decay = first_stage ? 0.0 : 1e-2;
    s.epochs = stage == "macro" ? 10 : 20;
  } else if (is_vit(model)) {
    s.optimizer = "adamw";
    s.lr = 1e-4;
    s.weight_decay = 5e-3;
    s.epochs = stage == "macro" ? 10 : 20;
    s.schedule.kind = fine_tuning ? "plateau" : "none";
  } else if (model == "shortchunk") {  // made for small data: one-cycle over a fixed budget, the last weights
    s.optimizer = "adamw";
    s.lr = 3e-3;
    s.weight_decay = 1e-2;
    s.schedule.kind = "onecycle";
    s.epochs = 40;
    s.patience = 0;
    s.label_smoothing = 0.1;
    s.keep = "last";
  } else if (model == "gru") {
    s.optimizer = "adam";
    s.lr = 1e-3;
    s.weight_decay = 0.0;
    s.epochs = 20;
  } else if (stage == "multitask") {  // the second study: Adam with OneCycle (max lr 3e-3)
    s.optimizer = "adam";
    s.lr = 3e-3;
    s.weight_decay = 0.0;
    s.schedule.kind = "onecycle";
    s.epochs = 20;
  } else {  // resnet*, multihead trunks
    s.optimizer = "adamw";
    s.lr = fine_tuning ? 5e-5 : 1e-4;
    s.weight_decay = 1e-2;
    s.label_smoothing = 0.1;
    s.schedule.kind = stage == "macro" ? "none" : "plateau";
    s.epochs = 20;
  }
  return s;
}

}  // namespace

std::string recipe_model(const TrainConfig& c) {
  return c.model == "multihead" && c.trunk == "shortchunk" ? "shortchunk" : c.model;
}

StageSetup reference_stage(const TrainConfig& c, const std::string& stage) {
  StageSetup s = study_recipe(recipe_model(c), stage);
  if (!c.optimizer.empty()) s.optimizer = c.optimizer;
  if (c.lr > 0) s.lr = c.lr;
  if (!c.scheduler.empty()) s.schedule.kind = c.scheduler;
  if (c.epochs > 0) s.epochs = c.epochs;
  if (c.patience >= 0) s.patience = c.patience;
  if (c.weight_decay >= 0) s.weight_decay = c.weight_decay;
  if (c.label_smoothing >= 0) s.label_smoothing = c.label_smoothing;
  if (!c.keep.empty()) s.keep = c.keep;
  if (s.keep != "best" && s.keep != "last") throw std::invalid_argument("--keep must be best or last, not '" + s.keep + "'");
  if (c.unfreeze_after < 0) throw std::invalid_argument("--unfreeze-after must be 0 or more epochs");
  if (c.unfreeze_after > 0 && c.freeze.empty())
    throw std::invalid_argument("--unfreeze-after needs --freeze (the blocks that train frozen first, e.g. fc1)");
  if (c.unfreeze_after > 0 && c.unfreeze_after >= s.epochs)
    throw std::invalid_argument("--unfreeze-after " + std::to_string(c.unfreeze_after) + " leaves no epoch to train "
                                "unfrozen: the stages have " + std::to_string(s.epochs) + " epochs");
  s.schedule.base_lr = s.lr;
  s.schedule.max_lr = s.lr;
  if (s.optimizer != "adam" && s.optimizer != "adamw" && s.optimizer != "sgd")
    throw std::invalid_argument("unknown optimizer '" + s.optimizer + "' (adam, adamw, sgd)");
  make_schedule(s.schedule);  // validates the kind
  return s;
}

namespace {

void apply_augment_preset(TrainConfig& c) {
  loader::AugmentConfig& a = c.augmentation;
  if (c.augment.empty()) c.augment = recipe_model(c) == "shortchunk" ? "small-data" : "none";
  if (c.augment == "none") return;
  if (c.augment == "reference") {  // the study's torchvision flip and colour jitter
    a.hflip = true;
    a.color_jitter = 0.2;
  } else if (c.augment == "specaugment") {
    a.time_masks = 2;
    a.time_mask_max = 20;
    a.freq_masks = 2;
    a.freq_mask_max = 16;
  } else if (c.augment == "mixup") {
    a.time_masks = 2;
    a.time_mask_max = 20;
    a.freq_masks = 2;
    a.freq_mask_max = 16;
    a.mixup_alpha = 0.2;
  } else if (c.augment == "small-data") {  // for native-resolution log-mel windows in dB
    a.time_masks = 2;
    a.time_mask_max = 15;
    a.freq_masks = 2;
    a.freq_mask_max = 12;
    a.mixup_alpha = 0.2;
    a.gain_db = 6;
  } else {
    throw std::invalid_argument("unknown --augment preset '" + c.augment +
                                "' (none, reference, specaugment, mixup, small-data)");
  }
}

}  // namespace

void resolve_recipe(TrainConfig& c) {
  apply_augment_preset(c);
  const bool shortchunk = recipe_model(c) == "shortchunk";
  if (c.windows_per_track < 0) c.windows_per_track = shortchunk ? 8 : 0;
  if (c.keep.empty()) c.keep = shortchunk ? "last" : "best";
}

// With defaults: a config.json written before a field existed resumes with that field's default.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainConfig, data, out, model, regime, macro, device, init, freeze, unfreeze_after, loss, tree_temperature, pos_weight, fn_weight, augment, augmentation, cv, cv_val_fraction, cv_group, epochs, batch_size, lr, optimizer, scheduler, patience, weight_decay, label_smoothing, keep, windows_per_track, base_channels, seed, threads, workers, repeat_gray, gru_hidden, head_dropout, trunk, head_kind, task_weights, amp, channels_last, trainer_version)

json TrainConfig::to_json() const { return *this; }

TrainConfig TrainConfig::from_json(const json& j) { return j.get<TrainConfig>(); }

}  // namespace genre::train
