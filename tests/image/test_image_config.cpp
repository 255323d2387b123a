// Invalid settings are rejected with a message naming the property to fix.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "image/frame_windower.h"
#include "image/image_config.h"
#include "image/specresize_parameters.h"

using namespace genre::image;

namespace {

std::string error_of(const ImageConfig& c) {
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

std::string error_of(const WindowConfig& c) {
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ImageConfig, DefaultsAreValid) {
  EXPECT_EQ(error_of(ImageConfig{}), "");
  EXPECT_EQ(error_of(WindowConfig{}), "");
}

TEST(ImageConfig, ColormapNeedsThreeChannels) {
  ImageConfig c;
  c.colormap = Colormap::Viridis;
  EXPECT_NE(error_of(c).find("channels=3"), std::string::npos) << error_of(c);
  c.channels = 3;
  EXPECT_EQ(error_of(c), "");
  c.channels = 1;
  c.colormap = Colormap::Gray;  // gray is fine as one plane
  EXPECT_EQ(error_of(c), "");
}

TEST(ImageConfig, ChannelsOnlyOneOrThree) {
  ImageConfig c;
  c.channels = 2;
  EXPECT_NE(error_of(c).find("channels=2"), std::string::npos);
}

TEST(ImageConfig, ImageNetNeedsThreeChannels) {
  ImageConfig c;
  c.normalization = Normalization::ImageNet;
  EXPECT_NE(error_of(c).find("imagenet"), std::string::npos);
}

TEST(ImageConfig, MeanStdNeedsValues) {
  ImageConfig c;
  c.normalization = Normalization::MeanStd;
  EXPECT_NE(error_of(c).find("mean"), std::string::npos);
  c.mean = {-40};
  c.std = {0};
  EXPECT_NE(error_of(c).find("std"), std::string::npos);
  c.std = {20, 20};  // two values for one channel
  EXPECT_NE(error_of(c).find("std has 2 values"), std::string::npos);
  c.std = {20};
  EXPECT_EQ(error_of(c), "");
  c.normalization = Normalization::MinMax;  // mean/std given but unused
  EXPECT_NE(error_of(c).find("mean-std"), std::string::npos);
}

TEST(ImageConfig, TopDbNotNegative) {
  ImageConfig c;
  c.top_db = -1;
  EXPECT_NE(error_of(c).find("top-db"), std::string::npos);
}

TEST(ImageConfig, NumberLists) {
  EXPECT_EQ(parse_number_list("0.5", "mean"), std::vector<double>({0.5}));
  EXPECT_EQ(parse_number_list(" 1, -2.5 ,3e1", "mean"), std::vector<double>({1, -2.5, 30}));
  EXPECT_TRUE(parse_number_list("", "mean").empty());
  try {
    parse_number_list("1,abc", "std");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("std='1,abc'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_number_list("1,,2", "mean"), std::invalid_argument);
}

TEST(WindowConfig, HopNeedsWindow) {
  WindowConfig w;
  w.hop_frames = 10;
  EXPECT_NE(error_of(w).find("hop-frames=10"), std::string::npos);
  w.window_frames = 5;  // hop > window: allowed, frames between windows are skipped
  EXPECT_EQ(error_of(w), "");
}

TEST(WindowConfig, WindowLongerThanMaxFrames) {
  WindowConfig w;
  w.window_frames = 100;
  w.max_frames = 50;
  EXPECT_NE(error_of(w).find("max-frames=50"), std::string::npos);
}

// specresize's parameter table: the record holds what the element runs with
// (the hop in effect, the statistics applied, the input scale resolved, n-mels
// from the caps), and the parameters it derives are not properties.
TEST(SpecresizeParameters, RecordHoldsTheValuesInEffect) {
  const SpecresizeTable& table = specresize_parameters();
  EXPECT_FALSE(table.find("n-mels")->property);
  EXPECT_FALSE(table.find("amin")->property);
  EXPECT_FALSE(table.find("hop-frames")->changes_model_input());
  EXPECT_EQ(table.find("window-frames")->effect, genre::params::Effect::Span);
  for (const auto& p : table.parameters()) {
    if (p.name == std::string("input-scale")) {
      EXPECT_EQ(p.get(SpecresizeSettings{}), int(InputScaleChoice::Auto));
    }
  }

  SpecresizeInEffect r;
  r.window.window_frames = 40;
  r.image.channels = 3;
  r.image.normalization = Normalization::ImageNet;
  r.image.input_scale = InputScale::Power;
  r.n_mels = 96;
  const nlohmann::json j = table.record(r);
  EXPECT_EQ(j.size(), table.parameters().size());
  EXPECT_EQ(j["hop-frames"], 40) << "0 = window-frames, recorded as the hop in effect";
  EXPECT_EQ(j["mean"], "0.485,0.456,0.406");
  EXPECT_EQ(j["input-scale"], "power");
  EXPECT_EQ(j["normalization"], "imagenet");
  EXPECT_EQ(j["n-mels"], 96);
  EXPECT_EQ(j["top-db"], 80.0);
}
