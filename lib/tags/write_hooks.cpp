#include "tags/write_hooks.h"

#include <signal.h>

#include <atomic>
#include <cstdlib>

namespace genre::tags {
namespace {

std::function<void(WriteStep)>& hook() {
  static std::function<void(WriteStep)> h;
  return h;
}

std::atomic<std::int64_t>& enospc_budget() {
  static std::atomic<std::int64_t> budget{[] {
    const char* env = std::getenv("GENRE_TAGS_FAIL_ENOSPC_AFTER_BYTES");
    return env ? std::strtoll(env, nullptr, 10) : std::int64_t(-1);
  }()};
  return budget;
}

}  // namespace

std::string step_name(WriteStep step) {
  switch (step) {
    case WriteStep::kTempCreated: return "temp-created";
    case WriteStep::kCopying: return "copying";
    case WriteStep::kCopied: return "copied";
    case WriteStep::kEdited: return "edited";
    case WriteStep::kSynced: return "synced";
    case WriteStep::kRenamed: return "renamed";
  }
  return "unknown";
}

namespace testing {

void set_step_hook(std::function<void(WriteStep)> h) { hook() = std::move(h); }

void set_enospc_after_bytes(std::int64_t bytes) { enospc_budget().store(bytes); }

}  // namespace testing

void reached(WriteStep step) {
  if (hook()) hook()(step);
  const char* stop_at = std::getenv("GENRE_TAGS_STOP_AT");
  if (stop_at && step_name(step) == stop_at) ::raise(SIGSTOP);
}

bool write_budget_allows(std::size_t bytes) {
  auto& budget = enospc_budget();
  if (budget.load() < 0) return true;
  const std::int64_t left = budget.fetch_sub(static_cast<std::int64_t>(bytes));
  if (left >= static_cast<std::int64_t>(bytes)) return true;
  budget.store(0);
  return false;
}

}  // namespace genre::tags
