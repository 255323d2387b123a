// Learning-rate schedules of the reference setups, with their state as JSON so
// a resumed run continues exactly where it stopped. Plain arithmetic: the
// trainer applies lr() to its optimiser's parameter groups.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace genre::train {

struct ScheduleSetup {
  std::string kind = "none";    // none | plateau | onecycle | cosine
  double base_lr = 1e-3;
  double plateau_factor = 0.5;  // ReduceLROnPlateau on validation loss
  int plateau_patience = 1;
  double min_lr = 1e-7;
  double max_lr = 3e-3;         // onecycle peak
  double pct_start = 0.3;       // onecycle: share of the steps spent warming up
  int64_t total_steps = 1;      // onecycle and cosine: optimiser steps in the stage
};

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double lr() const = 0;
  virtual void after_step() {}                  // once per optimiser step
  virtual void after_epoch(double /*val_loss*/) {}
  virtual nlohmann::json state() const = 0;
  virtual void restore(const nlohmann::json& state) = 0;
};

// Throws std::invalid_argument for an unknown kind.
std::unique_ptr<LrSchedule> make_schedule(const ScheduleSetup& setup);

}  // namespace genre::train
