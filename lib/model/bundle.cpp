#include "model/bundle.h"

#include <filesystem>

#include "base/atomic_file.h"
#include "base/file_sync.h"

namespace genre::model {

using nlohmann::json;

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
