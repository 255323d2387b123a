// Every model as built in C++: shapes, gradients, train vs eval, the spec checks, save/load,
// and freezing for inference.
#include <gtest/gtest.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/frozen_graph_optimizations.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/script.h>

#include <map>
#include <set>

#include "model/model_factory.h"
#include "model_test_util.h"

using namespace genre::model;
using genre::model::test::small_spec;
using genre::model::test::TempDir;

namespace {

at::Tensor input_for(const ModelSpec& s, int64_t batch = 2) {
  return torch::randn({batch, s.channels, s.height, s.width});
}

at::Tensor forward(torch::jit::Module& m, const at::Tensor& x) { return m.forward({x}).toTensor(); }

std::vector<at::Tensor> forward_heads(torch::jit::Module& m, const at::Tensor& x) {
  return m.run_method("forward_heads", x).toTensorVector();
}

std::map<std::string, at::Tensor> buffers_of(const torch::jit::Module& m) {
  std::map<std::string, at::Tensor> out;
  for (const auto& b : m.named_buffers()) out[b.name] = b.value.clone();
  return out;
}

class EveryModel : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { torch::manual_seed(7); }
};

std::string test_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace

TEST_P(EveryModel, OutputShapesOfForwardAndForwardHeads) {
  const ModelSpec spec = small_spec(GetParam());
  BuiltModel built = build_model(spec);
  const at::Tensor x = input_for(spec, 3);
  for (bool training : {true, false}) {
    built.module.train(training);
    EXPECT_EQ(forward(built.module, x).sizes(), (std::vector<int64_t>{3, spec.heads.back()}));
    const auto heads = forward_heads(built.module, x);
    ASSERT_EQ(heads.size(), spec.heads.size());
    for (size_t i = 0; i < heads.size(); ++i)
      EXPECT_EQ(heads[i].sizes(), (std::vector<int64_t>{3, spec.heads[i]})) << "head " << i;
  }
}

TEST_P(EveryModel, BackwardReachesEveryParameter) {
  const ModelSpec spec = small_spec(GetParam());
  BuiltModel built = build_model(spec);
  const at::Tensor x = input_for(spec);
  at::Tensor loss = torch::zeros({});
  for (const auto& logits : forward_heads(built.module, x)) loss = loss + (logits * torch::randn_like(logits)).sum();
  loss.backward();
  int64_t count = 0;
  for (const auto& p : built.module.named_parameters()) {
    ++count;
    EXPECT_TRUE(p.value.requires_grad()) << p.name;
    ASSERT_TRUE(p.value.grad().defined()) << p.name << " got no gradient";
    EXPECT_GT(p.value.grad().abs().sum().item<double>(), 0) << p.name << " got an all-zero gradient";
  }
  EXPECT_GT(count, 0);
  for (const auto& b : built.module.named_buffers()) EXPECT_FALSE(b.value.requires_grad()) << b.name;
}

TEST_P(EveryModel, TrainAndEvalDifferOnlyWhereTheyShould) {
  const ModelSpec spec = small_spec(GetParam());
  BuiltModel built = build_model(spec);
  const at::Tensor x = input_for(spec, 4);

  built.module.eval();
  for (const auto& m : built.module.named_modules())
    EXPECT_FALSE(m.value.attr("training").toBool()) << "'" << m.name << "' still training after eval()";
  const auto before = buffers_of(built.module);
  const at::Tensor eval1 = forward(built.module, x), eval2 = forward(built.module, x);
  EXPECT_TRUE(torch::equal(eval1, eval2)) << "eval is not deterministic";
  for (const auto& [name, value] : buffers_of(built.module))
    EXPECT_TRUE(torch::equal(value, before.at(name))) << name << " changed in eval mode";

  built.module.train();
  for (const auto& m : built.module.named_modules())
    EXPECT_TRUE(m.value.attr("training").toBool()) << "'" << m.name << "' not training after train()";
  const at::Tensor train1 = forward(built.module, x);
  const at::Tensor train2 = forward(built.module, x);
  EXPECT_FALSE(torch::allclose(train1, train2)) << "dropout is not active in training";
  EXPECT_FALSE(torch::allclose(train1, eval1));
  int64_t batch_norms = 0;
  for (const auto& [name, value] : buffers_of(built.module)) {
    const std::string leaf = name.substr(name.rfind('.') + 1);
    if (leaf.rfind("band_", 0) == 0) {  // input standardisation: set by genre-train, never by a forward pass
      EXPECT_TRUE(torch::equal(value, before.at(name))) << name << " changed in training";
    } else if (leaf == "num_batches_tracked") {
      ++batch_norms;
      EXPECT_EQ(value.item<int64_t>(), before.at(name).item<int64_t>() + 2) << name;
    } else {
      EXPECT_FALSE(torch::equal(value, before.at(name))) << name << " not updated in training";
    }
  }
  const bool has_batch_norm = spec.name != "gru" && spec.name.rfind("vit", 0) != 0;
  EXPECT_EQ(batch_norms > 0, has_batch_norm);

  // Back in eval the updated running statistics are used, deterministically.
  built.module.eval();
  EXPECT_TRUE(torch::equal(forward(built.module, x), forward(built.module, x)));
}

TEST_P(EveryModel, SameSeedSameWeights) {
  const ModelSpec spec = small_spec(GetParam());
  torch::manual_seed(42);
  const BuiltModel a = build_model(spec);
  torch::manual_seed(42);
  const BuiltModel b = build_model(spec);
  const auto pa = a.module.named_parameters(), pb = b.module.named_parameters();
  auto ib = pb.begin();
  for (const auto& p : pa) {
    ASSERT_NE(ib, pb.end());
    EXPECT_EQ(p.name, (*ib).name);
    EXPECT_TRUE(torch::equal(p.value, (*ib).value)) << p.name;
    ++ib;
  }
}

TEST_P(EveryModel, HeadPrefixesNameTheHeadParameters) {
  const ModelSpec spec = small_spec(GetParam());
  const BuiltModel built = build_model(spec);
  ASSERT_FALSE(built.head_prefixes.empty());
  std::vector<std::string> head_params;
  for (const auto& p : built.module.named_parameters())
    for (const auto& prefix : built.head_prefixes)
      if (p.name.rfind(prefix, 0) == 0) head_params.push_back(p.name);
  // Weight and bias of each head (and of mlp's shared layer), nothing else.
  EXPECT_EQ(head_params.size(), 2 * spec.heads.size() + (spec.head_kind == "mlp" ? 2 : 0));
}

TEST_P(EveryModel, SavedAndLoadedInCppGivesTheSameOutputs) {
  const ModelSpec spec = small_spec(GetParam());
  BuiltModel built = build_model(spec);
  built.module.eval();
  const at::Tensor x = input_for(spec);
  TempDir tmp;
  built.module.save(tmp.sub("m.pt"));
  torch::jit::Module loaded = torch::jit::load(tmp.sub("m.pt"));
  EXPECT_FALSE(loaded.attr("training").toBool());
  EXPECT_TRUE(torch::equal(forward(loaded, x), forward(built.module, x)));
  loaded.train();
  for (const auto& m : loaded.named_modules()) EXPECT_TRUE(m.value.attr("training").toBool()) << m.name;
}

TEST_P(EveryModel, FrozenAndOptimizedForInferenceGivesTheSameOutputs) {
  const ModelSpec spec = small_spec(GetParam());
  BuiltModel built = build_model(spec);
  built.module.train();
  forward(built.module, input_for(spec, 4));  // running statistics away from their 0/1 start
  built.module.eval();
  const at::Tensor x = input_for(spec);
  const at::Tensor expected = forward(built.module, x);
  torch::jit::Module frozen = torch::jit::freeze(built.module);
  frozen = torch::jit::optimize_for_inference(frozen);
  const at::Tensor got = forward(frozen, x);
  EXPECT_TRUE(torch::allclose(got, expected, 1e-4, 1e-4))
      << "max difference " << (got - expected).abs().max().item<double>();
  // Freezing works on a clone: the model itself still trains.
  built.module.train();
  forward(built.module, x).sum().backward();
}

INSTANTIATE_TEST_SUITE_P(Model, EveryModel, ::testing::ValuesIn(genre::model::test::model_variants()), test_name);

TEST(Cnn, FlattenSizeIsDerivedFromTheInput) {
  for (const auto& [side, flat] : std::vector<std::pair<int64_t, int64_t>>{{128, 32 * 3 * 3}, {224, 32 * 6 * 6}}) {
    ModelSpec spec{"cnn", 1, side, side, {10}};
    BuiltModel built = build_model(spec);
    EXPECT_EQ(built.module.attr("fc1").toModule().attr("weight").toTensor().sizes(), (std::vector<int64_t>{1000, flat}))
        << side;
    built.module.eval();
    EXPECT_EQ(forward(built.module, torch::randn({2, 1, side, side})).sizes(), (std::vector<int64_t>{2, 10}));
  }
  ModelSpec wide{"cnn", 3, 128, 224, {4}};
  EXPECT_EQ(build_model(wide).module.attr("fc1").toModule().attr("weight").toTensor().size(1), 32 * 3 * 6);
}

TEST(Cnn, EqualsTheReferenceOrderOfOperations) {
  // The reference: conv -> ReLU -> pool, twice; the model pools before its ReLU (they commute).
  ModelSpec spec{"cnn", 1, 64, 64, {6}};
  BuiltModel built = build_model(spec);
  built.module.eval();
  auto sub = [&](const char* name) { return built.module.attr(name).toModule(); };
  auto param = [&](const char* module, const char* name) { return sub(module).attr(name).toTensor(); };
  const at::Tensor x = torch::randn({3, 1, 64, 64});
  at::Tensor h =
      at::max_pool2d(at::relu(at::conv2d(x, param("conv1", "weight"), param("conv1", "bias"), {2, 2})), {2, 2});
  h = at::max_pool2d(at::relu(at::conv2d(h, param("conv2", "weight"), param("conv2", "bias"), {2, 2})), {4, 4});
  h = at::batch_norm(h, param("bn", "weight"), param("bn", "bias"), param("bn", "running_mean"),
                     param("bn", "running_var"), false, 0.1, 1e-5, true);
  h = at::relu(at::linear(at::flatten(h, 1), param("fc1", "weight"), param("fc1", "bias")));
  h = at::relu(at::linear(h, param("fc2", "weight"), param("fc2", "bias")));
  const at::Tensor reference = at::linear(h, param("fc3", "weight"), param("fc3", "bias"));
  const at::Tensor weights = torch::randn({3, 6});
  (reference * weights).sum().backward();
  const at::Tensor reference_grad = param("conv1", "weight").grad().clone();
  param("conv1", "weight").mutable_grad().zero_();
  const at::Tensor got = forward(built.module, x);
  (got * weights).sum().backward();
  EXPECT_TRUE(torch::allclose(got, reference, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(param("conv1", "weight").grad(), reference_grad, 1e-4, 1e-6));
}

TEST(ResNet, StemChannels) {
  ModelSpec spec = small_spec("resnet18");
  const auto stem = [](const ModelSpec& s) {
    return build_model(s).module.attr("conv1").toModule().attr("weight").toTensor().sizes().vec();
  };
  EXPECT_EQ(stem(spec), (std::vector<int64_t>{64, 1, 7, 7}));
  spec.repeat_gray = true;
  EXPECT_EQ(stem(spec), (std::vector<int64_t>{64, 3, 7, 7}));
  BuiltModel repeated = build_model(spec);
  repeated.module.eval();
  EXPECT_EQ(forward(repeated.module, torch::randn({2, 1, 32, 32})).sizes(), (std::vector<int64_t>{2, 5}));
  spec.repeat_gray = false;
  spec.channels = 3;
  EXPECT_EQ(stem(spec), (std::vector<int64_t>{64, 3, 7, 7}));
}

TEST(ResNet, TorchvisionNamesAndCounts) {
  ModelSpec spec = small_spec("resnet50");
  const BuiltModel built = build_model(spec);
  std::set<std::string> names;
  for (const auto& p : built.module.named_parameters()) names.insert(p.name);
  for (const auto& b : built.module.named_buffers()) names.insert(b.name);
  // torchvision's resnet50 state_dict has 320 entries (161 parameters, 159 buffers).
  EXPECT_EQ(names.size(), 320u);
  for (const char* name : {"conv1.weight", "bn1.running_mean", "layer1.0.conv3.weight", "layer2.0.downsample.0.weight",
                           "layer2.0.downsample.1.num_batches_tracked", "layer4.2.bn3.bias", "fc.weight", "fc.bias"})
    EXPECT_TRUE(names.count(name)) << name;
  // v1.5: the stride sits on the 3x3 convolution.
  const auto block = built.module.attr("layer2").toModule().attr("0").toModule();
  const at::Tensor x = torch::randn({1, 256, 8, 8});
  auto conv1 = block.attr("conv1").toModule(), conv2 = block.attr("conv2").toModule();
  EXPECT_EQ(conv1.forward({x}).toTensor().size(2), 8);
  EXPECT_EQ(conv2.forward({torch::randn({1, 128, 8, 8})}).toTensor().size(2), 4);
}

TEST(Vit, NonSquareInputsGetTheirOwnPositionEmbedding) {
  ModelSpec spec{"vit_ti16", 3, 32, 64, {4}};
  BuiltModel built = build_model(spec);
  EXPECT_EQ(built.module.attr("encoder").toModule().attr("pos_embedding").toTensor().sizes(),
            (std::vector<int64_t>{1, 1 + 2 * 4, 192}));
  built.module.eval();
  EXPECT_EQ(forward(built.module, torch::randn({2, 3, 32, 64})).sizes(), (std::vector<int64_t>{2, 4}));
}

TEST(Gru, TorchNamesAndHiddenSize) {
  ModelSpec spec = small_spec("gru");
  spec.gru_hidden = 12;
  const BuiltModel built = build_model(spec);
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : built.module.named_parameters()) shapes[p.name] = p.value.sizes().vec();
  EXPECT_EQ(shapes.at("gru.weight_ih_l0"), (std::vector<int64_t>{36, 16}));
  EXPECT_EQ(shapes.at("gru.weight_hh_l0"), (std::vector<int64_t>{36, 12}));
  EXPECT_EQ(shapes.at("gru.bias_ih_l0"), (std::vector<int64_t>{36}));
  EXPECT_EQ(shapes.at("gru.bias_hh_l0"), (std::vector<int64_t>{36}));
  EXPECT_EQ(shapes.at("fc.weight"), (std::vector<int64_t>{5, 12}));
}

TEST(Gru, MatchesTorchGruOverTheTimeAxis) {
  // The sequence is W; each step is the column of C*H values, channel-major.
  ModelSpec spec{"gru", 3, 4, 6, {2}};
  spec.gru_hidden = 5;
  BuiltModel built = build_model(spec);
  built.module.eval();
  const at::Tensor x = torch::randn({2, 3, 4, 6});
  auto gru = built.module.attr("gru").toModule();
  const auto p = [&](const char* n) { return gru.attr(n).toTensor(); };
  at::Tensor h = torch::zeros({2, 5});
  for (int64_t t = 0; t < 6; ++t) {
    const at::Tensor step = x.select(3, t).reshape({2, 12});
    h = torch::gru_cell(step, h, p("weight_ih_l0"), p("weight_hh_l0"), p("bias_ih_l0"), p("bias_hh_l0"));
  }
  const at::Tensor features = built.module.get_method("features")({x}).toTensor();
  EXPECT_TRUE(torch::allclose(features, h, 1e-5, 1e-6));
}

TEST(ClassNames, ModelsOfOneKindWithOtherShapesDoNotClash) {
  TempDir tmp;
  ModelSpec a = small_spec("resnet18"), b = small_spec("resnet18");
  b.channels = 3;
  b.heads = {11};
  BuiltModel ma = build_model(a), mb = build_model(b);
  EXPECT_NE(ma.module.attr("layer1").toModule().attr("0").toModule().type()->name()->qualifiedName(),
            ma.module.attr("layer1").toModule().attr("1").toModule().type()->name()->qualifiedName());
  ma.module.eval();
  mb.module.eval();
  ma.module.save(tmp.sub("a.pt"));
  mb.module.save(tmp.sub("b.pt"));
  torch::jit::Module la = torch::jit::load(tmp.sub("a.pt")), lb = torch::jit::load(tmp.sub("b.pt"));
  const at::Tensor xa = torch::randn({2, 1, 32, 32}), xb = torch::randn({2, 3, 32, 32});
  EXPECT_TRUE(torch::equal(forward(la, xa), forward(ma.module, xa)));
  EXPECT_TRUE(torch::equal(forward(lb, xb), forward(mb.module, xb)));
  EXPECT_EQ(forward(lb, xb).size(1), 11);
}

TEST(Input, WrongShapeIsAClearError) {
  BuiltModel built = build_model(small_spec("resnet18"));
  try {
    forward(built.module, torch::randn({2, 3, 32, 32}));
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("genre model 'resnet18' expects input [N, 1, 32, 32]"), std::string::npos)
        << e.what();
  }
}

namespace {

void expect_invalid(const ModelSpec& spec, const std::string& needle) {
  try {
    build_model(spec);
    ADD_FAILURE() << "no error for " << needle;
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
  }
}

}  // namespace

TEST(ShortChunk, NativeResolutionBlocksAndTimePooling) {
  ModelSpec spec{"shortchunk", 1, 128, 130, {10}};
  spec.base_channels = 8;
  BuiltModel built = build_model(spec);
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : built.module.named_parameters()) shapes[p.name] = p.value.sizes().vec();
  const std::vector<int64_t> channels{8, 16, 32, 64, 128};
  for (int i = 0; i < 5; ++i) {
    const int64_t in = i == 0 ? 1 : channels[i - 1];
    EXPECT_EQ(shapes.at("conv" + std::to_string(i) + ".weight"), (std::vector<int64_t>{channels[i], in, 3, 3}));
    EXPECT_EQ(shapes.at("bn" + std::to_string(i) + ".weight"), (std::vector<int64_t>{channels[i]}));
  }
  // 128 bands -> 4 after five 2x2 pools; max and mean over time of 128 x 4 columns.
  EXPECT_EQ(shapes.at("fc.weight"), (std::vector<int64_t>{10, 2 * 128 * 4}));
  EXPECT_EQ(built.head_prefixes, (std::vector<std::string>{"fc."}));
  expect_invalid({"shortchunk", 1, 128, 31, {5}}, "shortchunk needs an input of at least 32x32 (mel bands x frames), got 128x31");
  spec.base_channels = 0;
  expect_invalid(spec, "shortchunk: base channels must be in [1, 64], got 0");
}

// The input is standardised per band inside the model: a model with band statistics (m, s)
// gives on x what the same model with (0, 1) gives on (x - m) / s.
TEST(ShortChunk, StandardisesEachBandWithItsBuffers) {
  torch::manual_seed(3);
  const ModelSpec spec{"shortchunk", 1, 32, 40, {4}};
  BuiltModel built = build_model(spec);
  built.module.eval();
  const at::Tensor x = torch::randn({3, 1, 32, 40}) * 20 - 50;
  const at::Tensor plain = forward(built.module, x);
  const at::Tensor mean = torch::linspace(-60, -20, 32).reshape({1, 32, 1});
  const at::Tensor stdev = torch::linspace(2, 12, 32).reshape({1, 32, 1});
  {
    torch::NoGradGuard no_grad;
    built.module.attr("band_mean").toTensor().copy_(mean);
    built.module.attr("band_std").toTensor().copy_(stdev);
  }
  const at::Tensor standardised = forward(built.module, x * stdev + mean);
  EXPECT_TRUE(torch::allclose(standardised, plain, 1e-4, 1e-4));
  EXPECT_FALSE(torch::allclose(forward(built.module, x), plain, 1e-2, 1e-2));
}

// PANNs' names and shapes (pytorch/models.py): bn0 over the mel bands, six ConvBlocks (64 to
// 2048 channels), fc1 2048 -> 2048, our head fc; no extractor and no fc_audioset tensors.
TEST(Panns, Cnn14NamesShapesAndCounts) {
  const ModelSpec spec{"panns_cnn14", 1, 64, 100, {10}};
  BuiltModel built = build_model(spec);
  std::map<std::string, std::vector<int64_t>> shapes;
  int64_t parameters = 0;
  for (const auto& p : built.module.named_parameters()) {
    shapes[p.name] = p.value.sizes().vec();
    parameters += p.value.numel();
  }
  EXPECT_EQ(shapes.at("bn0.weight"), (std::vector<int64_t>{64}));
  const std::vector<int64_t> widths{1, 64, 128, 256, 512, 1024, 2048};
  for (int i = 1; i <= 6; ++i) {
    const std::string block = "conv_block" + std::to_string(i);
    EXPECT_EQ(shapes.at(block + ".conv1.weight"), (std::vector<int64_t>{widths[i], widths[i - 1], 3, 3}));
    EXPECT_EQ(shapes.at(block + ".conv2.weight"), (std::vector<int64_t>{widths[i], widths[i], 3, 3}));
    EXPECT_EQ(shapes.at(block + ".bn2.bias"), (std::vector<int64_t>{widths[i]}));
  }
  EXPECT_EQ(shapes.at("fc1.weight"), (std::vector<int64_t>{2048, 2048}));
  EXPECT_EQ(shapes.at("fc.weight"), (std::vector<int64_t>{10, 2048}));
  EXPECT_EQ(shapes.size(), 2u + 6 * 6 + 4);  // bn0; per block 2 convs, 2 BN x 2; fc1 and fc x 2
  // PANNs' paper: 80.8 M with fc_audioset's 2048 x 527 + 527; ours has a 10-class head instead.
  EXPECT_EQ(parameters + 2048 * 527 + 527 - (2048 * 10 + 10), 80753615);
  EXPECT_EQ(built.head_prefixes, (std::vector<std::string>{"fc."}));
  EXPECT_EQ(built.module.attr("conv_block3").toModule().attr("bn1").toModule().attr("running_var").toTensor().size(0),
            256);
  built.module.eval();
  EXPECT_EQ(forward(built.module, input_for(spec)).sizes(), (std::vector<int64_t>{2, 10}));
}

// MobileNetV2: features.0 conv_bn, 17 inverted residuals (t=1 blocks without the expansion
// convolution), features.18 the 1x1 to 1280; fc1 1280 -> 1024; 4.1 M parameters with fc_audioset.
TEST(Panns, MobileNetV2NamesShapesAndCounts) {
  const ModelSpec spec{"panns_mobilenetv2", 1, 64, 96, {7}};
  BuiltModel built = build_model(spec);
  std::map<std::string, std::vector<int64_t>> shapes;
  int64_t parameters = 0;
  for (const auto& p : built.module.named_parameters()) {
    shapes[p.name] = p.value.sizes().vec();
    parameters += p.value.numel();
  }
  EXPECT_EQ(shapes.at("blocks.0.0.weight"), (std::vector<int64_t>{32, 1, 3, 3}));
  EXPECT_EQ(shapes.at("blocks.0.2.weight"), (std::vector<int64_t>{32}));
  EXPECT_EQ(shapes.at("blocks.1.conv.0.weight"), (std::vector<int64_t>{32, 1, 3, 3}));  // depthwise
  EXPECT_EQ(shapes.at("blocks.1.conv.4.weight"), (std::vector<int64_t>{16, 32, 1, 1}));
  EXPECT_EQ(shapes.count("blocks.1.conv.7.weight"), 0u);
  EXPECT_EQ(shapes.at("blocks.2.conv.0.weight"), (std::vector<int64_t>{96, 16, 1, 1}));
  EXPECT_EQ(shapes.at("blocks.2.conv.3.weight"), (std::vector<int64_t>{96, 1, 3, 3}));
  EXPECT_EQ(shapes.at("blocks.2.conv.7.weight"), (std::vector<int64_t>{24, 96, 1, 1}));
  EXPECT_EQ(shapes.at("blocks.2.conv.8.bias"), (std::vector<int64_t>{24}));
  EXPECT_EQ(shapes.at("blocks.17.conv.7.weight"), (std::vector<int64_t>{320, 960, 1, 1}));
  EXPECT_EQ(shapes.at("blocks.18.0.weight"), (std::vector<int64_t>{1280, 320, 1, 1}));
  EXPECT_EQ(shapes.at("blocks.18.1.weight"), (std::vector<int64_t>{1280}));
  EXPECT_EQ(shapes.count("blocks.19.0.weight"), 0u);
  EXPECT_EQ(shapes.at("fc1.weight"), (std::vector<int64_t>{1024, 1280}));
  EXPECT_EQ(shapes.at("fc.weight"), (std::vector<int64_t>{7, 1024}));
  EXPECT_EQ(parameters + 1024 * 527 + 527 - (1024 * 7 + 7), 4075343);
  built.module.eval();
  EXPECT_EQ(forward(built.module, input_for(spec)).sizes(), (std::vector<int64_t>{2, 7}));
}

// bn0 normalises each mel band (row) of our [N, 1, bands, frames] input: in eval mode a model
// whose bn0 statistics are (m, s) gives on x what the model with (0, 1) gives on (x - m) / s.
TEST(Panns, Bn0NormalisesEachMelBand) {
  torch::manual_seed(4);
  BuiltModel built = build_model({"panns_mobilenetv2", 1, 32, 40, {3}});
  built.module.eval();
  const at::Tensor x = torch::randn({2, 1, 32, 40});
  const at::Tensor plain = forward(built.module, x);
  const at::Tensor mean = torch::linspace(-60, -20, 32), var = torch::linspace(4, 100, 32);
  {
    torch::NoGradGuard no_grad;
    built.module.attr("bn0").toModule().attr("running_mean").toTensor().copy_(mean);
    built.module.attr("bn0").toModule().attr("running_var").toTensor().copy_(var);
  }
  const at::Tensor shifted = x * (var + 1e-5).sqrt().reshape({1, 1, 32, 1}) + mean.reshape({1, 1, 32, 1});
  EXPECT_TRUE(torch::allclose(forward(built.module, shifted), plain, 1e-4, 1e-4));
}

TEST(Panns, BadInputsAreOneLineErrors) {
  expect_invalid({"panns_cnn14", 3, 64, 64, {5}}, "panns_cnn14 takes 1-channel log-mel windows, got 3 channels");
  expect_invalid({"panns_mobilenetv2", 1, 64, 31, {5}},
                 "panns_mobilenetv2 needs an input of at least 32x32 (mel bands x frames), got 64x31");
  expect_invalid({"panns_cnn14", 1, 16, 64, {5}}, "got 16x64");
}

// multihead's head kinds: the documented modules and shapes, forward = the last of forward_heads,
// every head after the trunk in definition order (what --freeze counts on), and the sequential
// fine head driven by the macro head's prediction.
TEST(MultiHead, HeadKindsModulesShapesAndOrder) {
  const int64_t width = 512;  // resnet18's embedding
  for (const std::string kind : {"linear", "mlp", "sequential"}) {
    SCOPED_TRACE(kind);
    ModelSpec spec{"multihead", 1, 32, 32, {3, 5}};
    spec.head_kind = kind;
    torch::manual_seed(5);
    BuiltModel built = build_model(spec);
    std::map<std::string, std::vector<int64_t>> shapes;
    std::vector<std::string> order;
    for (const auto& p : built.module.named_parameters()) {
      shapes[p.name] = p.value.sizes().vec();
      order.push_back(p.name);
    }
    const int64_t fine_in = kind == "sequential" ? width + 3 : width;
    EXPECT_EQ(shapes.at("heads.0.weight"), (std::vector<int64_t>{3, width}));
    EXPECT_EQ(shapes.at("heads.1.weight"), (std::vector<int64_t>{5, fine_in}));
    EXPECT_EQ(shapes.count("shared.weight"), kind == "mlp" ? 1u : 0u);
    if (kind == "mlp") {
      EXPECT_EQ(shapes.at("shared.weight"), (std::vector<int64_t>{width, width}));
    }
    EXPECT_EQ(built.head_prefixes, kind == "mlp" ? (std::vector<std::string>{"shared.", "heads."})
                                                 : (std::vector<std::string>{"heads."}));
    bool in_head = false;
    for (const std::string& name : order) {
      const bool head = name.rfind("heads.", 0) == 0 || name.rfind("shared.", 0) == 0;
      EXPECT_TRUE(head || !in_head) << name << " comes after a head parameter";
      in_head = in_head || head;
    }
    built.module.eval();
    const at::Tensor x = input_for(spec, 3);
    const auto heads = forward_heads(built.module, x);
    EXPECT_TRUE(torch::equal(forward(built.module, x), heads.back()));
    // The fine head sees the macro head's probabilities only in the sequential design.
    {
      torch::NoGradGuard no_grad;
      built.module.attr("heads").toModule().attr("0").toModule().attr("bias").toTensor().add_(
          torch::tensor({5.0f, -5.0f, 0.0f}));
    }
    const auto moved = forward_heads(built.module, x);
    EXPECT_FALSE(torch::equal(moved[0], heads[0]));
    EXPECT_EQ(!torch::equal(moved[1], heads[1]), kind == "sequential");
  }
}

TEST(MultiHead, ShortChunkTrunkWithItsBandBuffers) {
  ModelSpec spec{"multihead", 1, 128, 130, {6, 10}};
  spec.trunk = "shortchunk";
  spec.head_kind = "sequential";
  BuiltModel built = build_model(spec);
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : built.module.named_parameters()) shapes[p.name] = p.value.sizes().vec();
  EXPECT_EQ(shapes.at("conv0.weight"), (std::vector<int64_t>{8, 1, 3, 3}));
  EXPECT_EQ(shapes.at("heads.0.weight"), (std::vector<int64_t>{6, 2 * 128 * 4}));
  EXPECT_EQ(shapes.at("heads.1.weight"), (std::vector<int64_t>{10, 2 * 128 * 4 + 6}));
  EXPECT_EQ(built.module.attr("band_mean").toTensor().sizes(), (std::vector<int64_t>{1, 128, 1}));
  EXPECT_EQ(shapes.count("fc.weight"), 0u);
}

TEST(Spec, BadSpecsAreOneLineErrors) {
  expect_invalid({"resnet19", 1, 64, 64, {5}}, "unknown model 'resnet19' (known: cnn, resnet18");
  expect_invalid({"cnn", 2, 128, 128, {5}}, "channels must be 1 (grey) or 3 (colour), got 2");
  expect_invalid({"cnn", 1, 128, 128, {}}, "exactly one entry, got {}");
  expect_invalid({"resnet18", 1, 64, 64, {12, 103}}, "exactly one entry, got {12, 103}");
  expect_invalid({"multihead", 1, 64, 64, {}}, "multihead needs at least one head");
  expect_invalid({"vit_ti16", 1, 64, 64, {0}}, "every head needs at least 1 class");
  expect_invalid({"cnn", 1, 32, 32, {5}}, "cnn needs an input of at least 39x39, got 32x32");
  expect_invalid({"cnn", 1, 128, 38, {5}}, "got 128x38");
  expect_invalid({"resnet50", 3, 16, 64, {5}}, "resnet50 needs an input of at least 32x32");
  expect_invalid({"vit_b16", 1, 100, 128, {5}}, "multiples of 16 (its patch size), got 100x128");
  expect_invalid({"vit_ti16", 1, 0, 16, {5}}, "bad input size 0x16");
  ModelSpec spec{"multihead", 1, 64, 64, {3, 5}};
  spec.trunk = "vgg16";
  expect_invalid(spec, "multihead: unknown trunk 'vgg16'");
  spec.trunk = "resnet18";
  spec.head_kind = "tree";
  expect_invalid(spec, "multihead: unknown head kind 'tree' (linear, mlp, sequential)");
  spec.head_kind = "linear";
  spec.trunk = "shortchunk";
  spec.repeat_gray = true;
  expect_invalid(spec, "multihead models only (multihead: with a resnet trunk)");
  spec = {"shortchunk", 1, 64, 64, {5}};
  spec.head_kind = "mlp";
  expect_invalid(spec, "shortchunk: head kind 'mlp' applies to multihead only");
  spec = {"gru", 1, 64, 64, {5}};
  spec.gru_hidden = 0;
  expect_invalid(spec, "hidden size must be positive");
  spec = {"resnet18", 3, 64, 64, {5}};
  spec.repeat_gray = true;
  expect_invalid(spec, "repeat_gray needs a 1-channel input");
  spec = {"cnn", 1, 64, 64, {5}};
  spec.repeat_gray = true;
  expect_invalid(spec, "repeat_gray applies to the resnet, vit and multihead models only");
  spec = {"resnet18", 1, 64, 64, {5}};
  spec.head_dropout = 1.0;
  expect_invalid(spec, "head dropout must be in [0, 1)");
}

TEST(Spec, ZeroHeadDropoutMakesTrainingDeterministicAtTheHead) {
  ModelSpec spec = small_spec("gru");
  spec.head_dropout = 0;
  BuiltModel built = build_model(spec);
  const at::Tensor x = input_for(spec);
  EXPECT_TRUE(torch::equal(forward(built.module, x), forward(built.module, x)));
}
