// Data-parallel gradient averaging as PyTorch's DDP does it: the trainable
// parameters are grouped in buckets (first in reverse definition order, after
// the first step in the order rank 0 saw the gradients come, as DDP rebuilds
// its buckets); a gradient hook copies each gradient into its bucket as soon
// as autograd has it, and a full bucket's all-reduce starts at once,
// overlapping the rest of the backward pass. Buckets are launched strictly in
// index order so every rank issues the same sequence of collectives.
// finish() waits, and leaves sum / world_size in every .grad.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "train/process_group.h"

namespace genre::train {

class GradientSync {
 public:
  // bucket_bytes: DDP's bucket_cap_mb; the first bucket is kept small (1 MiB)
  // so that communication starts early in the backward pass.
  GradientSync(ProcessGroup& group, std::vector<at::Tensor> parameters, std::size_t bucket_bytes = 8u << 20);
  ~GradientSync();  // removes the hooks
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  void begin();  // before backward
  // After backward: launches the buckets no gradient filled (zeros: a
  // parameter this rank's batch did not reach), waits for every all-reduce and
  // writes the mean gradients. Returns the seconds spent waiting here (the
  // communication the backward pass did not hide).
  double finish();
  std::size_t buckets() const;
  std::size_t launched() const;  // all-reduces started this step

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace genre::train
