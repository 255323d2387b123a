#include "model/bundle.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <ostream>

#include "model/checked_output.h"

namespace genre::model {

using nlohmann::json;

namespace {

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void save_bundle(torch::jit::Module module, const BundleInfo& info, const std::string& path) {
  const std::string text = info.to_json().dump(1);
  if (module.hasattr("bundle_json"))
    module.setattr("bundle_json", text);
  else
    module.register_attribute("bundle_json", c10::StringType::get(), text);
  const std::string tmp = path + ".partial";
  try {
    CheckedOutputFile file(tmp);
    std::ostream out(file.streambuf());
    module.save(out, {{kBundleExtraFile, text}});
    file.finish();  // a full disk is reported here, not as std::terminate inside LibTorch
  } catch (const c10::Error& e) {
    throw BundleError(path + ": cannot write the bundle: " + e.what_without_backtrace());
  } catch (const std::runtime_error& e) {
    throw BundleError(path + ": cannot write the bundle: " + e.what());
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw BundleError(path + ": cannot rename the finished bundle into place");
  }
  const auto dir = std::filesystem::path(path).parent_path();
  fsync_path(dir.empty() ? "." : dir.string(), O_RDONLY | O_DIRECTORY);
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
