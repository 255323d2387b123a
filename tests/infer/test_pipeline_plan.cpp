// plan_pipeline: the bundle's preprocessing back into element properties, and
// the windowing chosen for files and live streams.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "dsp/melspec_parameters.h"
#include "image/specresize_parameters.h"
#include "infer/infer_error.h"
#include "infer/pipeline_plan.h"

using genre::infer::InferError;
using genre::infer::PipelinePlan;
using genre::infer::PlanOptions;
using genre::infer::plan_pipeline;
using genre::infer::property_text;
using genre::infer::PropertyList;
using nlohmann::json;

namespace {

json preprocessing(unsigned window_frames, unsigned max_frames, const std::string& normalization = "minmax") {
  return {{"genre/melspec-params",
           {{"sample-rate", 22050}, {"n-fft", 2048}, {"hop-length", 512}, {"n-mels", 128}, {"fmax", 11025.0},
            {"window", "hann"}, {"center", true}, {"frames-per-buffer", 32}}},
          {"genre/specresize-params",
           {{"window-frames", window_frames}, {"hop-frames", window_frames / 3}, {"max-frames", max_frames},
            {"width", 128}, {"height", 128}, {"channels", 1}, {"normalization", normalization},
            {"mean", "-40"}, {"std", "20"}, {"n-mels", 128}, {"amin", 1e-10}, {"top-db", 80.0}}}};
}

std::string value_of(const PropertyList& props, const std::string& name) {
  auto it = std::find_if(props.begin(), props.end(), [&](const auto& p) { return p.first == name; });
  return it == props.end() ? "(unset)" : it->second;
}

}  // namespace

TEST(PipelinePlan, EveryRecordedMelspecParameterBecomesAProperty) {
  const PipelinePlan plan = plan_pipeline(preprocessing(129, 0), PlanOptions{});
  EXPECT_EQ(value_of(plan.melspec, "sample-rate"), "22050");
  EXPECT_EQ(value_of(plan.melspec, "n-mels"), "128");
  EXPECT_EQ(value_of(plan.melspec, "fmax"), "11025");
  EXPECT_EQ(value_of(plan.melspec, "window"), "hann");
  EXPECT_EQ(value_of(plan.melspec, "center"), "true");
  EXPECT_EQ(value_of(plan.melspec, "frames-per-buffer"), "(unset)") << "how frames are batched is not preprocessing";
  EXPECT_EQ(plan.sample_rate, 22050u);
  EXPECT_DOUBLE_EQ(plan.frame_seconds, 512.0 / 22050);
}

TEST(PipelinePlan, SpecresizeGetsItsOwnPropertiesOnly) {
  const PipelinePlan plan = plan_pipeline(preprocessing(129, 0), PlanOptions{});
  EXPECT_EQ(value_of(plan.specresize, "width"), "128");
  EXPECT_EQ(value_of(plan.specresize, "normalization"), "minmax");
  EXPECT_EQ(value_of(plan.specresize, "top-db"), "80");
  for (const char* derived : {"n-mels", "amin", "mean", "std", "max-frames"})
    EXPECT_EQ(value_of(plan.specresize, derived), "(unset)") << derived;
  const PipelinePlan ms = plan_pipeline(preprocessing(129, 0, "mean-std"), PlanOptions{});
  EXPECT_EQ(value_of(ms.specresize, "mean"), "-40");
  EXPECT_EQ(value_of(ms.specresize, "std"), "20");
}

TEST(PipelinePlan, WindowedBundlesKeepTheirWindowWithAOneSecondHop) {
  const PipelinePlan plan = plan_pipeline(preprocessing(129, 0), PlanOptions{});
  EXPECT_EQ(plan.window_frames, 129u);
  EXPECT_EQ(plan.hop_frames, 43u);  // round(1 s * 22050 / 512)
  EXPECT_EQ(value_of(plan.specresize, "window-frames"), "129");
  EXPECT_EQ(value_of(plan.specresize, "hop-frames"), "43");
  EXPECT_NEAR(plan.window_seconds(), 2.9954, 1e-3);
  PlanOptions half;
  half.hop_seconds = 0.5;
  EXPECT_EQ(plan_pipeline(preprocessing(129, 0), half).hop_frames, 22u);
  PlanOptions tiny;
  tiny.hop_seconds = 0.001;
  EXPECT_EQ(plan_pipeline(preprocessing(129, 0), tiny).hop_frames, 1u) << "never below one frame";
}

// A long file is several clips of the trained length, one after another, not one squeezed image.
TEST(PipelinePlan, WholeClipBundlesGetConsecutiveClipsOfTheTrainedLength) {
  const PipelinePlan plan = plan_pipeline(preprocessing(0, 1292), PlanOptions{});
  EXPECT_EQ(plan.window_frames, 1292u);
  EXPECT_EQ(plan.hop_frames, 1292u);
  EXPECT_EQ(value_of(plan.specresize, "window-frames"), "1292");
  EXPECT_EQ(value_of(plan.specresize, "hop-frames"), "1292");
  EXPECT_EQ(value_of(plan.specresize, "max-frames"), "(unset)");
  PlanOptions hop;
  hop.hop_seconds = 0.5;
  EXPECT_EQ(plan_pipeline(preprocessing(0, 1292), hop).hop_frames, 1292u) << "files: clips do not overlap";
  // A bundle that records no clip length: one image per file, as before.
  const PipelinePlan any = plan_pipeline(preprocessing(0, 0), PlanOptions{});
  EXPECT_EQ(any.window_frames, 0u);
  EXPECT_EQ(value_of(any.specresize, "window-frames"), "0");
  EXPECT_EQ(value_of(any.specresize, "max-frames"), "0");
}

TEST(PipelinePlan, LiveTurnsTheClipLengthIntoASlidingWindow) {
  PlanOptions live;
  live.live = true;
  const PipelinePlan plan = plan_pipeline(preprocessing(0, 1292), live);
  EXPECT_EQ(plan.window_frames, 1292u);
  EXPECT_EQ(plan.hop_frames, 43u);
  EXPECT_EQ(value_of(plan.melspec, "frames-per-buffer"), "4") << "small buffers: low latency";
  try {
    plan_pipeline(preprocessing(0, 0), live);
    FAIL() << "a live plan for clips of any length";
  } catch (const InferError& e) {
    EXPECT_NE(std::string(e.what()).find("whole clips of any length"), std::string::npos) << e.what();
  }
}

TEST(PipelinePlan, MissingPreprocessingIsAnError) {
  EXPECT_THROW(plan_pipeline(json::object(), PlanOptions{}), InferError);
  json p = preprocessing(129, 0);
  p["genre/melspec-params"].erase("hop-length");
  try {
    plan_pipeline(p, PlanOptions{});
    FAIL();
  } catch (const InferError& e) {
    EXPECT_NE(std::string(e.what()).find("hop-length"), std::string::npos) << e.what();
  }
}

// Values no element could take (found by the fuzzer: 2.7e91 window frames were cast to unsigned,
// which is undefined behaviour) are InferErrors naming the parameter.
TEST(PipelinePlan, ValuesBeyondWhatTheElementsDeclareAreErrorsNamingThem) {
  const std::pair<const char*, const char*> cases[] = {{"genre/melspec-params", "sample-rate"},
                                                       {"genre/melspec-params", "hop-length"},
                                                       {"genre/specresize-params", "window-frames"},
                                                       {"genre/specresize-params", "max-frames"}};
  for (const auto& [record, key] : cases) {
    for (const json& bad : {json(2.7e91), json(-3), json("129")}) {
      json p = preprocessing(129, 0);
      p[record][key] = bad;
      try {
        plan_pipeline(p, PlanOptions{});
        ADD_FAILURE() << key << "=" << bad.dump() << " was planned";
      } catch (const InferError& e) {
        EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      }
    }
  }
  try {
    plan_pipeline(preprocessing(129, 0), PlanOptions{1e300, false});
    ADD_FAILURE() << "a hop of 1e300 s was planned";
  } catch (const InferError& e) {
    EXPECT_NE(std::string(e.what()).find("hop-frames"), std::string::npos) << e.what();
  }
}

TEST(PipelinePlan, PropertyTextKeepsEveryDigit) {
  EXPECT_EQ(property_text(json(0.1)), "0.10000000000000001");
  EXPECT_EQ(property_text(json(2048)), "2048");
  EXPECT_EQ(property_text(json(false)), "false");
  EXPECT_EQ(property_text(json("slaney")), "slaney");
}

// What an element leaves unset is decided by its parameter table: only what it
// declares as delivery (how frames are batched, how often a window starts).
TEST(PipelinePlan, WhatMayChangeTheModelsInputComesFromTheParameterTables) {
  using genre::infer::may_change_model_input;
  EXPECT_FALSE(may_change_model_input("melspec", "frames-per-buffer"));
  EXPECT_FALSE(may_change_model_input("specresize", "hop-frames"));
  EXPECT_TRUE(may_change_model_input("melspec", "n-mels"));
  EXPECT_TRUE(may_change_model_input("specresize", "window-frames"));
  EXPECT_TRUE(may_change_model_input("specresize", "crop")) << "a name no table declares may";
  EXPECT_TRUE(may_change_model_input("other", "frames-per-buffer"));
}

// A parameter the bundle records but no table declares (a newer plugin's) is
// planned, not dropped, so genre-classify can refuse it by name.
TEST(PipelinePlan, AParameterNoTableDeclaresIsPlanned) {
  json p = preprocessing(129, 0);
  p["genre/specresize-params"]["crop"] = "0,4";
  EXPECT_EQ(value_of(plan_pipeline(p, PlanOptions{}).specresize, "crop"), "0,4");
}

// The elements' own records, planned back: every property that changes the
// images, with the value recorded; nothing the element derives or the plan chooses.
TEST(PipelinePlan, TheElementsRecordsPlanBackToEveryContentProperty) {
  genre::dsp::MelspecSettings mel;
  mel.config.sample_rate = 16000;
  mel.config.n_mels = 64;
  mel.config.window = genre::dsp::WindowType::Hamming;
  genre::image::SpecresizeInEffect spec;
  spec.window.window_frames = 100;
  spec.image.width = 64;
  spec.n_mels = 64;
  const auto& mel_table = genre::dsp::melspec_parameters();
  const auto& spec_table = genre::image::specresize_parameters();
  const json pre = {{"genre/melspec-params", mel_table.record(mel)},
                    {"genre/specresize-params", spec_table.record(spec)}};
  const PipelinePlan plan = plan_pipeline(pre, PlanOptions{});
  for (const auto& p : mel_table.parameters())
    EXPECT_EQ(value_of(plan.melspec, p.name),
              p.name == std::string("frames-per-buffer") ? "(unset)" : property_text(pre["genre/melspec-params"][p.name]))
        << p.name;
  EXPECT_EQ(value_of(plan.melspec, "window"), "hamming");
  EXPECT_EQ(value_of(plan.melspec, "fmax"), "8000");
  const std::set<std::string> content = {"short-policy", "width", "height", "channels", "interpolation",
                                         "low-freq-at", "db-ref", "top-db", "input-scale", "normalization",
                                         "colormap"};
  for (const auto& p : spec_table.parameters()) {
    const std::string name = p.name;
    if (content.count(name)) {
      EXPECT_EQ(value_of(plan.specresize, name), property_text(pre["genre/specresize-params"][name])) << name;
    } else if (name != "window-frames" && name != "hop-frames") {  // the plan's own choice
      EXPECT_EQ(value_of(plan.specresize, name), "(unset)") << name;
    }
  }
  EXPECT_EQ(plan.specresize.size(), content.size() + 2);
}
