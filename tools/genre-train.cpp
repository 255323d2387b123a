// genre-train: trains a genre classifier on a dataset made by fma-convert
// (shards + manifest.json) and exports the TorchScript bundle that
// genreclassify, genre-classify and Python's torch.jit.load run.
// Exit status: 0 success, 1 training failed (one-line message), 2 usage.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "model/model_factory.h"
#include "train/local_launcher.h"
#include "train/training_run.h"
#include "text/terminal_text.h"
#include "passive_openmp.h"
#include "command_line.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct LaunchFlags {
  int nproc = 1;
  int dist_timeout_s = 60;
};

void add_flags(CLI::App& app, genre::train::TrainConfig& c, std::string& resume, LaunchFlags& launch) {
  using genre::train::TrainConfig;
  app.add_option("--data", c.data, "Dataset directory (fma-convert --out: manifest.json + shards)");
  app.add_option("--out", c.out, "Run directory to create (config, metrics, checkpoints, model.pt, report)");
  app.add_option("--resume", resume, "Continue the interrupted run in this directory from its last checkpoints");
  app.add_option("--model", c.model, "shortchunk (recommended for real music: native-resolution log-mel windows), cnn, "
                 "resnet18, resnet34, resnet50, resnet101, vit_b16, vit_ti16, gru, multihead, panns_cnn14, "
                 "panns_mobilenetv2 (PANNs' AudioSet models; --init from tools/export_panns_weights.py)")
      ->capture_default_str()
      ->check(CLI::IsMember(genre::model::model_names()));
  app.add_option("--regime", c.regime,
                 "standard (fine genres), two-stage (macrogenres, then fine genres), multitask (multihead: every "
                 "head at once), compare (standard and two-stage with the same seed and data)")
      ->capture_default_str()
      ->check(CLI::IsMember({"standard", "two-stage", "multitask", "compare"}));
  app.add_option("--macro", c.macro,
                 "Macrogenres to train with instead of the dataset's: annex (the hand-made 12), top-level (FMA's "
                 "roots), a macro map FILE (macrogenre,fma_genre_id[,fine_class]), or auto[:K]: K groups found "
                 "from a fine model's confusion on the validation tracks (per fold under --cv; default K = "
                 "round(sqrt(fine classes))), written to RUN/macro_map.csv");
  app.add_option("--epochs", c.epochs, "Epochs per stage (default: the reference budget: macro 10, ResNet 20; fine up to 20)");
  app.add_option("--batch-size", c.batch_size, "Samples per step")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--lr", c.lr, "Learning rate of every stage (default: each stage's reference rate)");
  app.add_option("--optimizer", c.optimizer, "adam, adamw or sgd (default: each stage's reference optimiser)")
      ->check(CLI::IsMember({"adam", "adamw", "sgd"}));
  app.add_option("--scheduler", c.scheduler, "none, plateau (ReduceLROnPlateau), onecycle or cosine (default: reference)")
      ->check(CLI::IsMember({"none", "plateau", "onecycle", "cosine"}));
  app.add_option("--patience", c.patience, "Early stopping: epochs without a better validation loss (0 = off; default 3, "
                 "shortchunk 0)");
  app.add_option("--keep", c.keep, "The weights a stage ends with: best (lowest validation loss) or last (default: "
                 "last for shortchunk, best otherwise)")->check(CLI::IsMember({"best", "last"}));
  app.add_option("--weight-decay", c.weight_decay, "Weight decay of every stage (default: each stage's recipe)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--label-smoothing", c.label_smoothing, "Label smoothing of every stage (default: each stage's recipe)")
      ->check(CLI::Range(0.0, 0.99));
  app.add_option("--windows-per-track", c.windows_per_track, "Random time crops: windows of each track drawn anew "
                 "per epoch (0 = every window; default: shortchunk 8, others 0)")->check(CLI::NonNegativeNumber);
  app.add_option("--base-channels", c.base_channels, "shortchunk: channels of the first block (doubled per block)")
      ->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--seed", c.seed, "Seed of initialisation, shuffling, augmentation and folds")->capture_default_str();
  app.add_option("--threads", c.threads, "Compute threads (default: the number of cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--workers", c.workers, "Data loader threads")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--device", c.device, "auto, cpu or cuda")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app.add_option("--amp", c.amp, "CUDA mixed precision: auto (bf16), bf16, fp16 (with loss scaling) or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "bf16", "fp16", "off"}));
  app.add_flag("!--no-channels-last", c.channels_last, "CUDA: keep convolutional models in NCHW instead of channels-last");
  app.add_option("--cv", c.cv, "K-fold cross-validation by track over train+val (test untouched); 0 = off")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--cv-group", c.cv_group, "Keep each group's tracks in one fold: artist, album or none; auto = "
                 "artist when every track has one")
      ->capture_default_str()->check(CLI::IsMember({"auto", "artist", "album", "none"}));
  app.add_option("--cv-val-fraction", c.cv_val_fraction, "Share of each fold's training tracks kept for validation; "
                 "without --cv, the share of the training tracks validated on when the dataset has no val split")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.9));
  app.add_option("--init", c.init, "Start from torchvision weights (tools/export_torchvision_weights.py) or PANNs' "
                 "(tools/export_panns_weights.py)");
  app.add_option("--freeze", c.freeze, "Freeze every parameter up to and including this block (e.g. layer4.0, "
                 "fc1 for panns_*: the head alone trains)");
  app.add_option("--unfreeze-after", c.unfreeze_after, "With --freeze: train frozen for N epochs of each stage, then "
                 "every parameter (0 = frozen throughout)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--repeat-gray", c.repeat_gray, "1-channel images on resnet/vit: repeat the plane to 3 channels "
                                               "(default: a 1-channel stem; --init sums the RGB kernels)");
  app.add_option("--loss", c.loss, "ce (cross-entropy, label smoothing per stage), tree (cross-entropy against soft "
                 "targets that give the true genre's relatives in the genre tree mass by their distance: near misses "
                 "cost less; pipelines/hierarchy.md) or bce (multi-label over all fine labels)")
      ->capture_default_str()
      ->check(CLI::IsMember({"ce", "tree", "bce"}));
  app.add_option("--tree-temperature", c.tree_temperature, "tree: target mass exp(-distance / T) on the genres under the "
                 "true genre's macrogenre (smaller: nearer plain cross-entropy)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--pos-weight", c.pos_weight, "bce class weights: inverse, log-inverse or none")
      ->capture_default_str()
      ->check(CLI::IsMember({"inverse", "log-inverse", "none"}));
  app.add_option("--fn-weight", c.fn_weight, "bce: multiply every class's positive term by W on top of --pos-weight "
                 "(a missed label costs W times a false alarm)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--augment", c.augment,
                 "Training augmentation preset: none, reference (the study's flip + colour jitter), specaugment "
                 "(time and frequency masks), mixup (masks + mixup 0.2), small-data (masks, mixup 0.2, gain +-6 dB) "
                 "(default: small-data for shortchunk, none otherwise)")
      ->check(CLI::IsMember({"none", "reference", "specaugment", "mixup", "small-data"}));
  auto& a = c.augmentation;
  app.add_flag("--crop", a.random_resized_crop, "Random resized crop");
  app.add_option("--time-masks", a.time_masks, "SpecAugment time masks per image");
  app.add_option("--time-mask-max", a.time_mask_max, "Widest time mask, in columns");
  app.add_option("--freq-masks", a.freq_masks, "SpecAugment frequency masks per image");
  app.add_option("--freq-mask-max", a.freq_mask_max, "Widest frequency mask, in rows");
  app.add_option("--mixup", a.mixup_alpha, "Mixup with lambda ~ Beta(alpha, alpha)");
  app.add_flag("--flip", a.hflip, "Random time reversal (the reference's horizontal flip)");
  app.add_option("--color-jitter", a.color_jitter, "Brightness/contrast jitter amplitude (the reference's)");
  app.add_option("--gain", a.gain_db, "Random gain: an offset uniform in +-DB added to every pixel (images in dB)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--gru-hidden", c.gru_hidden, "gru: hidden units (256 or 512 in the study)")->capture_default_str();
  app.add_option("--head-dropout", c.head_dropout, "Dropout before the head (resnet, vit, gru, multihead)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.95));
  app.add_option("--trunk", c.trunk, "multihead: its trunk, resnet18/34/50/101 or shortchunk (then shortchunk's recipe "
                 "for real music)")
      ->capture_default_str()
      ->check(CLI::IsMember({"resnet18", "resnet34", "resnet50", "resnet101", "shortchunk"}));
  app.add_option("--heads", c.head_kind, "multihead: linear (a Linear per level over the embedding), mlp (a shared "
                 "Linear-ReLU-dropout, then a Linear per level) or sequential (each level also sees the level above's "
                 "probabilities)")
      ->capture_default_str()
      ->check(CLI::IsMember({"linear", "mlp", "sequential"}));
  app.add_option("--task-weights", c.task_weights, "multitask: loss weight of each head, coarse to fine")
      ->expected(2)
      ->capture_default_str();
  app.add_option("--nproc", launch.nproc,
                 "Data-parallel ranks to start on this machine (c10d Gloo on CPU, NCCL on CUDA); --batch-size stays "
                 "the global batch. Under torchrun/srun, set RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT instead")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--dist-timeout", launch.dist_timeout_s,
                 "Seconds a distributed rank waits for the others before stopping with an error")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
}

// argv[1..] without --nproc (the children are the ranks), plus --threads
// cores/N when the command gave none (N ranks share the cores).
std::vector<std::string> rank_arguments(int argc, char** argv, const CLI::App& app, int nproc) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--nproc") {
      ++i;
      continue;
    }
    if (a.rfind("--nproc=", 0) == 0) continue;
    args.push_back(a);
  }
  if (app.count("--threads") == 0) {
    args.push_back("--threads");
    args.push_back(std::to_string(std::max(1u, std::thread::hardware_concurrency() / static_cast<unsigned>(nproc))));
  }
  return args;
}

std::string own_executable(const char* argv0) {
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return argv0;
  path[n] = '\0';
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  genre::tools::use_passive_openmp_waiting(argv);
  // glibc maps and unmaps every large tensor on each step (thousands of page
  // faults per step); keeping freed memory in the heap makes a training
  // process's steady state allocation-free. Its peak is reached anyway.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  // A file size limit (ulimit -f) then fails a write with EFBIG, reported like a full disk,
  // instead of killing the process in the middle of a checkpoint.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{
      "Trains a music genre classifier on a dataset made by fma-convert and exports the TorchScript bundle "
      "(RUN/model.pt) that genreclassify, genre-classify and torch.jit.load run.\n"
      "  genre-train --data DS --model cnn --regime two-stage --out RUN\n"
      "  genre-train --data DS --model resnet18 --regime compare --out RUN\n"
      "  genre-train --data DS --model cnn --regime two-stage --cv 5 --out RUN\n"
      "  genre-train --data DS --model shortchunk --regime two-stage --macro auto:4 --cv 5 --out RUN\n"
      "  genre-train --resume RUN\n"
      "  genre-train --nproc 2 --data DS --model cnn --out RUN   (2 data-parallel ranks; torchrun/srun: see "
      "pipelines/cluster.md)\n"
      "Exit status: 0 success, 1 training failed, 2 usage error.",
      "genre-train"};
  genre::train::TrainConfig config;
  std::string resume;
  LaunchFlags launch;
  add_flags(app, config, resume, launch);
  const int status = genre::tools::parse_command_line(app, argc, argv, [&] {
    if (resume.empty() && (config.data.empty() || config.out.empty()))
      throw CLI::ValidationError("--data and --out are required (or --resume RUN)");
    if (!resume.empty() && (!config.data.empty() || !config.out.empty()))
      throw CLI::ValidationError("--resume RUN takes its settings from RUN/config.json; drop --data/--out");
    if (app.count("--tree-temperature") && config.loss != "tree")
      throw CLI::ValidationError("--tree-temperature applies to --loss tree");
    if (app.count("--fn-weight") && config.loss != "bce") throw CLI::ValidationError("--fn-weight applies to --loss bce");
    if (config.head_kind != "linear" && config.model != "multihead")
      throw CLI::ValidationError("--heads applies to --model multihead");
  });
  if (status >= 0) return status;
  genre::train::DistSetup dist;
  try {
    dist.env = genre::train::dist_env_from_environment();
    dist.timeout = std::chrono::seconds(launch.dist_timeout_s);
    if (launch.nproc > 1) {
      if (dist.env.distributed()) throw std::invalid_argument("--nproc inside a distributed launch (WORLD_SIZE is set)");
      return genre::train::launch_local_ranks(own_executable(argv[0]), rank_arguments(argc, argv, app, launch.nproc),
                                              launch.nproc);
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "genre-train: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "genre-train: %s\n", e.what());
    return kExitFailure;
  }
  // A distributed rank leaves at once after an error: its process group may
  // block in destructors waiting for peers that are gone.
  const std::string who = dist.env.distributed() ? "genre-train: rank " + std::to_string(dist.env.rank) + ": " : "genre-train: ";
  auto leave = [&](int status) {
    if (!dist.env.distributed()) return status;
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(status);
  };
  try {
    if (!resume.empty())
      genre::train::resume_training(resume, config.threads, dist);
    else
      genre::train::start_training(config, dist);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s%s\n", who.c_str(), genre::text::escape_controls(e.what()).c_str());
    return leave(kExitUsage);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s%s\n", who.c_str(), genre::text::escape_controls(e.what()).c_str());
    return leave(kExitFailure);
  }
  return 0;
}
