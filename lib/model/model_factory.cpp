#include "model/model_factory.h"

#include <algorithm>
#include <stdexcept>

#include "model/architectures.h"

namespace genre::model {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string head_list(const std::vector<int64_t>& heads) {
  std::string out = "{";
  for (size_t i = 0; i < heads.size(); ++i) out += (i ? ", " : "") + std::to_string(heads[i]);
  return out + "}";
}

// What every architecture needs; each builder then checks the input size it can take.
void check_common(const ModelSpec& spec) {
  const auto names = model_names();
  if (std::find(names.begin(), names.end(), spec.name) == names.end())
    throw std::invalid_argument("unknown model '" + spec.name + "' (known: " + joined(names) + ")");
  const std::string& n = spec.name;
  if (spec.channels != 1 && spec.channels != 3)
    throw std::invalid_argument(n + ": channels must be 1 (grey) or 3 (colour), got " + std::to_string(spec.channels));
  if (spec.height < 1 || spec.width < 1)
    throw std::invalid_argument(n + ": bad input size " + std::to_string(spec.height) + "x" +
                                std::to_string(spec.width));
  if (n == "multihead") {
    if (spec.heads.empty()) throw std::invalid_argument("multihead needs at least one head (classes per level)");
    if (!detail::is_resnet(spec.trunk) && spec.trunk != "shortchunk")
      throw std::invalid_argument("multihead: unknown trunk '" + spec.trunk +
                                  "' (known: resnet18, resnet34, resnet50, resnet101, shortchunk)");
    if (spec.head_kind != "linear" && spec.head_kind != "mlp" && spec.head_kind != "sequential")
      throw std::invalid_argument("multihead: unknown head kind '" + spec.head_kind + "' (linear, mlp, sequential)");
  } else if (spec.head_kind != "linear") {
    throw std::invalid_argument(n + ": head kind '" + spec.head_kind + "' applies to multihead only");
  } else if (spec.heads.size() != 1) {
    throw std::invalid_argument(n + " has one head: the head list must have exactly one entry, got " +
                                head_list(spec.heads));
  }
  for (int64_t classes : spec.heads)
    if (classes < 1)
      throw std::invalid_argument(n + ": every head needs at least 1 class, got " + head_list(spec.heads));
  if (!(spec.head_dropout >= 0 && spec.head_dropout < 1))
    throw std::invalid_argument(n + ": head dropout must be in [0, 1), got " + std::to_string(spec.head_dropout));
  if (n == "gru" && spec.gru_hidden < 1)
    throw std::invalid_argument("gru: hidden size must be positive, got " + std::to_string(spec.gru_hidden));
  const bool shortchunk = n == "shortchunk" || (n == "multihead" && spec.trunk == "shortchunk");
  if (shortchunk && (spec.base_channels < 1 || spec.base_channels > 64))
    throw std::invalid_argument("shortchunk: base channels must be in [1, 64], got " + std::to_string(spec.base_channels));
  const bool rgb_stem = detail::is_resnet(n) || detail::is_vit(n) || (n == "multihead" && !shortchunk);
  if (spec.repeat_gray && !rgb_stem)
    throw std::invalid_argument(n + ": repeat_gray applies to the resnet, vit and multihead models only (multihead: with a resnet trunk)");
  if (spec.repeat_gray && spec.channels != 1)
    throw std::invalid_argument(n + ": repeat_gray needs a 1-channel input, got " + std::to_string(spec.channels));
}

}  // namespace

namespace detail {

std::vector<std::string> head_prefixes_of(const ModelSpec& spec) {
  const std::string& name = spec.name;
  if (name == "cnn") return {"fc3."};
  if (name == "multihead" && spec.head_kind == "mlp") return {"shared.", "heads."};
  if (name == "multihead") return {"heads."};
  if (is_vit(name)) return {"heads.head."};
  return {"fc."};  // resnet, gru, shortchunk, panns_* (whose fc1 is trunk: PANNs' embedding layer)
}

}  // namespace detail

std::vector<std::string> model_names() {
  return {"cnn",      "resnet18", "resnet34",  "resnet50",   "resnet101",   "vit_b16",
          "vit_ti16", "gru",      "multihead", "shortchunk", "panns_cnn14", "panns_mobilenetv2"};
}

BuiltModel build_model(const ModelSpec& spec) {
  check_common(spec);
  if (spec.name == "cnn") return detail::build_cnn(spec);
  if (spec.name == "gru") return detail::build_gru(spec);
  if (spec.name == "shortchunk") return detail::build_shortchunk(spec);
  if (spec.name == "panns_cnn14") return detail::build_panns_cnn14(spec);
  if (spec.name == "panns_mobilenetv2") return detail::build_panns_mobilenetv2(spec);
  if (spec.name == "multihead") return detail::build_multihead(spec);
  if (detail::is_vit(spec.name)) return detail::build_vit(spec);
  return detail::build_resnet(spec);
}

}  // namespace genre::model
