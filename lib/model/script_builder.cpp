#include "model/script_builder.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace genre::model::detail {

ScriptBuilder::ScriptBuilder() : cu_(std::make_shared<torch::jit::CompilationUnit>()) {}

torch::jit::Module ScriptBuilder::module(const std::string& kind) {
  torch::jit::Module m(c10::QualifiedName("__torch__.genre_model." + kind), cu_,
                       /*shouldMangle=*/true);
  m.register_attribute("training", c10::BoolType::get(), true);
  return m;
}

void add_parameter(torch::jit::Module& m, const std::string& name, const at::Tensor& value) {
  m.register_parameter(name, value.detach().requires_grad_(true), /*is_buffer=*/false);
}

at::Tensor tensor_of(const torch::jit::Module& m, const std::string& name) { return m.attr(name).toTensor(); }

std::string fill(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') {
      out += text[i];
      continue;
    }
    const size_t end = text.find('}', i);
    if (end == std::string::npos) throw std::logic_error("unclosed placeholder in: " + text);
    const std::string key = text.substr(i + 1, end - i - 1);
    const auto it = values.find(key);
    if (it == values.end()) throw std::logic_error("no value for placeholder {" + key + "}");
    out += it->second;
    i = end;
  }
  return out;
}

void define(torch::jit::Module& m, const std::string& text, const std::map<std::string, std::string>& values) {
  m.define(fill(text, values));
}

std::string int_list(const std::vector<int64_t>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

std::string float_literal(double value) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  std::string out = buf;
  if (out.find_first_of(".eEn") == std::string::npos) out += ".0";  // 1 -> 1.0: a float, not an int
  return out;
}

std::string string_literal(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string child(const std::string& path) {
  std::string out = "self";
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = std::min(path.find('.', start), path.size());
    const std::string name = path.substr(start, dot - start);
    const bool identifier = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
    out = identifier ? out + "." + name : "getattr(" + out + ", " + string_literal(name) + ")";
    start = dot + 1;
  }
  return out;
}

std::string dropout(const std::string& expr, double p) {
  if (p == 0) return expr;
  return "torch.dropout(" + expr + ", " + float_literal(p) + ", self.training)";
}

std::string prepare_input_method(const std::string& model_name, int64_t channels, int64_t height, int64_t width,
                                 bool repeat_to_rgb) {
  const std::string message = "genre model '" + model_name + "' expects input [N, " + std::to_string(channels) + ", " +
                              std::to_string(height) + ", " + std::to_string(width) + "]";
  return fill(R"(
def prepare_input(self, x: Tensor) -> Tensor:
    assert x.dim() == 4 and x.size(1) == {c} and x.size(2) == {h} and x.size(3) == {w}, {message}
    return {result}
)",
              {{"c", std::to_string(channels)},
               {"h", std::to_string(height)},
               {"w", std::to_string(width)},
               {"message", string_literal(message)},
               {"result", repeat_to_rgb ? "x.expand(-1, 3, -1, -1)" : "x"}});
}

}  // namespace genre::model::detail
