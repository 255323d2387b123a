#include "model/bundle_info.h"

#include <algorithm>

#include "shard/shard_error.h"

namespace genre::model {

using nlohmann::json;

namespace {

// Far above any spectrogram image (a side of 2^20 pixels), far below an overflow of C*H*W.
constexpr int64_t kMaxInputSize = int64_t(1) << 20;

const json& require(const json& j, const char* key, const std::string& origin) {
  if (!j.contains(key)) throw BundleError(origin + ": bundle has no '" + key + "'");
  return j[key];
}

std::string require_string(const json& j, const char* key, const std::string& origin) {
  const json& v = require(j, key, origin);
  if (!v.is_string()) throw BundleError(origin + ": bundle field '" + key + "' is not a string");
  return v.get<std::string>();
}

}  // namespace

const std::vector<shard::ClassEntry>& BundleInfo::target_classes() const {
  return target == "macro" ? classes.macro : classes.fine;
}

json BundleInfo::to_json() const {
  json j = {{"format", kBundleFormat},
          {"version", kBundleVersion},
          {"model", model},
          {"regime", regime},
          {"target", target},
          {"heads", heads},
          {"input_shape", input_shape},
          {"multi_label", multi_label},
          {"classes", shard::classes_to_json(classes)},
          {"preprocessing", preprocessing},
          {"manifest_sha256", manifest_sha256},
          {"training", training}};
  if (inference_hop_seconds > 0) j["inference"] = {{"hop_seconds", inference_hop_seconds}};
  if (tree.fine_classes() > 0) j["genre_tree"] = tree.to_json();
  return j;
}

BundleInfo BundleInfo::from_json(const json& j, const std::string& origin) {
  const bool tagged = j.is_object() && j.contains("format") && j["format"].is_string() &&
                      j["format"].get<std::string>() == kBundleFormat;
  if (!tagged)
    throw BundleError(origin + ": not a genre model bundle (no '" + std::string(kBundleFormat) + "' format tag)");
  const json& version = require(j, "version", origin);
  if (!version.is_number_integer() || version.get<int64_t>() < 1 || version.get<int64_t>() > kBundleVersion)
    throw BundleError(origin + ": bundle version " + version.dump() + " is not supported (this build reads " +
                      std::to_string(kBundleVersion) + ")");
  BundleInfo info;
  info.model = require_string(j, "model", origin);
  info.regime = require_string(j, "regime", origin);
  info.target = require_string(j, "target", origin);
  if (info.target != "fine" && info.target != "macro")
    throw BundleError(origin + ": bundle target must be 'fine' or 'macro', not '" + info.target + "'");
  const json& heads = require(j, "heads", origin);
  const json& shape = require(j, "input_shape", origin);
  // Integers only: nlohmann would cast 1e300 to int64_t (undefined behaviour).
  const bool integer_shape = shape.is_array() && std::all_of(shape.begin(), shape.end(), [](const json& d) {
    return d.is_number_integer() && d.get<int64_t>() > 0 && d.get<int64_t>() <= kMaxInputSize;
  });
  if (!integer_shape) throw BundleError(origin + ": bundle input_shape must hold positive integer sizes");
  try {
    info.heads = heads.get<std::vector<std::string>>();
    info.input_shape = shape.get<std::vector<int64_t>>();
  } catch (const json::exception&) {
    throw BundleError(origin + ": bundle 'heads' or 'input_shape' has the wrong type");
  }
  if (info.input_shape.size() != 3)
    throw BundleError(origin + ": bundle input_shape must be [C, H, W]");
  const json multi_label = j.value("multi_label", json(false));
  if (!multi_label.is_boolean()) throw BundleError(origin + ": bundle 'multi_label' is not true or false");
  info.multi_label = multi_label.get<bool>();
  try {
    info.classes = shard::classes_from_json(require(j, "classes", origin), origin);
  } catch (const shard::ShardError& e) {
    throw BundleError(e.what());
  }
  if (info.target_classes().empty()) throw BundleError(origin + ": bundle has no " + info.target + " classes");
  std::vector<int> fine_to_macro;
  for (const shard::ClassEntry& c : info.classes.fine) fine_to_macro.push_back(c.macro);
  try {
    info.tree = taxonomy::GenreTree::from_json(j.value("genre_tree", json()), fine_to_macro,
                                               static_cast<int>(info.classes.macro.size()), origin);
  } catch (const std::invalid_argument& e) {
    throw BundleError(e.what());
  }
  info.preprocessing = require(j, "preprocessing", origin);
  if (!info.preprocessing.is_object()) throw BundleError(origin + ": bundle 'preprocessing' is not an object");
  const json digest = j.value("manifest_sha256", json(""));
  if (!digest.is_string()) throw BundleError(origin + ": bundle 'manifest_sha256' is not a string");
  info.manifest_sha256 = digest.get<std::string>();
  info.training = j.value("training", json::object());
  if (!info.training.is_object()) throw BundleError(origin + ": bundle 'training' is not an object");
  if (j.contains("inference")) {
    const json& hop = j["inference"].is_object() ? j["inference"].value("hop_seconds", json()) : json();
    if (!hop.is_number() || !(hop.get<double>() > 0))
      throw BundleError(origin + ": bundle 'inference.hop_seconds' must be a positive number of seconds");
    info.inference_hop_seconds = hop.get<double>();
  }
  return info;
}

}  // namespace genre::model
