// Gradient saliency: a model whose score depends on one known region of the
// input gets its map's peak there and nothing elsewhere; the module's training
// flag and parameters are left as they were; bundles through SaliencyModel.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "infer/gradient_saliency.h"
#include "infer/infer_error.h"
#include "infer/saliency_model.h"
#include "model/model_factory.h"
#include "test_bundles.h"

using namespace genre::infer;

namespace {

// Class 0's score: the energy of rows 2..4, columns 6..8 of channel 1 (plus a little of
// every pixel); class 1's: no pixel at all.
torch::jit::Module region_model() {
  torch::jit::Module m("Region");
  m.register_attribute("training", c10::BoolType::get(), false);
  m.define(R"(
def forward(self, x: Tensor) -> Tensor:
    region = x[:, 1, 2:5, 6:9]
    a = (region * region).sum([1, 2]) + 0.001 * x.sum([1, 2, 3])
    b = 0.0 * x.sum([1, 2, 3]) + 1.0
    return torch.stack([a, b], 1)
)");
  return m;
}

TEST(GradientSaliency, PeaksInTheRegionTheScoreDependsOn) {
  torch::jit::Module m = region_model();
  const at::Tensor x = at::rand({3, 2, 8, 12}) + 1.0;  // >= 1: the region's gradient 2x >= 2 > 0.001
  const at::Tensor maps = gradient_saliency(m, x, {0, 0, 0});
  ASSERT_EQ(maps.sizes(), (std::vector<int64_t>{3, 8, 12}));
  for (int64_t i = 0; i < 3; ++i) {
    const at::Tensor s = maps[i];
    const at::Tensor inside = s.slice(0, 2, 5).slice(1, 6, 9);
    at::Tensor outside = s.clone();
    outside.slice(0, 2, 5).slice(1, 6, 9).zero_();
    EXPECT_GT(inside.min().item<float>(), 1.9f);
    EXPECT_NEAR(outside.max().item<float>(), 0.001f, 1e-6);
    // The exact gradient: 2 x + 0.001 in the region, the channel with the region being the larger.
    EXPECT_TRUE(at::allclose(inside, 2 * x[i][1].slice(0, 2, 5).slice(1, 6, 9) + 0.001, 1e-5));
  }
}

TEST(GradientSaliency, AScoreThatIgnoresTheInputHasAZeroMap) {
  torch::jit::Module m = region_model();
  const at::Tensor maps = gradient_saliency(m, at::rand({2, 2, 8, 12}), {1, 1});
  EXPECT_EQ(maps.abs().max().item<float>(), 0.0f);
}

TEST(GradientSaliency, EachImageGetsItsOwnClassesMap) {
  torch::jit::Module m = region_model();
  const at::Tensor maps = gradient_saliency(m, at::rand({2, 2, 8, 12}) + 1.0, {1, 0});
  EXPECT_EQ(maps[0].max().item<float>(), 0.0f);
  EXPECT_GT(maps[1].max().item<float>(), 1.9f);
}

TEST(GradientSaliency, LeavesTheModulesModeAndParametersAlone) {
  genre::model::ModelSpec spec;
  spec.name = "cnn";
  spec.channels = 1;
  spec.height = 48;
  spec.width = 48;
  spec.heads = {4};
  torch::jit::Module m = genre::model::build_model(spec).module;
  m.train();
  const at::Tensor maps = gradient_saliency(m, at::randn({2, 1, 48, 48}), {3, 0});
  EXPECT_TRUE(m.is_training());
  for (const at::Tensor& p : m.parameters()) EXPECT_FALSE(p.grad().defined());
  EXPECT_TRUE(maps.isfinite().all().item<bool>());
  EXPECT_GT(maps.max().item<float>(), 0.0f);
}

TEST(GradientSaliency, BadClassesAreInferErrors) {
  torch::jit::Module m = region_model();
  EXPECT_THROW(gradient_saliency(m, at::rand({1, 2, 8, 12}), {2}), InferError);
  EXPECT_THROW(gradient_saliency(m, at::rand({2, 2, 8, 12}), {0}), InferError);
}

class SaliencyModelTest : public ::testing::Test {
 protected:
  std::string path_ = (std::filesystem::temp_directory_path() / ("saliency-" + std::to_string(getpid()) + ".pt")).string();
  void TearDown() override { std::remove(path_.c_str()); }
};

TEST_F(SaliencyModelTest, ProbeBundleScoresArePixels) {
  genre::test::ProbeBundleSpec spec;  // logit k = pixel [0, 0, k] of a 1 x 4 x 8 image
  genre::test::write_probe_bundle(path_, spec);
  SaliencyModel model(path_, 1);
  EXPECT_EQ(model.input_shape(), (std::vector<int64_t>{1, 4, 8}));
  std::vector<float> a(32, 0.5f), b(32, -2.0f);
  const std::vector<float> maps = model.saliency({a.data(), b.data()}, 2);
  ASSERT_EQ(maps.size(), 64u);
  for (size_t i = 0; i < 2; ++i)
    for (size_t p = 0; p < 32; ++p) EXPECT_EQ(maps[i * 32 + p], p == 2 ? 1.0f : 0.0f) << i << " " << p;
}

TEST_F(SaliencyModelTest, RealModelBundle) {
  genre::test::ProbeBundleSpec spec;
  spec.height = 48;
  spec.width = 48;
  genre::test::write_model_bundle(path_, "cnn", spec);
  SaliencyModel model(path_, 1);
  std::vector<float> image(48 * 48);
  for (size_t i = 0; i < image.size(); ++i) image[i] = float((i * 37) % 11) - 5.0f;
  const std::vector<float> maps = model.saliency({image.data()}, 1);
  ASSERT_EQ(maps.size(), 48u * 48u);
  float top = 0;
  for (float v : maps) {
    ASSERT_TRUE(std::isfinite(v));
    top = std::max(top, v);
  }
  EXPECT_GT(top, 0.0f);
}

TEST_F(SaliencyModelTest, NotABundleIsAnInferError) {
  genre::test::write_plain_torchscript(path_);
  EXPECT_THROW(SaliencyModel(path_, 1), InferError);
  EXPECT_THROW(SaliencyModel("/nonexistent/model.pt", 1), InferError);
}

}  // namespace
