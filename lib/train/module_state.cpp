#include "train/module_state.h"

#include <map>
#include <stdexcept>

namespace genre::train {

namespace {

bool under(const std::string& name, const std::string& prefix) {
  return name == prefix || name.rfind(prefix.back() == '.' ? prefix : prefix + ".", 0) == 0;
}

}  // namespace

NamedTensors named_tensors(const torch::jit::Module& module) {
  NamedTensors out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out.emplace_back(p.name, p.value);
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out.emplace_back(b.name, b.value);
  return out;
}

TransferReport transfer_matching(const torch::jit::Module& from, torch::jit::Module& to,
                                 const std::vector<std::string>& head_prefixes) {
  std::map<std::string, at::Tensor> source;
  for (auto& [name, t] : named_tensors(from)) source.emplace(name, t);
  TransferReport report;
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : named_tensors(to)) {
    bool head = false;
    for (const std::string& prefix : head_prefixes) head = head || under(name, prefix);
    auto it = source.find(name);
    if (head || it == source.end() || it->second.sizes() != t.sizes()) {
      report.reinitialised.push_back(name);
      continue;
    }
    t.copy_(it->second);
    report.copied.push_back(name);
  }
  return report;
}

std::vector<at::Tensor> freeze_up_to(torch::jit::Module& module, const std::string& name) {
  std::vector<std::pair<std::string, at::Tensor>> params;
  for (const auto& p : module.named_parameters(true)) params.emplace_back(p.name, p.value);
  size_t last = params.size();
  for (size_t i = 0; i < params.size(); ++i)
    if (under(params[i].first, name)) last = i;
  if (last == params.size())
    throw std::invalid_argument("--freeze: the model has no block named '" + name + "' (e.g. layer4.0, conv1)");
  std::vector<at::Tensor> trainable;
  for (size_t i = 0; i < params.size(); ++i) {
    params[i].second.set_requires_grad(i > last);
    if (i > last) trainable.push_back(params[i].second);
  }
  return trainable;
}

}  // namespace genre::train
