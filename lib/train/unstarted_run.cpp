#include "train/unstarted_run.h"

#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace genre::train {

namespace fs = std::filesystem;

namespace {

// What genre-train writes at the top of a run directory before a first epoch ends. A stage
// directory without last.pt is started afresh by the next run anyway.
const char* const kRunFiles[] = {"config.json", "dataset.json", "splits.json", "metrics.csv", "metrics.jsonl"};

}  // namespace

bool run_completed_an_epoch(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(fs::path(dir) / "model.pt", ec)) return true;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == "last.pt" || name == "model.pt") return true;
  }
  return false;
}

int clear_unstarted_run(const std::string& dir) {
  int removed = 0;
  for (const char* name : kRunFiles) {
    const fs::path p = fs::path(dir) / name;
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(p, ec))) continue;
    fs::remove_all(p, ec);
    if (ec) throw std::runtime_error(p.string() + ": cannot remove what a failed run left: " + ec.message());
    ++removed;
  }
  return removed;
}

bool run_started_training(const std::string& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->path().filename() == "stages" && it->is_directory(ec)) return true;
  return false;
}

void forget_failed_run(const std::string& dir) noexcept {
  try {
    if (!dir.empty() && !run_completed_an_epoch(dir) && !run_started_training(dir)) clear_unstarted_run(dir);
  } catch (...) {
  }
}

}  // namespace genre::train
