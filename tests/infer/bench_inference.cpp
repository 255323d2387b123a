// Per-window inference latency, batch 1, 2 threads: the Classifier (as saved,
// frozen, frozen + optimize_for_inference, and auto: the faster of the two
// timed at load, the element's default) against PyTorch eager in Python on
// the same model and weights, measured in the same run. Models: the small CNN
// at 128x128x1 and ResNet-18 at 224x224x3, 103 classes, built by
// build_model and written by save_bundle.
//
// usage: bench_inference PYTHON bench_eager.py [WINDOWS_CNN WINDOWS_RESNET]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "infer/classifier.h"
#include "model/bundle.h"
#include "model/model_factory.h"

namespace fs = std::filesystem;
using genre::infer::Classifier;
using genre::infer::ClassifierOptions;
using genre::infer::Optimization;

namespace {

constexpr int kThreads = 2;
constexpr int kClasses = 103;

struct Latency {
  double p50_ms = 0, p99_ms = 0;
};

std::string write_bundle(const fs::path& dir, const std::string& name, int64_t c, int64_t h, int64_t w) {
  torch::manual_seed(42);
  genre::model::ModelSpec spec;
  spec.name = name;
  spec.channels = c;
  spec.height = h;
  spec.width = w;
  spec.heads = {kClasses};
  genre::model::BuiltModel built = genre::model::build_model(spec);
  built.module.eval();
  genre::model::BundleInfo info;
  info.model = name;
  info.regime = "standard";
  info.heads = {"fine"};
  info.input_shape = {c, h, w};
  for (int i = 0; i < kClasses; ++i) info.classes.fine.push_back({i, "genre" + std::to_string(i), i + 1, -1});
  info.preprocessing = nlohmann::json::object();
  const std::string path = (dir / (name + ".pt")).string();
  genre::model::save_bundle(built.module, info, path);
  return path;
}

Latency measure(Classifier& c, int windows) {
  std::vector<float> image(c.description().image_floats());
  for (size_t i = 0; i < image.size(); ++i) image[i] = float((i * 2654435761u) % 1000) / 1000.0f;
  std::vector<double> ms;
  ms.reserve(size_t(windows));
  for (int i = 0; i < windows; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    c.classify({image.data()});
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]};
}

Latency python_eager(const std::string& python, const std::string& script, const std::string& bundle,
                     const std::string& name, int windows) {
  const std::string cmd = python + " " + script + " " + bundle + " " + name + " " + std::to_string(kThreads) + " " +
                          std::to_string(windows);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe.get())) out += buf;
  try {
    const auto j = nlohmann::json::parse(out);
    return {j.at("p50_ms").get<double>(), j.at("p99_ms").get<double>()};
  } catch (const std::exception&) {
    std::fprintf(stderr, "python eager baseline failed: %s\n", out.c_str());
    return {};
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_inference PYTHON bench_eager.py [WINDOWS_CNN WINDOWS_RESNET]\n");
    return 2;
  }
  const std::string python = argv[1], script = argv[2];
  const int windows_cnn = argc > 3 ? std::atoi(argv[3]) : 2000;
  const int windows_resnet = argc > 4 ? std::atoi(argv[4]) : 150;
  const fs::path dir = fs::temp_directory_path() / ("genre-bench-inference-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Case { std::string name; int64_t c, h, w; int windows; };
  int failures = 0;
  for (const Case& m : {Case{"cnn", 1, 128, 128, windows_cnn}, Case{"resnet18", 3, 224, 224, windows_resnet}}) {
    const std::string bundle = write_bundle(dir, m.name, m.c, m.h, m.w);
    const Latency eager = python_eager(python, script, bundle, m.name, m.windows);
    std::printf("%s %ldx%ldx%ld, batch 1, %d threads, %d windows\n", m.name.c_str(), long(m.h), long(m.w), long(m.c),
                kThreads, m.windows);
    std::printf("  %-34s p50 %8.3f ms  p99 %8.3f ms\n", "PyTorch eager (Python), baseline", eager.p50_ms, eager.p99_ms);
    double best = 0;
    for (Optimization level : {Optimization::None, Optimization::Freeze, Optimization::Optimize, Optimization::Auto}) {
      ClassifierOptions o;
      o.model_path = bundle;
      o.threads = kThreads;
      o.optimization = level;
      Classifier c(o);
      const Latency l = measure(c, m.windows);
      const std::string label = std::string("Classifier, ") + to_string(level) +
                                (c.optimization() != level ? std::string(" -> ") + to_string(c.optimization()) : "");
      std::printf("  %-34s p50 %8.3f ms  p99 %8.3f ms   p50 %.2fx eager's time\n", label.c_str(), l.p50_ms, l.p99_ms,
                  eager.p50_ms > 0 ? l.p50_ms / eager.p50_ms : 0.0);
      if (level == Optimization::Auto) best = l.p50_ms;  // the element's default
    }
    if (eager.p50_ms <= 0) ++failures;
    std::printf("  default (auto) vs eager: %s\n", best < eager.p50_ms ? "faster" : "NOT faster");
  }
  fs::remove_all(dir);
  return failures ? 1 : 0;
}
