#include "train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize.h>

#include <filesystem>
#include <functional>
#include <stdexcept>

#include "base/atomic_file.h"
#include "train/module_state.h"

namespace genre::train {

using nlohmann::json;

namespace {

void write_weights(torch::serialize::OutputArchive& archive, const torch::jit::Module& model) {
  for (const auto& [name, t] : named_tensors(model)) archive.write(name, t.detach().cpu());
}

void read_weights(torch::serialize::InputArchive& archive, torch::jit::Module& model, const std::string& path) {
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : named_tensors(model)) {
    at::Tensor stored;
    if (!archive.try_read(name, stored))
      throw std::runtime_error(path + ": checkpoint has no tensor '" + name + "' (made for another model?)");
    if (stored.sizes() != t.sizes())
      throw std::runtime_error(path + ": checkpoint tensor '" + name + "' has another shape (made for another model?)");
    t.copy_(stored);
  }
}

// lib/base's atomic write: a reader never sees half a checkpoint, a kill keeps the previous one.
void write_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  try {
    write_file_atomically_with(path, [&archive](AtomicFileOutput& file) {
      // A full disk surfaces after save_to returns, never as std::terminate inside LibTorch.
      archive.save_to([&file](const void* data, size_t n) { return file.write(data, n); });
    }, 0644);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": cannot write checkpoint: " + e.what_without_backtrace());
  }
}

json state_to_json(const TrainerState& s) {
  return {{"next_epoch", s.next_epoch}, {"finished", s.finished}, {"best_val_loss", s.best_val_loss},
          {"best_epoch", s.best_epoch}, {"bad_epochs", s.bad_epochs}, {"schedule", s.schedule},
          {"grad_scale", s.grad_scale}, {"history", s.history}};
}

TrainerState state_from_json(const json& j) {
  TrainerState s;
  s.next_epoch = j.at("next_epoch").get<int>();
  s.finished = j.at("finished").get<bool>();
  s.best_val_loss = j.at("best_val_loss").is_number() ? j.at("best_val_loss").get<double>() : INFINITY;
  s.best_epoch = j.at("best_epoch").get<int>();
  s.bad_epochs = j.at("bad_epochs").get<int>();
  s.schedule = j.at("schedule");
  s.grad_scale = j.at("grad_scale").get<double>();
  s.history = j.at("history");
  return s;
}

}  // namespace

void save_checkpoint(const std::string& path, const torch::jit::Module& model, const Optimizer& optimizer,
                     const TrainerState& state) {
  torch::serialize::OutputArchive archive, weights, optim;
  write_weights(weights, model);
  archive.write("model", weights);
  optimizer.save(optim);
  archive.write("optimizer", optim);
  archive.write("rng_cpu", at::detail::getDefaultCPUGenerator().get_state());
  archive.write("state", c10::IValue(state_to_json(state).dump()));
  write_atomically(archive, path);
}

namespace {

TrainerState read_checkpoint(const std::function<void(torch::serialize::InputArchive&)>& open, const std::string& path,
                             torch::jit::Module& model, Optimizer& optimizer) {
  try {
    torch::serialize::InputArchive archive, weights, optim;
    open(archive);
    if (!archive.try_read("model", weights)) throw std::runtime_error(path + ": not a genre-train checkpoint");
    read_weights(weights, model, path);
    archive.read("optimizer", optim);
    optimizer.load(optim);
    at::Tensor rng;
    archive.read("rng_cpu", rng);
    at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle: copies share the state
    generator.set_state(rng.cpu());  // .cpu(): an archive read onto a GPU (see load_checkpoint_bytes)
    c10::IValue text;
    archive.read("state", text);
    return state_from_json(json::parse(text.toStringRef()));
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": unreadable checkpoint: " + e.what_without_backtrace());
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": checkpoint state is malformed: " + e.what());
  }
}

void read_weights_from(const std::function<void(torch::serialize::InputArchive&)>& open, const std::string& path,
                       torch::jit::Module& model) {
  try {
    torch::serialize::InputArchive archive;
    open(archive);
    read_weights(archive, model, path);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": unreadable weights: " + e.what_without_backtrace());
  }
}

}  // namespace

std::optional<TrainerState> load_checkpoint(const std::string& path, torch::jit::Module& model, Optimizer& optimizer) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  return read_checkpoint([&](torch::serialize::InputArchive& a) { a.load_from(path); }, path, model, optimizer);
}

TrainerState load_checkpoint_bytes(const std::string& bytes, const std::string& path, torch::jit::Module& model,
                                   Optimizer& optimizer) {
  // Onto this rank's device: rank 0 saved its optimiser state from its own GPU,
  // and Adam's moments must live beside this rank's parameters.
  c10::optional<c10::Device> device;
  for (const at::Tensor& p : model.parameters(true)) {
    device = p.device();
    break;
  }
  return read_checkpoint([&](torch::serialize::InputArchive& a) { a.load_from(bytes.data(), bytes.size(), device); },
                         path, model, optimizer);
}

void save_weights(const std::string& path, const torch::jit::Module& model) {
  torch::serialize::OutputArchive archive;
  write_weights(archive, model);
  write_atomically(archive, path);
}

void load_weights(const std::string& path, torch::jit::Module& model) {
  read_weights_from([&](torch::serialize::InputArchive& a) { a.load_from(path); }, path, model);
}

void load_weights_bytes(const std::string& bytes, const std::string& path, torch::jit::Module& model) {
  read_weights_from([&](torch::serialize::InputArchive& a) { a.load_from(bytes.data(), bytes.size()); }, path, model);
}

}  // namespace genre::train
