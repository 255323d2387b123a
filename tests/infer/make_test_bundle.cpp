// Writes a model bundle for the command and benchmark tests, with the
// preprocessing the elements announce for a given pipeline middle:
//   make_test_bundle OUT.pt MODEL "melspec ... ! specresize ..." [SLOW_MATMULS]
// MODEL: probe (logits = pixels, test_bundles.h), probe-multi-label (the same,
// sigmoid scores), or a build_model name (cnn, resnet18, ...) with four fine
// classes in two macrogenres, seeded weights.
#include <gst/gst.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "test_bundles.h"

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  if (argc < 4) {
    std::fprintf(stderr, "usage: make_test_bundle OUT.pt MODEL \"melspec ... ! specresize ...\" [SLOW_MATMULS]\n");
    return 2;
  }
  const std::string out = argv[1], model = argv[2], middle = argv[3];
  const nlohmann::json pre = genre::test::capture_preprocessing(middle);
  if (!pre.contains("genre/specresize-params")) {
    std::fprintf(stderr, "make_test_bundle: the pipeline '%s' did not run\n", middle.c_str());
    return 1;
  }
  const auto& spec_params = pre["genre/specresize-params"];
  const int64_t w = spec_params["width"], h = spec_params["height"], c = spec_params["channels"];
  try {
    genre::test::ProbeBundleSpec probe;
    probe.preprocessing = pre;
    probe.channels = c;
    probe.height = h;
    probe.width = w;
    probe.multi_label = model == "probe-multi-label";
    if (model == "probe" || model == "probe-multi-label") {
      if (argc > 4) {
        probe.behaviour = genre::test::ProbeBehaviour::Slow;
        probe.slow_matmuls = std::atoi(argv[4]);
      }
      genre::test::write_probe_bundle(out, probe);
      return 0;
    }
    genre::test::write_model_bundle(out, model, probe);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_test_bundle: %s\n", e.what());
    return 1;
  }
  return 0;
}
