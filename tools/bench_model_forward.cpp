// Inference cost per window of the PANNs models against shortchunk, in one run on this CPU:
// parameters, then eval-mode forward milliseconds per window at batch 1 and 16 (the median of
// several timed passes after a warm-up) and each one's ratio to shortchunk's. Each model gets its
// own native input for about 3 s of audio: shortchunk 128 bands x 128 frames at 22.05 kHz / 512
// (2.97 s), PANNs 64 bands x 296 frames at 32 kHz / 320 (2.96 s).
//
//   bench-model-forward [THREADS]   (default 1: the figures of one core, as a loaded machine gives)
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/model_factory.h"

namespace {

using genre::model::ModelSpec;

struct Row {
  std::string name;
  ModelSpec spec;
  int64_t parameters = 0;
  double ms_per_window[2] = {0, 0};  // batch 1, batch 16
};

constexpr int64_t kBatches[2] = {1, 16};

double median_ms_per_window(torch::jit::Module& m, const ModelSpec& s, int64_t batch) {
  const at::Tensor x = torch::randn({batch, s.channels, s.height, s.width}) * 10 - 40;
  torch::NoGradGuard no_grad;
  m.forward({x});  // warm-up: allocations, first-call costs
  const int passes = batch == 1 ? 15 : 5;
  std::vector<double> ms;
  for (int i = 0; i < passes; ++i) {
    const auto t = std::chrono::steady_clock::now();
    m.forward({x});
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count() /
                 static_cast<double>(batch));
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  if (threads < 1) {
    std::fprintf(stderr, "bench-model-forward: THREADS must be a positive number, got '%s'\n", argv[1]);
    return 2;
  }
  at::set_num_threads(threads);
  torch::manual_seed(1);
  std::vector<Row> rows{{"shortchunk", {"shortchunk", 1, 128, 128, {10}}},
                        {"panns_mobilenetv2", {"panns_mobilenetv2", 1, 64, 296, {10}}},
                        {"panns_cnn14", {"panns_cnn14", 1, 64, 296, {10}}}};
  for (Row& r : rows) {
    genre::model::BuiltModel built = genre::model::build_model(r.spec);
    built.module.eval();
    for (const at::Tensor& p : built.module.parameters()) r.parameters += p.numel();
    for (int b = 0; b < 2; ++b) r.ms_per_window[b] = median_ms_per_window(built.module, r.spec, kBatches[b]);
  }
  std::printf("forward per ~3 s window, eval mode, %d thread(s); ratios against shortchunk\n", threads);
  std::printf("%-18s %-9s %11s %8s %12s %8s %13s %8s\n", "model", "input", "parameters", "ratio", "ms batch 1",
              "ratio", "ms batch 16", "ratio");
  const Row& base = rows.front();
  for (const Row& r : rows) {
    const std::string input = std::to_string(r.spec.height) + "x" + std::to_string(r.spec.width);
    std::printf("%-18s %-9s %11lld %7.1fx %12.2f %7.1fx %13.2f %7.1fx\n", r.name.c_str(), input.c_str(),
                static_cast<long long>(r.parameters), double(r.parameters) / double(base.parameters),
                r.ms_per_window[0], r.ms_per_window[0] / base.ms_per_window[0], r.ms_per_window[1],
                r.ms_per_window[1] / base.ms_per_window[1]);
  }
  return 0;
}
