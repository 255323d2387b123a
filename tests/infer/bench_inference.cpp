// Per-window inference latency, batch 1, 2 threads: the Classifier (as saved,
// frozen, frozen + optimize_for_inference, and auto: the faster of the two
// timed at load, the element's default) against PyTorch eager in Python on
// the same model and weights, measured in the same run. Models: the small CNN
// at 128x128x1 and ResNet-18 at 224x224x3, 103 classes, built by
// build_model and written by save_bundle.
//
// usage: bench_inference PYTHON bench_eager.py [WINDOWS_CNN WINDOWS_RESNET]
#include <torch/torch.h>

#include <sys/wait.h>
#include <unistd.h>

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

Latency latency_of(std::vector<double> ms) {
  if (ms.empty()) return {};
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]};
}

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

void run_chunk(Classifier& c, const std::vector<float>& image, int n, std::vector<double>* ms) {
  for (int i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    c.classify({image.data()});
    ms->push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
}

// bench_eager.py as a child process answering "run N windows" requests, so its
// chunks interleave with the Classifier's: on a shared, noisy machine both
// see the same load.
class EagerBaseline {
 public:
  EagerBaseline(const std::string& python, const std::string& script, const std::string& bundle,
                const std::string& name) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[1]);
      close(from_child[0]);
      const std::string threads = std::to_string(kThreads);
      execl(python.c_str(), python.c_str(), script.c_str(), bundle.c_str(), name.c_str(), threads.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    in_ = fdopen(to_child[1], "w");
    out_ = fdopen(from_child[0], "r");
    ok_ = read_line() == "ready";
  }
  ~EagerBaseline() {
    if (in_) {
      std::fputs("0\n", in_);
      std::fclose(in_);
    }
    if (out_) std::fclose(out_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  bool ok() const { return ok_; }
  bool chunk(int n, std::vector<double>* ms) {
    std::fprintf(in_, "%d\n", n);
    std::fflush(in_);
    try {
      for (double v : nlohmann::json::parse(read_line())) ms->push_back(v);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

 private:
  std::string read_line() {
    std::string line;
    char buf[4096];
    while (out_ && std::fgets(buf, sizeof buf, out_)) {
      line += buf;
      if (!line.empty() && line.back() == '\n') break;
    }
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
  }
  pid_t pid_ = -1;
  FILE* in_ = nullptr;
  FILE* out_ = nullptr;
  bool ok_ = false;
};

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
  struct Case { std::string name; int64_t c, h, w; int windows, chunk; };
  const std::vector<Optimization> levels = {Optimization::None, Optimization::Freeze, Optimization::Optimize,
                                            Optimization::Auto};
  int failures = 0;
  for (const Case& m : {Case{"cnn", 1, 128, 128, windows_cnn, 50}, Case{"resnet18", 3, 224, 224, windows_resnet, 5}}) {
    const std::string bundle = write_bundle(dir, m.name, m.c, m.h, m.w);
    EagerBaseline eager(python, script, bundle, m.name);
    if (!eager.ok()) {
      std::fprintf(stderr, "the PyTorch eager baseline did not start\n");
      ++failures;
      continue;
    }
    std::vector<std::unique_ptr<Classifier>> classifiers;
    for (Optimization level : levels) {
      ClassifierOptions o;
      o.model_path = bundle;
      o.threads = kThreads;
      o.optimization = level;
      classifiers.push_back(std::make_unique<Classifier>(o));
    }
    std::vector<float> image(classifiers[0]->description().image_floats());
    for (size_t i = 0; i < image.size(); ++i) image[i] = float((i * 2654435761u) % 1000) / 1000.0f;
    // Round robin, chunk by chunk: eager, then each level.
    std::vector<double> eager_ms;
    std::vector<std::vector<double>> ms(levels.size());
    for (int done = 0; done < m.windows; done += m.chunk) {
      if (!eager.chunk(m.chunk, &eager_ms)) ++failures;
      for (size_t l = 0; l < levels.size(); ++l) run_chunk(*classifiers[l], image, m.chunk, &ms[l]);
    }
    const Latency base = latency_of(eager_ms);
    std::printf("%s %ldx%ldx%ld, batch 1, %d threads, %zu windows each, interleaved in chunks of %d\n", m.name.c_str(),
                long(m.h), long(m.w), long(m.c), kThreads, eager_ms.size(), m.chunk);
    std::printf("  %-34s p50 %8.3f ms  p99 %8.3f ms\n", "PyTorch eager (Python), baseline", base.p50_ms, base.p99_ms);
    double default_p50 = 0;
    for (size_t l = 0; l < levels.size(); ++l) {
      const Latency lat = latency_of(ms[l]);
      const Optimization got = classifiers[l]->optimization();
      const std::string label = std::string("Classifier, ") + to_string(levels[l]) +
                                (got != levels[l] ? std::string(" -> ") + to_string(got) : "");
      std::printf("  %-34s p50 %8.3f ms  p99 %8.3f ms   p50 %.2fx, p99 %.2fx eager's\n", label.c_str(), lat.p50_ms,
                  lat.p99_ms, base.p50_ms > 0 ? lat.p50_ms / base.p50_ms : 0.0,
                  base.p99_ms > 0 ? lat.p99_ms / base.p99_ms : 0.0);
      if (levels[l] == Optimization::Auto) default_p50 = lat.p50_ms;
    }
    std::printf("  the element's default (auto) vs eager: %s\n\n", default_p50 < base.p50_ms ? "faster" : "NOT faster");
  }
  fs::remove_all(dir);
  return failures ? 1 : 0;
}
