#include "model/bundle.h"

#include <filesystem>

#include "base/atomic_file.h"
#include "base/file_sync.h"
#include "shard/shard_error.h"

namespace genre::model {

using nlohmann::json;

namespace {

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
  return j;
}

BundleInfo BundleInfo::from_json(const json& j, const std::string& origin) {
  if (!j.is_object() || j.value("format", "") != kBundleFormat)
    throw BundleError(origin + ": not a genre model bundle (no '" + std::string(kBundleFormat) + "' format tag)");
  const json& version = require(j, "version", origin);
  if (!version.is_number_integer() || version.get<int>() < 1 || version.get<int>() > kBundleVersion)
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
  try {
    info.heads = heads.get<std::vector<std::string>>();
    info.input_shape = shape.get<std::vector<int64_t>>();
  } catch (const json::exception&) {
    throw BundleError(origin + ": bundle 'heads' or 'input_shape' has the wrong type");
  }
  if (info.input_shape.size() != 3)
    throw BundleError(origin + ": bundle input_shape must be [C, H, W]");
  for (int64_t d : info.input_shape)
    if (d <= 0) throw BundleError(origin + ": bundle input_shape has a non-positive size");
  info.multi_label = j.value("multi_label", false);
  try {
    info.classes = shard::classes_from_json(require(j, "classes", origin), origin);
  } catch (const shard::ShardError& e) {
    throw BundleError(e.what());
  }
  if (info.target_classes().empty()) throw BundleError(origin + ": bundle has no " + info.target + " classes");
  info.preprocessing = require(j, "preprocessing", origin);
  if (!info.preprocessing.is_object()) throw BundleError(origin + ": bundle 'preprocessing' is not an object");
  info.manifest_sha256 = j.value("manifest_sha256", "");
  info.training = j.value("training", json::object());
  if (j.contains("inference")) {
    const json& hop = j["inference"].is_object() ? j["inference"].value("hop_seconds", json()) : json();
    if (!hop.is_number() || !(hop.get<double>() > 0))
      throw BundleError(origin + ": bundle 'inference.hop_seconds' must be a positive number of seconds");
    info.inference_hop_seconds = hop.get<double>();
  }
  return info;
}

void save_bundle(torch::jit::Module module, const BundleInfo& info, const std::string& path) {
  const std::string text = info.to_json().dump(1);
  if (module.hasattr("bundle_json"))
    module.setattr("bundle_json", text);
  else
    module.register_attribute("bundle_json", c10::StringType::get(), text);
  try {
    write_file_atomically_with(path, [&module, &text](AtomicFileOutput& file) {
      // A full disk surfaces after save returns, never as std::terminate inside LibTorch.
      module.save(file.stream(), {{kBundleExtraFile, text}});
    }, 0644);
  } catch (const c10::Error& e) {
    throw BundleError(path + ": cannot write the bundle: " + e.what_without_backtrace());
  } catch (const FileError& e) {
    throw BundleError(e.what());
  } catch (const std::runtime_error& e) {
    throw BundleError(path + ": cannot write the bundle: " + e.what());
  }
}

LoadedBundle load_bundle(const std::string& path, const c10::Device& device) {
  if (!std::filesystem::is_regular_file(path)) throw BundleError(path + ": no such model file");
  torch::jit::ExtraFilesMap extra{{kBundleExtraFile, ""}};
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, device, extra);
  } catch (const c10::Error& e) {
    throw BundleError(path + ": not a readable TorchScript archive (truncated or corrupt?): " +
                      e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw BundleError(path + ": not a readable TorchScript archive (truncated or corrupt?): " + e.what());
  }
  const std::string& text = extra[kBundleExtraFile];
  if (text.empty())
    throw BundleError(path + ": a TorchScript archive, but not a genre model bundle (no " +
                      std::string(kBundleExtraFile) + ")");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception&) {
    throw BundleError(path + ": " + kBundleExtraFile + " is not valid JSON");
  }
  LoadedBundle bundle{std::move(module), BundleInfo::from_json(j, path)};
  if (!bundle.module.find_method("forward") || !bundle.module.find_method("forward_heads"))
    throw BundleError(path + ": bundle module lacks forward/forward_heads");
  return bundle;
}

}  // namespace genre::model
