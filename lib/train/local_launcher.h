// `genre-train --nproc N`: N ranks of the same command on this machine, as
// torchrun --standalone starts them: each child gets RANK, LOCAL_RANK,
// WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT.
// SIGINT/SIGTERM are passed on to the children; when one fails or dies, the
// others are stopped and the launcher says which rank and how.
#pragma once

#include <string>
#include <vector>

namespace genre::train {

// A TCP port free on 127.0.0.1 now (the kernel's pick).
int free_local_port();

// Runs `exe` with `args` (argv[1..], without --nproc) as `nproc` ranks and
// waits for them. Returns the exit status for the launcher: 0 when all
// succeeded, else the first failing rank's status (1 for a signal), after a
// one-line message on stderr. Throws std::runtime_error when it cannot start.
int launch_local_ranks(const std::string& exe, const std::vector<std::string>& args, int nproc);

}  // namespace genre::train
