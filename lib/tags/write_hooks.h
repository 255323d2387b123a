// Test hooks into write_genre's replacement steps: a callback, a stop signal
// named by an environment variable, and an injected "disk full".
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace genre::tags {

// The points between write_genre's steps, in order. kCopying is reached after
// every copied chunk (64 KiB) but the last; kRenamed once the new file is in
// place (renamed, or written in place for a hard-linked file).
enum class WriteStep { kTempCreated, kCopying, kCopied, kEdited, kSynced, kRenamed };

// "temp-created", "copying", "copied", "edited", "synced", "renamed".
std::string step_name(WriteStep step);

namespace testing {

// Called at every step (nullptr: none). It may throw to simulate a failure
// there; write_genre then cleans up as for any error. Not thread-safe to set.
void set_step_hook(std::function<void(WriteStep)> hook);

// After `bytes` more bytes copied, writes fail with ENOSPC (negative: never).
// The environment variable GENRE_TAGS_FAIL_ENOSPC_AFTER_BYTES sets it at first use.
void set_enospc_after_bytes(std::int64_t bytes);

}  // namespace testing

// Internal to lib/tags. Runs the hook, then stops the process with SIGSTOP
// when the environment variable GENRE_TAGS_STOP_AT names `step` (so a test
// or a shell can kill -9 a process exactly there).
void reached(WriteStep step);
// Takes `bytes` from the injected-ENOSPC budget; false when it ran out.
bool write_budget_allows(std::size_t bytes);

}  // namespace genre::tags
