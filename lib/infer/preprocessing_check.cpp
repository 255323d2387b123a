#include "infer/preprocessing_check.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace genre::infer {

using nlohmann::json;
using params::Effect;
using namespace genre::image::specresize_param;

namespace {

std::string element_of(const std::string& params_name) {
  if (const params::TableDeclaration* table = parameter_table(params_name)) return table->element;
  const auto slash = params_name.find('/');
  const auto dash = params_name.rfind("-params");
  if (slash == std::string::npos || dash == std::string::npos || dash <= slash) return params_name;
  return params_name.substr(slash + 1, dash - slash - 1);
}

std::string show(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

bool same_value(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    return std::fabs(x - y) <= 1e-6 * std::max({1.0, std::fabs(x), std::fabs(y)});
  }
  return a == b;
}

unsigned uint_field(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number()) return 0;
  const double v = j[key].get<double>();
  return v > 0 ? unsigned(v) : 0;
}

std::string span_text(const json& params) {
  const unsigned window = uint_field(params, kWindowFrames);
  if (window > 0) return "sliding windows of window-frames=" + std::to_string(window);
  const unsigned max = uint_field(params, kMaxFrames);
  if (max > 0) return "one image per clip cut to max-frames=" + std::to_string(max);
  return "one image per whole clip (window-frames=0, max-frames=0)";
}

}  // namespace

const std::vector<const params::TableDeclaration*>& parameter_tables() {
  static const std::vector<const params::TableDeclaration*> tables = {&dsp::melspec_parameters(),
                                                                      &image::specresize_parameters()};
  return tables;
}

const params::TableDeclaration* parameter_table(const std::string& params_name) {
  for (const params::TableDeclaration* t : parameter_tables())
    if (params_name == t->record_name) return t;
  return nullptr;
}

unsigned image_span_frames(const json& params) {
  const unsigned window = uint_field(params, kWindowFrames);
  return window > 0 ? window : uint_field(params, kMaxFrames);
}

std::string check_preprocessing(const std::string& params_name, const json& upstream,
                                const json& bundle_preprocessing) {
  if (!bundle_preprocessing.is_object() || !bundle_preprocessing.contains(params_name)) return "";
  const json& expected = bundle_preprocessing[params_name];
  if (!expected.is_object()) return "";
  const std::string element = element_of(params_name);
  const params::TableDeclaration* table = parameter_table(params_name);
  auto declared = [&](const std::string& key) { return table ? table->find(key) : nullptr; };
  const bool has_span = table && std::any_of(table->declarations.begin(), table->declarations.end(),
                                             [](const params::Declaration* d) { return d->effect == Effect::Span; });
  if (has_span && image_span_frames(upstream) != image_span_frames(expected))
    return element + " makes " + span_text(upstream) + ", but the model was trained on " + span_text(expected) +
           ": the images would cover a different stretch of time";
  // The first difference in full, the causes before their consequences
  // (sample-rate before the fmax it implies); the others listed after it.
  std::vector<std::string> keys;
  if (table)
    for (const params::Declaration* d : table->declarations)
      if (d->named_first && expected.contains(d->name)) keys.emplace_back(d->name);
  for (const auto& item : expected.items())
    if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) keys.push_back(item.key());
  std::string first, others;
  for (const std::string& key : keys) {
    const params::Declaration* d = declared(key);
    if (d && !d->changes_model_input()) continue;
    if (d && d->effect == Effect::Span) continue;  // compared as the span
    const json& want = expected[key];
    if (!upstream.contains(key)) {
      if (first.empty())
        first = element + " does not report '" + key + "', which the model was trained with (" + key + "=" +
                show(want) + ")";
      else
        others += (others.empty() ? "" : ", ") + key + " (not reported)";
      continue;
    }
    if (same_value(upstream[key], want)) continue;
    if (first.empty())
      first = element + " " + key + "=" + show(upstream[key]) + ", but the model expects " + key + "=" + show(want);
    else
      others += (others.empty() ? "" : ", ") + key + "=" + show(upstream[key]) + " (model: " + show(want) + ")";
  }
  return others.empty() ? first : first + "; also different: " + others;
}

}  // namespace genre::infer
