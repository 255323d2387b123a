// Building blocks for models made directly as TorchScript modules in C++.
#pragma once

#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace genre::model::detail {

// Creates the modules of one model in one CompilationUnit. Every module gets a class of its
// own (the name is mangled when taken: __torch__.genre_model.___torch_mangle_N.Conv2d), so
// modules of one kind with other shapes or constants baked into their code never clash, and
// two models built in one process never share a class.
class ScriptBuilder {
 public:
  ScriptBuilder();
  // A module of class `kind` with the `training` attribute module.train()/eval() set
  // (a jit::Module made in C++ has none), in training mode.
  torch::jit::Module module(const std::string& kind);

 private:
  std::shared_ptr<torch::jit::CompilationUnit> cu_;
};

// A trainable parameter (requires_grad = true).
void add_parameter(torch::jit::Module& m, const std::string& name, const at::Tensor& value);
// A tensor attribute (parameter or buffer) of m.
at::Tensor tensor_of(const torch::jit::Module& m, const std::string& name);

// Compiles TorchScript methods into m. `text` uses {key} placeholders filled from `values`
// (TorchScript source here has no braces of its own).
void define(torch::jit::Module& m, const std::string& text, const std::map<std::string, std::string>& values = {});
std::string fill(const std::string& text, const std::map<std::string, std::string>& values);

// TorchScript literals.
std::string int_list(const std::vector<int64_t>& values);  // "[2, 2]"
std::string float_literal(double value);                   // shortest round-trip, always a float
std::string string_literal(const std::string& text);       // "..." with quotes and \ escaped
// The submodule at a dotted path: "layer1.0" -> `getattr(self.layer1, "0")` (torchvision's
// Sequential children are named 0, 1, ..., which are not identifiers).
std::string child(const std::string& path);

// `torch.dropout(expr, p, self.training)`, or expr itself when p == 0.
std::string dropout(const std::string& expr, double p);

// A method `prepare_input(self, x)` that asserts x is [N, C, H, W] with the spec's C, H, W
// (the message names the model and the shape) and, with repeat_to_rgb, expands the single
// plane to 3 channels.
std::string prepare_input_method(const std::string& model_name, int64_t channels, int64_t height, int64_t width,
                                 bool repeat_to_rgb);

}  // namespace genre::model::detail
