// The collective operations of a data-parallel run on PyTorch's c10d engine:
// a TCPStore rendezvous at MASTER_ADDR:MASTER_PORT (rank 0 serves it), then
// ProcessGroupGloo on the CPU, or ProcessGroupNCCL for CUDA tensors where the
// LibTorch was built with it. Every failure (a peer that died, a timeout)
// comes out as std::runtime_error with one line.
#pragma once

#include <ATen/core/Tensor.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "train/dist_env.h"

namespace genre::train {

class ProcessGroup {
 public:
  // Blocks until all ranks have joined or `timeout` passed. `cuda`: the
  // tensors will live on this rank's GPU (NCCL where built with it).
  ProcessGroup(const DistEnv& env, std::chrono::milliseconds timeout, bool cuda);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return env_.rank; }
  int size() const { return env_.world_size; }
  std::string backend() const;

  // An operation under way; wait() rethrows its failure as std::runtime_error.
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual void wait() = 0;
  };

  void broadcast(std::vector<at::Tensor>& tensors, int root = 0);  // in place
  void allreduce_sum(at::Tensor& tensor);                          // in place
  std::unique_ptr<Pending> allreduce_sum_async(at::Tensor& tensor);
  // Every rank's `tensor` (same shape on all), in rank order.
  std::vector<at::Tensor> allgather(const at::Tensor& tensor);
  // The bytes of the file at `path` as rank `root` reads them (nullopt: no
  // such file there), on every rank: the run directory need not be shared.
  std::optional<std::string> share_file(const std::string& path, int root = 0);
  // True on every rank when `ok` is true on every rank.
  bool all_agree(bool ok);
  void barrier();

  // Throws `what` (a c10d error) as a one-line std::runtime_error saying the group failed.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  struct Impl;
  DistEnv env_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Impl> impl_;
};

// The one-line text of a c10d / Gloo error (their what() carries a backtrace).
std::string first_line(const std::string& text);

}  // namespace genre::train
