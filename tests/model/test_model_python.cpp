// The models against Python: --init from weights exported by
// tools/export_torchvision_weights.py (random weights, no download) must give torchvision's own
// outputs, and every model saved by C++ must load in torch.jit.load and give C++'s outputs.
// Runs /usr/bin/python3; skips where it lacks torch or torchvision.
#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/script.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "model/init_weights.h"
#include "model/model_factory.h"
#include "model_test_util.h"

using namespace genre::model;
using namespace genre::model::test;

namespace {

std::string run_python(const std::string& args, int* rc) { return run_capture(python() + " " + args, rc); }

// Exported once for the whole suite: exporting costs a Python start and torchvision's init.
class TorchvisionWeights : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!python_with_torchvision()) return;
    dir_ = std::make_unique<TempDir>();
    for (const char* arch : {"resnet18", "vit_ti16"}) {
      int rc = 0;
      const std::string out = run_python(
          export_script() + " --model " + arch + " --weights none --random-seed 5 --out " + weights(arch), &rc);
      if (rc != 0) ADD_FAILURE() << "export failed for " << arch << ":\n" << out;
    }
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override {
    REQUIRE_TORCHVISION();
    torch::manual_seed(3);
  }

  static std::string weights(const std::string& arch) { return dir_->sub(arch + ".pt"); }
  static std::string path(const std::string& name) { return dir_->sub(name); }

  // Builds, loads the weights, saves in eval mode; returns the compare script's --case.
  static std::string init_and_save(const ModelSpec& spec, const std::string& arch, const std::string& name,
                                   InitReport* report) {
    BuiltModel built = build_model(spec);
    *report = load_init(built.module, spec, weights(arch));
    built.module.eval();
    built.module.save(path(name));
    return " --case " + path(name) + "," + std::to_string(spec.channels) + "," + std::to_string(spec.height) + "," +
           std::to_string(spec.width);
  }

  static std::unique_ptr<TempDir> dir_;
};

std::unique_ptr<TempDir> TorchvisionWeights::dir_;

template <typename F>
void expect_runtime_error(F&& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no error; expected " << needles.front();
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    for (const auto& needle : needles) EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
  }
}

}  // namespace

TEST_F(TorchvisionWeights, Resnet18MatchesTorchvisionForRgbGreyAndRepeatedGrey) {
  InitReport rgb, grey, repeated;
  std::string cases = init_and_save({"resnet18", 3, 64, 64, {1000}}, "resnet18", "rgb.pt", &rgb);
  cases += init_and_save({"resnet18", 1, 64, 64, {1000}}, "resnet18", "grey.pt", &grey);
  ModelSpec repeat_spec{"resnet18", 1, 64, 64, {1000}};
  repeat_spec.repeat_gray = true;
  cases += init_and_save(repeat_spec, "resnet18", "repeated.pt", &repeated);

  EXPECT_EQ(rgb.loaded, 122);  // torchvision's resnet18 state_dict: 62 parameters, 60 buffers
  EXPECT_TRUE(rgb.skipped.empty());
  EXPECT_TRUE(rgb.adapted.empty());
  EXPECT_EQ(grey.loaded, 122);
  EXPECT_EQ(grey.adapted, std::vector<std::string>{"conv1.weight: RGB kernels summed"});
  EXPECT_TRUE(repeated.adapted.empty());

  int rc = 0;
  const std::string out =
      run_python(script_path("compare_torchvision.py") + " --weights " + weights("resnet18") + cases, &rc);
  EXPECT_EQ(rc, 0) << out;
  std::cout << out;
}

TEST_F(TorchvisionWeights, VitTi16MatchesTorchvisionAtItsOwnSizeAndInterpolated) {
  InitReport own, small;
  std::string cases = init_and_save({"vit_ti16", 3, 224, 224, {1000}}, "vit_ti16", "vit224.pt", &own);
  cases += init_and_save({"vit_ti16", 1, 64, 64, {1000}}, "vit_ti16", "vit64.pt", &small);
  EXPECT_EQ(own.loaded, 152);
  EXPECT_TRUE(own.adapted.empty());
  EXPECT_EQ(small.adapted,
            (std::vector<std::string>{"conv_proj.weight: RGB kernels summed",
                                      "encoder.pos_embedding: 14x14 patch grid interpolated (bicubic) to 4x4"}));
  int rc = 0;
  const std::string out =
      run_python(script_path("compare_torchvision.py") + " --weights " + weights("vit_ti16") + cases, &rc);
  EXPECT_EQ(rc, 0) << out;
  std::cout << out;
}

TEST_F(TorchvisionWeights, NonSquareVitInterpolatesToItsGrid) {
  ModelSpec spec{"vit_ti16", 3, 32, 64, {4}};
  BuiltModel built = build_model(spec);
  const InitReport report = load_init(built.module, spec, weights("vit_ti16"));
  EXPECT_EQ(report.adapted,
            std::vector<std::string>{"encoder.pos_embedding: 14x14 patch grid interpolated (bicubic) to 2x4"});
  EXPECT_EQ(report.skipped.size(), 2u);
  built.module.eval();
  EXPECT_EQ(built.module.forward({torch::randn({1, 3, 32, 64})}).toTensor().sizes(), (std::vector<int64_t>{1, 4}));
}

TEST_F(TorchvisionWeights, HeadOfAnotherShapeIsSkippedAndTheTrunkLoaded) {
  ModelSpec full_spec{"resnet18", 3, 64, 64, {1000}}, spec{"resnet18", 3, 64, 64, {10}};
  BuiltModel full = build_model(full_spec), built = build_model(spec);
  load_init(full.module, full_spec, weights("resnet18"));
  const at::Tensor head_before = built.module.attr("fc").toModule().attr("weight").toTensor().clone();
  const InitReport report = load_init(built.module, spec, weights("resnet18"));
  EXPECT_EQ(report.loaded, 120);
  EXPECT_EQ(report.skipped, (std::vector<std::string>{
                                "fc.weight: [1000, 512] in the file, [10, 512] in the model (keeps its initialisation)",
                                "fc.bias: [1000] in the file, [10] in the model (keeps its initialisation)"}));
  EXPECT_TRUE(torch::equal(built.module.attr("fc").toModule().attr("weight").toTensor(), head_before));
  std::map<std::string, at::Tensor> loaded;
  for (const auto& p : full.module.named_parameters()) loaded[p.name] = p.value;
  for (const auto& b : full.module.named_buffers()) loaded[b.name] = b.value;
  for (const auto& p : built.module.named_parameters()) {
    if (p.name.rfind("fc.", 0) == 0) continue;
    EXPECT_TRUE(torch::equal(p.value, loaded.at(p.name))) << p.name;
  }
  for (const auto& b : built.module.named_buffers()) EXPECT_TRUE(torch::equal(b.value, loaded.at(b.name))) << b.name;
  for (const auto& p : built.module.named_parameters()) EXPECT_TRUE(p.value.requires_grad()) << p.name;
}

TEST_F(TorchvisionWeights, MultiheadLoadsTheTrunkAndKeepsItsHeads) {
  ModelSpec spec{"multihead", 1, 64, 64, {3, 7}};
  BuiltModel built = build_model(spec);
  const at::Tensor head0 = built.module.attr("heads").toModule().attr("0").toModule().attr("weight").toTensor().clone();
  const InitReport report = load_init(built.module, spec, weights("resnet18"));
  EXPECT_EQ(report.loaded, 120);
  EXPECT_EQ(report.adapted, std::vector<std::string>{"conv1.weight: RGB kernels summed"});
  EXPECT_EQ(report.skipped, (std::vector<std::string>{"fc.weight: not in this model (its heads are its own)",
                                                      "fc.bias: not in this model (its heads are its own)"}));
  EXPECT_TRUE(
      torch::equal(built.module.attr("heads").toModule().attr("0").toModule().attr("weight").toTensor(), head0));
}

TEST_F(TorchvisionWeights, FilesForAnotherArchitectureOrDamagedAreClearErrors) {
  const std::string w = weights("resnet18");
  ModelSpec spec{"resnet18", 3, 64, 64, {10}};
  auto load = [&](const std::string& file, const ModelSpec& s) {
    return [&, file, s] {
      BuiltModel m = build_model(s);
      load_init(m.module, s, file);
    };
  };
  int rc = 0;
  const std::string r50 = path("resnet50.pt");
  std::string out = run_python(export_script() + " --model resnet50 --weights none --out " + r50, &rc);
  ASSERT_EQ(rc, 0) << out;
  expect_runtime_error(load(r50, spec), {r50 + ": weights for resnet50, but the model is resnet18"});
  ModelSpec multi{"multihead", 1, 64, 64, {3, 7}};
  multi.trunk = "resnet34";
  expect_runtime_error(load(w, multi), {w + ": weights for resnet18, but the model is multihead (resnet34)"});
  expect_runtime_error(load(weights("vit_ti16"), {"vit_b16", 3, 64, 64, {5}}),
                       {"weights for vit_ti16, but the model is vit_b16 (vit_b_16)"});

  const auto damaged = [&](const std::string& edit) {
    const std::string file = path("damaged.pt");
    const std::string log = run_python(script_path("edit_weights.py") + " " + w + " " + file + " " + edit, &rc);
    EXPECT_EQ(rc, 0) << log;
    return file;
  };
  const std::string missing_tensor = damaged("drop layer1.0.conv1.weight");
  expect_runtime_error(load(missing_tensor, spec), {missing_tensor + ": no tensor 'layer1.0.conv1.weight'"});
  const std::string bad_shape = damaged("shrink layer3.1.bn2.running_var");
  expect_runtime_error(load(bad_shape, spec), {"tensor 'layer3.1.bn2.running_var' is [128], the model needs [256]"});
  const std::string extra = damaged("add layer5.weight");
  expect_runtime_error(load(extra, spec), {"tensor 'layer5.weight' has no place in a resnet18 model"});
  const std::string not_ours = damaged("not-ours");
  expect_runtime_error(
      load(not_ours, spec),
      {not_ours + ": not a weights file written by tools/export_torchvision_weights.py (no 'format' entry)"});

  const std::string garbage = path("garbage.pt");
  std::ofstream(garbage) << "this is not a zip archive";
  expect_runtime_error(load(garbage, spec), {garbage + ": not a weights file written by"});
  expect_runtime_error(load(path("absent.pt"), spec),
                       {path("absent.pt") + ": cannot open (No such file or directory)"});
  ModelSpec cnn{"cnn", 1, 128, 128, {10}};
  BuiltModel small_cnn = build_model(cnn);
  EXPECT_THROW(load_init(small_cnn.module, cnn, w), std::invalid_argument);
}

// PANNs' weights are not on this machine: panns_reference.py writes random checkpoints in
// PANNs' layout under PANNs' names (every tensor random), tools/export_panns_weights.py converts
// them, and --init must put each tensor in its place: the reference (eager torch.nn with PANNs'
// module structure) loads the checkpoint strictly and its embedding equals our features().
class PannsWeights : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!python_with_torchvision()) return;
    dir_ = std::make_unique<TempDir>();
    for (const char* model : {"panns_cnn14", "panns_mobilenetv2"}) {
      int rc = 0;
      std::string out = run_python(script_path("panns_reference.py") + " make " + model + " " + checkpoint(model) +
                                       " --seed 9",
                                   &rc);
      if (rc == 0)
        out = run_python(export_panns_script() + " --model " + model + " --checkpoint " + checkpoint(model) +
                             " --out " + weights(model),
                         &rc);
      if (rc != 0) ADD_FAILURE() << "checkpoint or export failed for " << model << ":\n" << out;
    }
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override {
    REQUIRE_TORCHVISION();
    torch::manual_seed(5);
  }
  static std::string checkpoint(const std::string& model) { return dir_->sub(model + ".pth"); }
  static std::string weights(const std::string& model) { return dir_->sub(model + ".pt"); }
  static std::string path(const std::string& name) { return dir_->sub(name); }
  static std::unique_ptr<TempDir> dir_;
};

std::unique_ptr<TempDir> PannsWeights::dir_;

TEST_F(PannsWeights, EveryTensorLandsInPlaceAndTheHeadIsNew) {
  for (const std::string model : {"panns_cnn14", "panns_mobilenetv2"}) {
    const ModelSpec spec{model, 1, 64, 96, {10}};
    BuiltModel built = build_model(spec);
    const at::Tensor head = built.module.attr("fc").toModule().attr("weight").toTensor().clone();
    const InitReport report = load_init(built.module, spec, weights(model));
    const auto tensors =
        static_cast<int64_t>(built.module.named_parameters().size() + built.module.named_buffers().size());
    EXPECT_EQ(report.loaded, tensors - 2) << model;  // all but fc.weight and fc.bias
    EXPECT_EQ(report.fresh, (std::vector<std::string>{"fc.weight", "fc.bias"})) << model;
    EXPECT_TRUE(report.skipped.empty()) << model;
    EXPECT_TRUE(report.adapted.empty()) << model;
    EXPECT_TRUE(torch::equal(built.module.attr("fc").toModule().attr("weight").toTensor(), head)) << model;
    built.module.eval();
    built.module.save(path(model + ".scripted.pt"));
    int rc = 0;
    const std::string out = run_python(script_path("panns_reference.py") + " compare " + model + " " +
                                           checkpoint(model) + " " + path(model + ".scripted.pt"),
                                       &rc);
    EXPECT_EQ(rc, 0) << out;
    std::cout << out;
  }
}

TEST_F(PannsWeights, MismatchesAreOneLineErrors) {
  const auto load = [&](const std::string& file, const ModelSpec& s) {
    return [&, file, s] {
      BuiltModel m = build_model(s);
      load_init(m.module, s, file);
    };
  };
  const std::string mnv2 = weights("panns_mobilenetv2");
  // 128 mel bands: bn0 has 128 channels, PANNs' 64.
  expect_runtime_error(load(mnv2, {"panns_mobilenetv2", 1, 128, 96, {10}}),
                       {mnv2 + ": tensor 'bn0.weight' is [64], the model needs [128]"});
  expect_runtime_error(load(mnv2, {"panns_cnn14", 1, 64, 96, {10}}),
                       {mnv2 + ": weights for panns_mobilenetv2, but the model is panns_cnn14"});
  // The converter refuses the other architecture's checkpoint and what is not a checkpoint.
  int rc = 0;
  std::string out = run_python(export_panns_script() + " --model panns_cnn14 --checkpoint " +
                                   checkpoint("panns_mobilenetv2") + " --out " + path("wrong.pt"),
                               &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("a panns_mobilenetv2 checkpoint, not panns_cnn14 (it has features.18.0.weight)"),
            std::string::npos)
      << out;
  const std::string mel128 = path("mel128.pth");
  out = run_python(script_path("panns_reference.py") + " make panns_mobilenetv2 " + mel128 + " --mel-bins 128", &rc);
  ASSERT_EQ(rc, 0) << out;
  out = run_python(export_panns_script() + " --model panns_mobilenetv2 --checkpoint " + mel128 + " --out " +
                       path("wrong.pt"),
                   &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find(mel128 + ": 128 mel bands, not PANNs' 64"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(path("wrong.pt")));
  // A torchvision file is not a PANNs file.
  const std::string tv = path("resnet18.pt");
  out = run_python(export_script() + " --model resnet18 --weights none --out " + tv, &rc);
  ASSERT_EQ(rc, 0) << out;
  expect_runtime_error(load(tv, {"panns_cnn14", 1, 64, 96, {10}}),
                       {tv + ": not a weights file written by tools/export_panns_weights.py (wrong format tag: "
                             "genre-torchvision-weights)"});
}

TEST(SavedModules, EveryModelLoadsInPythonWithTheSameOutputs) {
  REQUIRE_TORCHVISION();
  TempDir tmp;
  std::string names;
  for (const std::string& name : genre::model::test::model_variants()) {
    torch::manual_seed(11);
    const ModelSpec spec = small_spec(name);
    BuiltModel built = build_model(spec);
    built.module.train();
    built.module.forward({torch::randn({4, spec.channels, spec.height, spec.width})});  // move BN statistics
    built.module.eval();
    const at::Tensor x = torch::randn({2, spec.channels, spec.height, spec.width});
    c10::impl::GenericDict expected(c10::StringType::get(), c10::AnyType::get());
    expected.insert(std::string("input"), x);
    expected.insert(std::string("forward"), built.module.forward({x}));
    expected.insert(std::string("heads"), built.module.run_method("forward_heads", x));
    built.module.save(tmp.sub(name + ".pt"));
    const std::vector<char> bytes = torch::jit::pickle_save(expected);
    std::ofstream(tmp.sub(name + ".expected.pt"), std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    names += " " + name;
  }
  int rc = 0;
  const std::string out = run_python(script_path("check_saved_modules.py") + " " + tmp.sub("") + names, &rc);
  EXPECT_EQ(rc, 0) << out;
  std::cout << out;
}
