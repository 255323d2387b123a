#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace genre::train {
namespace {

constexpr double kPi = 3.14159265358979323846;

double cosine_between(double from, double to, double fraction) {
  return to + (from - to) * 0.5 * (1.0 + std::cos(kPi * std::clamp(fraction, 0.0, 1.0)));
}

class ConstantSchedule : public LrSchedule {
 public:
  explicit ConstantSchedule(double lr) : lr_(lr) {}
  double lr() const override { return lr_; }
  nlohmann::json state() const override { return nlohmann::json::object(); }
  void restore(const nlohmann::json&) override {}

 private:
  double lr_;
};

// torch.optim.lr_scheduler.ReduceLROnPlateau(mode="min", threshold=1e-4, rel).
class PlateauSchedule : public LrSchedule {
 public:
  explicit PlateauSchedule(const ScheduleSetup& s) : setup_(s), lr_(s.base_lr) {}
  double lr() const override { return lr_; }
  void after_epoch(double val_loss) override {
    if (val_loss < best_ * (1.0 - 1e-4)) {
      best_ = val_loss;
      bad_epochs_ = 0;
    } else if (++bad_epochs_ > setup_.plateau_patience) {
      lr_ = std::max(lr_ * setup_.plateau_factor, setup_.min_lr);
      bad_epochs_ = 0;
    }
  }
  nlohmann::json state() const override { return {{"lr", lr_}, {"best", best_}, {"bad_epochs", bad_epochs_}}; }
  void restore(const nlohmann::json& j) override {
    lr_ = j.at("lr").get<double>();
    best_ = j.at("best").get<double>();
    bad_epochs_ = j.at("bad_epochs").get<int>();
  }

 private:
  ScheduleSetup setup_;
  double lr_;
  double best_ = INFINITY;
  int bad_epochs_ = 0;
};

// Per-step schedules (onecycle, cosine) are functions of the step count alone.
class StepSchedule : public LrSchedule {
 public:
  explicit StepSchedule(const ScheduleSetup& s) : setup_(s) {}
  double lr() const override {
    const double total = static_cast<double>(std::max<int64_t>(setup_.total_steps, 1));
    const double t = static_cast<double>(step_);
    if (setup_.kind == "cosine") return cosine_between(setup_.base_lr, setup_.min_lr, t / total);
    // torch's OneCycleLR (cosine): max_lr/25 up to max_lr at step pct_start*total - 1,
    // then down to (max_lr/25)/1e4 at the last step.
    const double initial = setup_.max_lr / 25.0, final_lr = initial / 1e4;
    const double peak = std::max(1.0, setup_.pct_start * total - 1.0), last = std::max(peak + 1.0, total - 1.0);
    if (t <= peak) return cosine_between(initial, setup_.max_lr, t / peak);
    return cosine_between(setup_.max_lr, final_lr, (t - peak) / (last - peak));
  }
  void after_step() override { ++step_; }
  nlohmann::json state() const override { return {{"step", step_}}; }
  void restore(const nlohmann::json& j) override { step_ = j.at("step").get<int64_t>(); }

 private:
  ScheduleSetup setup_;
  int64_t step_ = 0;
};

}  // namespace

std::unique_ptr<LrSchedule> make_schedule(const ScheduleSetup& setup) {
  if (setup.kind == "none") return std::make_unique<ConstantSchedule>(setup.base_lr);
  if (setup.kind == "plateau") return std::make_unique<PlateauSchedule>(setup);
  if (setup.kind == "onecycle" || setup.kind == "cosine") return std::make_unique<StepSchedule>(setup);
  throw std::invalid_argument("unknown scheduler '" + setup.kind + "' (none, plateau, onecycle, cosine)");
}

}  // namespace genre::train
