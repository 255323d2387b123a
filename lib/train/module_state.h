// The tensors of a TorchScript model by name (parameters and buffers, the
// names torchvision's state_dict uses), and the two-stage weight transfer.
#pragma once

#include <torch/script.h>

#include <string>
#include <utility>
#include <vector>

namespace genre::train {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

NamedTensors named_tensors(const torch::jit::Module& module);  // parameters, then buffers

struct TransferReport {
  std::vector<std::string> copied, reinitialised;  // reinitialised: head tensors and tensors of another shape
};
// Copies into `to` every tensor of `from` with the same name and shape, except
// those under `head_prefixes` (the new head keeps its fresh initialisation).
TransferReport transfer_matching(const torch::jit::Module& from, torch::jit::Module& to,
                                 const std::vector<std::string>& head_prefixes);

// Freezes (requires_grad = false) every parameter up to and including the
// block `name` (e.g. "layer4.0"), in definition order. Returns the trainable
// parameters. Throws std::invalid_argument when no parameter is under `name`.
std::vector<at::Tensor> freeze_up_to(torch::jit::Module& module, const std::string& name);

}  // namespace genre::train
