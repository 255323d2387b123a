// Classifier on probe bundles (logits = chosen pixels, see test_bundles.h):
// probabilities against softmax/sigmoid computed here, batching, every
// optimisation level, and a clear InferError for every bad model file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "infer/classifier.h"
#include "test_bundles.h"

using genre::infer::Classifier;
using genre::infer::ClassifierOptions;
using genre::infer::Device;
using genre::infer::InferError;
using genre::infer::Optimization;
using genre::test::ProbeBehaviour;
using genre::test::ProbeBundleSpec;
namespace fs = std::filesystem;

namespace {

class ClassifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("genre-classifier-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string bundle(const std::string& name, const ProbeBundleSpec& spec) {
    const std::string path = (dir_ / name).string();
    genre::test::write_probe_bundle(path, spec);
    return path;
  }

  static ClassifierOptions options(const std::string& path, Device device = Device::Cpu) {
    ClassifierOptions o;
    o.model_path = path;
    o.device = device;
    o.threads = 1;
    return o;
  }

  // The InferError message of loading `path`, or "" when it loads.
  static std::string load_error(const std::string& path, Device device = Device::Cpu) {
    try {
      Classifier c(options(path, device));
    } catch (const InferError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

// A 1x4x8 image whose row 0 starts with `logits` and row 1 with `macro`.
std::vector<float> image(const std::vector<float>& logits, const std::vector<float>& macro = {}) {
  std::vector<float> img(4 * 8, -3.0f);
  for (size_t i = 0; i < logits.size(); ++i) img[i] = logits[i];
  for (size_t i = 0; i < macro.size(); ++i) img[8 + i] = macro[i];
  return img;
}

std::vector<double> softmax(const std::vector<float>& z) {
  double sum = 0;
  for (float v : z) sum += std::exp(double(v));
  std::vector<double> p;
  for (float v : z) p.push_back(std::exp(double(v)) / sum);
  return p;
}

}  // namespace

TEST_F(ClassifierTest, DescribesTheBundle) {
  ProbeBundleSpec spec;
  spec.preprocessing = {{"genre/melspec-params", {{"n-mels", 4}}}};
  Classifier c(options(bundle("probe.pt", spec)));
  const auto& d = c.description();
  EXPECT_EQ(d.model, "probe");
  EXPECT_EQ(d.target, "fine");
  EXPECT_EQ(d.input_shape, (std::vector<int64_t>{1, 4, 8}));
  EXPECT_EQ(d.image_floats(), 32u);
  ASSERT_EQ(d.target_classes().size(), 4u);
  EXPECT_EQ(d.target_classes()[1].name, "Jazz");
  EXPECT_EQ(d.classes.macro.size(), 2u);
  EXPECT_FALSE(d.has_macro_head);
  EXPECT_EQ(d.preprocessing["genre/melspec-params"]["n-mels"], 4);
  EXPECT_EQ(c.device(), Device::Cpu);
}

TEST_F(ClassifierTest, SoftmaxOfTheLogitsAtEveryOptimisationLevel) {
  const std::string path = bundle("probe.pt", {});
  const std::vector<float> logits = {1.0f, 2.5f, -0.5f, 0.25f};
  const std::vector<double> want = softmax(logits);
  const auto img = image(logits);
  for (Optimization level : {Optimization::None, Optimization::Freeze, Optimization::Optimize, Optimization::Auto}) {
    ClassifierOptions o = options(path);
    o.optimization = level;
    Classifier c(o);
    if (level == Optimization::Auto)
      EXPECT_TRUE(c.optimization() == Optimization::Freeze || c.optimization() == Optimization::Optimize);
    else
      EXPECT_EQ(c.optimization(), level);
    const auto out = c.classify({img.data()});
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].target.size(), 4u) << to_string(level);
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(out[0].target[i], want[i], 1e-6) << to_string(level);
    EXPECT_TRUE(out[0].macro.empty());
  }
}

TEST_F(ClassifierTest, ABatchEqualsItsWindowsOneByOne) {
  Classifier c(options(bundle("probe.pt", {})));
  const auto a = image({3, 0, 0, 0}), b = image({0, 0, 2, 1}), d = image({-1, 4, 0, 0});
  const auto batch = c.classify({a.data(), b.data(), d.data()});
  ASSERT_EQ(batch.size(), 3u);
  const std::vector<const float*> singles = {a.data(), b.data(), d.data()};
  for (size_t i = 0; i < 3; ++i) {
    const auto one = c.classify({singles[i]});
    for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(batch[i].target[k], one[0].target[k], 1e-6);
  }
  EXPECT_GT(batch[2].target[1], 0.9f);
}

TEST_F(ClassifierTest, MultiLabelBundlesGetSigmoids) {
  ProbeBundleSpec spec;
  spec.multi_label = true;
  Classifier c(options(bundle("multi.pt", spec)));
  const auto out = c.classify({image({0.0f, 2.0f, -1.0f, 4.0f}).data()});
  const float z[] = {0.0f, 2.0f, -1.0f, 4.0f};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(out[0].target[i], 1.0 / (1.0 + std::exp(-double(z[i]))), 1e-6);
}

TEST_F(ClassifierTest, AMacroHeadIsScoredInTheSamePass) {
  ProbeBundleSpec spec;
  spec.macro_head = true;
  Classifier c(options(bundle("heads.pt", spec)));
  EXPECT_TRUE(c.description().has_macro_head);
  const auto out = c.classify({image({0, 1, 0, 0}, {2.0f, -1.0f}).data()});
  const auto want = softmax({2.0f, -1.0f});
  ASSERT_EQ(out[0].macro.size(), 2u);
  EXPECT_NEAR(out[0].macro[0], want[0], 1e-6);
  EXPECT_NEAR(out[0].macro[1], want[1], 1e-6);
  EXPECT_NEAR(out[0].target[1], softmax({0, 1, 0, 0})[1], 1e-6);
}

TEST_F(ClassifierTest, AFailingForwardPassIsAnInferError) {
  ProbeBundleSpec spec;
  spec.behaviour = ProbeBehaviour::Throws;
  Classifier c(options(bundle("throws.pt", spec)));  // zero warm-up images do not trigger it
  auto img = image({1, 0, 0, 0});
  img[16] = 1000.0f;  // row 2, column 0
  try {
    c.classify({img.data()});
    FAIL() << "the probe's deliberate failure did not surface";
  } catch (const InferError& e) {
    EXPECT_NE(std::string(e.what()).find("forward pass failed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("deliberate failure"), std::string::npos) << e.what();
  }
  img[16] = 0.0f;
  EXPECT_EQ(c.classify({img.data()}).size(), 1u) << "the classifier still works after a failure";
}

TEST_F(ClassifierTest, NanOrInfScoresAreAnErrorNamingTheModel) {
  ProbeBundleSpec spec;
  spec.behaviour = ProbeBehaviour::NonFinite;
  const std::string path = bundle("nonfinite.pt", spec);
  Classifier c(options(path));  // zero warm-up images give finite scores
  for (float loud : {150.0f, 250.0f}) {
    auto img = image({1, 0, 0, 0});
    img[16] = loud;  // row 2, column 0: NaN at 150, Inf at 250
    try {
      c.classify({img.data()});
      FAIL() << "non-finite scores were returned as probabilities";
    } catch (const InferError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      EXPECT_NE(what.find("(probe)"), std::string::npos) << what;
      EXPECT_NE(what.find("NaN or Inf"), std::string::npos) << what;
    }
  }
  EXPECT_EQ(c.classify({image({1, 0, 0, 0}).data()}).size(), 1u) << "the classifier still works afterwards";
}

TEST_F(ClassifierTest, AModelThatDisagreesWithItsClassListFailsAtLoad) {
  ProbeBundleSpec spec;
  spec.behaviour = ProbeBehaviour::WrongShape;
  const std::string e = load_error(bundle("wrong.pt", spec));
  EXPECT_NE(e.find("output has shape [1, 3]"), std::string::npos) << e;
  EXPECT_NE(e.find("expected [1, 4]"), std::string::npos) << e;
}

TEST_F(ClassifierTest, BadModelFilesAreClearErrors) {
  const std::string missing = (dir_ / "missing.pt").string();
  EXPECT_NE(load_error(missing).find("no such model file"), std::string::npos) << load_error(missing);

  const std::string good = bundle("good.pt", {});
  const std::string truncated = (dir_ / "truncated.pt").string();
  {
    std::ifstream in(good, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(truncated, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() / 2));
  }
  EXPECT_NE(load_error(truncated).find("truncated or corrupt"), std::string::npos) << load_error(truncated);

  const std::string text = (dir_ / "text.pt").string();
  std::ofstream(text) << "not a model at all\n";
  EXPECT_NE(load_error(text).find("not a readable TorchScript archive"), std::string::npos) << load_error(text);

  const std::string plain = (dir_ / "plain.pt").string();
  genre::test::write_plain_torchscript(plain);
  EXPECT_NE(load_error(plain).find("not a genre model bundle"), std::string::npos) << load_error(plain);

  EXPECT_NE(load_error("").find("no model bundle given"), std::string::npos);
  for (const std::string& p : {missing, truncated, text, plain}) EXPECT_NE(load_error(p).find(p), std::string::npos);
}

TEST_F(ClassifierTest, CudaAskedForWithoutCudaIsAClearError) {
  if (genre::infer::cuda_available()) GTEST_SKIP() << "this machine has CUDA";
  const std::string path = bundle("probe.pt", {});
  const std::string e = load_error(path, Device::Cuda);
  EXPECT_NE(e.find("device=cuda"), std::string::npos) << e;
  Classifier c(options(path, Device::Auto));
  EXPECT_EQ(c.device(), Device::Cpu);
}

TEST(DeviceNames, RoundTrip) {
  for (Device d : {Device::Cpu, Device::Cuda, Device::Auto})
    EXPECT_EQ(genre::infer::device_from_string(genre::infer::to_string(d)), d);
  EXPECT_THROW(genre::infer::device_from_string("tpu"), InferError);
}
