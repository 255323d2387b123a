// check_preprocessing: which upstream parameters may differ from the bundle's.
#include <gtest/gtest.h>

#include "infer/preprocessing_check.h"

using genre::infer::check_preprocessing;
using genre::infer::kMelspecParams;
using genre::infer::kSpecresizeParams;
using nlohmann::json;

namespace {

json melspec() {
  return {{"sample-rate", 22050}, {"n-fft", 2048}, {"hop-length", 512}, {"n-mels", 128}, {"fmax", 11025.0},
          {"window", "hann"}, {"center", true}, {"frames-per-buffer", 32}};
}

json specresize() {
  return {{"window-frames", 129}, {"hop-frames", 43}, {"max-frames", 0}, {"width", 128}, {"height", 128},
          {"channels", 1}, {"normalization", "minmax"}, {"short-policy", "pad"}, {"top-db", 80.0}};
}

json bundle() { return {{kMelspecParams, melspec()}, {kSpecresizeParams, specresize()}}; }

}  // namespace

TEST(PreprocessingCheck, IdenticalParametersMatch) {
  EXPECT_EQ(check_preprocessing(kMelspecParams, melspec(), bundle()), "");
  EXPECT_EQ(check_preprocessing(kSpecresizeParams, specresize(), bundle()), "");
}

TEST(PreprocessingCheck, HopAndBufferingMayDiffer) {
  json s = specresize();
  s["hop-frames"] = 1;
  EXPECT_EQ(check_preprocessing(kSpecresizeParams, s, bundle()), "");
  json m = melspec();
  m["frames-per-buffer"] = 7;
  EXPECT_EQ(check_preprocessing(kMelspecParams, m, bundle()), "");
}

TEST(PreprocessingCheck, AContentParameterMustMatchAndIsNamed) {
  json m = melspec();
  m["n-mels"] = 64;
  const std::string e = check_preprocessing(kMelspecParams, m, bundle());
  EXPECT_NE(e.find("melspec n-mels=64"), std::string::npos) << e;
  EXPECT_NE(e.find("expects n-mels=128"), std::string::npos) << e;

  json s = specresize();
  s["normalization"] = "imagenet";
  const std::string e2 = check_preprocessing(kSpecresizeParams, s, bundle());
  EXPECT_NE(e2.find("specresize normalization=imagenet"), std::string::npos) << e2;
  EXPECT_NE(e2.find("normalization=minmax"), std::string::npos) << e2;
}

TEST(PreprocessingCheck, TheCauseIsNamedFirstAndEveryDifferenceListed) {
  json m = melspec();
  m["sample-rate"] = 16000;
  m["fmax"] = 8000.0;
  m["window"] = "hamming";
  const std::string e = check_preprocessing(kMelspecParams, m, bundle());
  EXPECT_EQ(e.find("melspec sample-rate=16000, but the model expects sample-rate=22050"), 0u) << e;
  EXPECT_NE(e.find("also different: fmax=8000.0 (model: 11025.0), window=hamming (model: hann)"), std::string::npos)
      << e;
}

TEST(PreprocessingCheck, NumbersCompareByValue) {
  json m = melspec();
  m["fmax"] = 11025;  // an int where the bundle has a double
  EXPECT_EQ(check_preprocessing(kMelspecParams, m, bundle()), "");
  m["fmax"] = 11024.5;
  EXPECT_NE(check_preprocessing(kMelspecParams, m, bundle()), "");
}

TEST(PreprocessingCheck, TheWindowLengthMustMatch) {
  json s = specresize();
  s["window-frames"] = 43;
  const std::string e = check_preprocessing(kSpecresizeParams, s, bundle());
  EXPECT_NE(e.find("window-frames=43"), std::string::npos) << e;
  EXPECT_NE(e.find("window-frames=129"), std::string::npos) << e;
}

TEST(PreprocessingCheck, AClipCutToNFramesIsAWindowOfN) {
  json trained = bundle();
  trained[kSpecresizeParams]["window-frames"] = 0;
  trained[kSpecresizeParams]["max-frames"] = 1292;
  json live = specresize();
  live["window-frames"] = 1292;
  live["hop-frames"] = 43;
  EXPECT_EQ(check_preprocessing(kSpecresizeParams, live, trained), "");
  live["window-frames"] = 129;
  const std::string e = check_preprocessing(kSpecresizeParams, live, trained);
  EXPECT_NE(e.find("max-frames=1292"), std::string::npos) << e;

  json whole = bundle();  // whole clips of any length: only whole clips match
  whole[kSpecresizeParams]["window-frames"] = 0;
  json per_clip = specresize();
  per_clip["window-frames"] = 0;
  EXPECT_EQ(check_preprocessing(kSpecresizeParams, per_clip, whole), "");
  EXPECT_NE(check_preprocessing(kSpecresizeParams, specresize(), whole), "");
}

TEST(PreprocessingCheck, AMissingUpstreamParameterIsAMismatch) {
  json m = melspec();
  m.erase("window");
  const std::string e = check_preprocessing(kMelspecParams, m, bundle());
  EXPECT_NE(e.find("does not report 'window'"), std::string::npos) << e;
}

TEST(PreprocessingCheck, WhatTheBundleDoesNotDescribeIsNotChecked) {
  json m = melspec();
  m["n-mels"] = 64;
  EXPECT_EQ(check_preprocessing(kMelspecParams, m, json::object()), "");
  EXPECT_EQ(check_preprocessing("genre/other-params", m, bundle()), "");
  m = melspec();
  m["new-parameter"] = 3;  // upstream knows more than the bundle: fine
  EXPECT_EQ(check_preprocessing(kMelspecParams, m, bundle()), "");
}
