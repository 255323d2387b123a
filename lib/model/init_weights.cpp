#include "model/init_weights.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cerrno>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "base/errno_text.h"
#include "model/architectures.h"

namespace genre::model {

namespace {

struct WeightsFile {
  std::string arch;
  std::vector<std::pair<std::string, at::Tensor>> tensors;  // file order
};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string shape_of(const at::Tensor& t) {
  std::string out = "[";
  for (int64_t d = 0; d < t.dim(); ++d) out += (d ? ", " : "") + std::to_string(t.size(d));
  return out + "]";
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

bool starts_with_any(const std::string& s, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (starts_with(s, p)) return true;
  return false;
}

WeightsFile read_weights(const std::string& path, const InitSource& source) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open (" + errno_text(errno) + ")");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string not_ours = path + ": not a weights file written by " + source.script;
  c10::IValue root;
  try {
    root = torch::jit::pickle_load(bytes);
  } catch (const std::exception& e) {
    throw std::runtime_error(not_ours + " (" + first_line(e.what()) + ")");
  }
  if (!root.isGenericDict()) throw std::runtime_error(not_ours + " (no dict at its root)");
  const c10::Dict<c10::IValue, c10::IValue> dict = root.toGenericDict();
  const auto field = [&](const char* key) {
    const auto it = dict.find(c10::IValue(std::string(key)));
    if (it == dict.end()) throw std::runtime_error(not_ours + " (no '" + key + "' entry)");
    return it->value();
  };
  const c10::IValue format = field("format");
  if (!format.isString() || format.toStringRef() != source.format)
    throw std::runtime_error(not_ours + " (wrong format tag" +
                             (format.isString() ? ": " + format.toStringRef() + ")" : ")"));
  const c10::IValue arch = field("arch"), state = field("state_dict");
  if (!arch.isString() || !state.isGenericDict())
    throw std::runtime_error(not_ours + " ('arch' is not a string or 'state_dict' not a dict)");
  WeightsFile file{arch.toStringRef(), {}};
  for (const auto& entry : state.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor())
      throw std::runtime_error(not_ours + " (state_dict holds something other than named tensors)");
    file.tensors.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
  }
  return file;
}

// torchvision's interpolate_embeddings for a grid of any shape: the patch rows of
// [1, 1 + g*g, E] resampled bicubically (align_corners) to rows x cols; the class row kept.
at::Tensor interpolate_position_embedding(const at::Tensor& pos, int64_t rows, int64_t cols, const std::string& where) {
  const int64_t hidden = pos.size(2), patches = pos.size(1) - 1;
  const auto grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(patches))));
  if (grid * grid != patches) throw std::runtime_error(where + ": its patch rows do not form a square grid");
  const at::Tensor image = pos.slice(1, 1).permute({0, 2, 1}).reshape({1, hidden, grid, grid});
  const at::Tensor resized = at::upsample_bicubic2d(image, {rows, cols}, /*align_corners=*/true);
  return at::cat({pos.slice(1, 0, 1), resized.reshape({1, hidden, rows * cols}).permute({0, 2, 1})}, 1);
}

}  // namespace

std::string torchvision_arch(const ModelSpec& spec) {
  if (detail::is_resnet(spec.name)) return spec.name;
  if (spec.name == "multihead" && detail::is_resnet(spec.trunk)) return spec.trunk;
  if (spec.name == "vit_b16") return "vit_b_16";
  if (spec.name == "vit_ti16") return "vit_ti16";
  throw std::invalid_argument("model '" + spec.name +
                              "' has no pretrained weights (--init applies to resnet*, vit_b16, vit_ti16, multihead with a resnet trunk, "
                              "panns_cnn14, panns_mobilenetv2)");
}

InitSource init_source(const ModelSpec& spec) {
  if (detail::is_panns(spec.name)) return {"genre-panns-weights", spec.name, "tools/export_panns_weights.py"};
  return {"genre-torchvision-weights", torchvision_arch(spec), "tools/export_torchvision_weights.py"};
}

InitReport load_init(torch::jit::Module& m, const ModelSpec& spec, const std::string& path) {
  const InitSource source = init_source(spec);
  const std::string& arch = source.arch;
  const WeightsFile file = read_weights(path, source);
  if (file.arch != arch)
    throw std::runtime_error(path + ": weights for " + file.arch + ", but the model is " + spec.name +
                             (spec.name == arch ? "" : " (" + arch + ")"));
  std::unordered_map<std::string, at::Tensor> by_name(file.tensors.begin(), file.tensors.end());
  const std::vector<std::string> heads = detail::head_prefixes_of(spec);
  const bool vit = detail::is_vit(spec.name);
  const std::string stem = vit ? "conv_proj.weight" : "conv1.weight";

  std::vector<std::pair<std::string, at::Tensor>> targets;
  for (const auto& p : m.named_parameters()) targets.emplace_back(p.name, p.value);
  for (const auto& b : m.named_buffers()) targets.emplace_back(b.name, b.value);

  InitReport report;
  std::set<std::string> used;
  at::NoGradGuard no_grad;
  for (const auto& [name, target] : targets) {
    const bool head = starts_with_any(name, heads);
    const auto it = by_name.find(name);
    if (it == by_name.end()) {
      if (head) {  // a head the file cannot have (multihead's, PANNs' new fc): keeps its initialisation
        report.fresh.push_back(name);
        continue;
      }
      throw std::runtime_error(path + ": no tensor '" + name + "' (" + file.arch + " weights, model " + spec.name +
                               ")");
    }
    used.insert(name);
    at::Tensor source = it->second;
    const std::string where = path + ": tensor '" + name + "'";
    if (!source.sizes().equals(target.sizes())) {
      if (head) {
        report.skipped.push_back(name + ": " + shape_of(source) + " in the file, " + shape_of(target) +
                                 " in the model (keeps its initialisation)");
        continue;
      }
      if (name == stem && target.dim() == 4 && target.size(1) == 1 && source.dim() == 4 && source.size(1) == 3 &&
          source.sum(1, true).sizes().equals(target.sizes())) {
        source = source.sum(1, true);
        report.adapted.push_back(name + ": RGB kernels summed");
      } else if (vit && name == "encoder.pos_embedding" && source.dim() == 3 && source.size(0) == 1 &&
                 source.size(2) == target.size(2)) {
        const int64_t rows = spec.height / 16, cols = spec.width / 16;
        source = interpolate_position_embedding(source, rows, cols, where);
        const auto grid = std::llround(std::sqrt(static_cast<double>(it->second.size(1) - 1)));
        report.adapted.push_back(name + ": " + std::to_string(grid) + "x" + std::to_string(grid) +
                                 " patch grid interpolated (bicubic) to " + std::to_string(rows) + "x" +
                                 std::to_string(cols));
      } else {
        throw std::runtime_error(where + " is " + shape_of(source) + ", the model needs " + shape_of(target));
      }
    }
    target.copy_(source);
    ++report.loaded;
  }
  const std::string file_head = vit ? "heads.head." : "fc.";
  for (const auto& [name, tensor] : file.tensors) {
    if (used.count(name)) continue;
    if (!starts_with(name, file_head))
      throw std::runtime_error(path + ": tensor '" + name + "' has no place in a " + spec.name + " model");
    report.skipped.push_back(name + ": not in this model (its heads are its own)");
  }
  return report;
}

}  // namespace genre::model
