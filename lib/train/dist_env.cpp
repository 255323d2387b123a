#include "train/dist_env.h"

#include <cstdlib>
#include <stdexcept>

namespace genre::train {

namespace {

// The first of `names` that is set, as a non-negative integer; `fallback` when none is.
int integer_variable(const std::function<const char*(const char*)>& lookup, std::initializer_list<const char*> names,
                     int fallback) {
  for (const char* name : names) {
    const char* v = lookup(name);
    if (!v || !*v) continue;
    char* end = nullptr;
    const long value = std::strtol(v, &end, 10);
    if (*end != '\0' || value < 0 || value > 1 << 20)
      throw std::invalid_argument(std::string(name) + "='" + v + "' is not a non-negative integer");
    return static_cast<int>(value);
  }
  return fallback;
}

}  // namespace

DistEnv dist_env_from(const std::function<const char*(const char*)>& lookup) {
  DistEnv env;
  env.world_size = integer_variable(lookup, {"WORLD_SIZE", "SLURM_NTASKS"}, 1);
  if (env.world_size < 1) throw std::invalid_argument("WORLD_SIZE must be at least 1");
  if (!env.distributed()) return env;
  env.rank = integer_variable(lookup, {"RANK", "SLURM_PROCID"}, -1);
  env.local_rank = integer_variable(lookup, {"LOCAL_RANK", "SLURM_LOCALID"}, 0);
  if (env.rank < 0) throw std::invalid_argument("WORLD_SIZE is " + std::to_string(env.world_size) + " but RANK is not set");
  if (env.rank >= env.world_size)
    throw std::invalid_argument("RANK " + std::to_string(env.rank) + " is outside WORLD_SIZE " +
                                std::to_string(env.world_size));
  const char* addr = lookup("MASTER_ADDR");
  if (!addr || !*addr) throw std::invalid_argument("a distributed run (WORLD_SIZE > 1) needs MASTER_ADDR");
  env.master_addr = addr;
  env.master_port = integer_variable(lookup, {"MASTER_PORT"}, 0);
  if (env.master_port < 1 || env.master_port > 65535)
    throw std::invalid_argument("a distributed run (WORLD_SIZE > 1) needs MASTER_PORT in 1..65535");
  return env;
}

DistEnv dist_env_from_environment() {
  return dist_env_from([](const char* name) { return static_cast<const char*>(std::getenv(name)); });
}

}  // namespace genre::train
