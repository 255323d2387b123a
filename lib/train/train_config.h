// Everything a genre-train run is configured with, resolved (command line over
// the reference setup of the model) and written to RUN/config.json, which is
// also what --resume reads back.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loader/augment.h"
#include "train/lr_schedule.h"

namespace genre::train {

// One training stage: which labels it learns and with what optimiser.
struct StageSetup {
  std::string name;              // macro | fine | multitask
  std::string optimizer = "adamw";  // adam | adamw | sgd
  double lr = 1e-4;
  double weight_decay = 1e-2;
  double momentum = 0.9;         // sgd
  ScheduleSetup schedule;        // base_lr follows lr
  int epochs = 20;
  int patience = 3;              // early stopping on validation loss; 0 = off
  double label_smoothing = 0.0;
  std::string keep = "best";     // the weights a stage ends with: best (lowest val loss) | last
};

struct TrainConfig {
  std::string data, out, model = "cnn", regime = "standard";
  std::string device = "auto";   // auto | cpu | cuda
  std::string init;              // torchvision weights (tools/export_torchvision_weights.py)
  std::string freeze;            // freeze parameters up to and including this block, e.g. layer4.0
  int unfreeze_after = 0;        // with freeze: epochs of each stage trained frozen, then all (0 = frozen throughout)
  // Macrogenres the run trains with: empty = the dataset's; annex | top-level | a macro map file
  // (regrouped from the fine classes' FMA ids or names); auto | auto:K (found from data, per fold).
  std::string macro;
  std::string loss = "ce";       // ce | tree (soft targets from the genre tree) | bce (multi-label over all fine labels)
  double tree_temperature = 1.0; // tree: target mass exp(-distance / T) within the true genre's macrogenre
  std::string pos_weight = "inverse";  // bce: inverse | log-inverse | none
  double fn_weight = 1.0;        // bce: multiplies the positive term (a missed label costs W times more)
  std::string augment;           // preset: none | reference | specaugment | mixup | small-data; empty = the
                                 // model's (small-data for shortchunk, none otherwise)
  loader::AugmentConfig augmentation;  // resolved from the preset and the flags
  int cv = 0;                    // K-fold cross-validation over train+val (0 = off)
  double cv_val_fraction = 0.1;
  // Folds that keep a group's tracks together: artist | album | none; auto = artist when every
  // track has one (a fold with one artist on both sides flatters every figure), else none.
  std::string cv_group = "auto";
  int epochs = -1;               // per stage; -1 = the reference budget
  int64_t batch_size = 32;
  double lr = -1;                // -1 = the reference learning rate of each stage
  std::string optimizer;         // empty = the reference optimiser of each stage
  std::string scheduler;         // empty = the reference scheduler of each stage
  int patience = -1;             // -1 = reference (3)
  double weight_decay = -1;      // -1 = each stage's recipe
  double label_smoothing = -1;   // -1 = each stage's recipe
  std::string keep;              // best | last; empty = the recipe's (last for shortchunk, best otherwise)
  int64_t windows_per_track = -1;  // random time crops: windows of a track per epoch (0 = all; -1 = recipe)
  int64_t base_channels = 8;     // shortchunk: channels of the first block
  uint64_t seed = 42;
  int threads = 0;               // 0 = the number of cores
  int workers = 2;               // data loader threads
  bool repeat_gray = false;
  int64_t gru_hidden = 256;
  double head_dropout = 0.5;
  std::string trunk = "resnet18";  // multihead: a resnet or shortchunk (then shortchunk's recipe)
  std::string head_kind = "linear";  // multihead: linear | mlp | sequential
  std::vector<double> task_weights{1.0, 1.0};  // multitask: weight of each head's loss, coarse to fine
  std::string amp = "auto";      // CUDA mixed precision: auto (bf16 where supported, else fp16) | bf16 | fp16 | off
  bool channels_last = true;     // CUDA, convolutional models
  std::string trainer_version = "1";

  nlohmann::json to_json() const;
  static TrainConfig from_json(const nlohmann::json& j);
};

// The reference setups of ../shared/spec (batch 32, AdamW 1e-4 wd 1e-2,
// early stopping patience 3, macro stage 10 epochs (ResNet 20), fine stage up
// to 20, ...), then the command line's overrides.
StageSetup reference_stage(const TrainConfig& config, const std::string& stage);

// Resolves what the command line left to the model's recipe (augmentation preset into
// config.augmentation, flags already set staying; keep; windows per track), so config.json
// records what the run really used.
void resolve_recipe(TrainConfig& config);

// The model whose recipe a run follows: shortchunk for multihead on a shortchunk trunk (the
// recipe for real music), else the model itself.
std::string recipe_model(const TrainConfig& config);

}  // namespace genre::train
