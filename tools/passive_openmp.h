// LibTorch's intra-op threads are OpenMP (libgomp) threads, which by default spin for a
// while at every barrier. When another process holds one of the cores (a shared machine, a
// build, a second job) a spinning thread waits for a descheduled one at each op: cnn training
// with 2 threads on 2 busy cores dropped from ~1300 to ~80 samples/s; with passive waiting it
// kept ~1300. libgomp reads OMP_WAIT_POLICY only when it is loaded, before main, so the tool
// sets it and re-executes itself once. A user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT wins.
#pragma once

#include <unistd.h>

#include <cstdlib>

namespace genre::tools {

inline void use_passive_openmp_waiting(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: then run with spinning threads
}

}  // namespace genre::tools
