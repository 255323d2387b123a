// Where this process sits in a distributed training job, from the variables
// torchrun, PyTorchJob and the usual Slurm wrappers set: RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT (SLURM_PROCID, SLURM_NTASKS and
// SLURM_LOCALID stand in for the first three under a bare `srun`).
#pragma once

#include <functional>
#include <string>

namespace genre::train {

struct DistEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr;
  int master_port = 0;
  bool distributed() const { return world_size > 1; }
};

// `lookup` returns a variable's value or nullptr. World size 1 (or no
// variables) is the single-process run. Throws std::invalid_argument with a
// one-line message for values that are not numbers, a rank outside the world,
// or a distributed world without MASTER_ADDR/MASTER_PORT.
DistEnv dist_env_from(const std::function<const char*(const char*)>& lookup);
DistEnv dist_env_from_environment();

}  // namespace genre::train
