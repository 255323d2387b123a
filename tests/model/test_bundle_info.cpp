// The bundle's JSON reader (lib/model/bundle_info): every malformed field is a BundleError naming
// the bundle and the field, never a JSON library exception or a silently wrong value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "model/bundle_info.h"

namespace {

using genre::model::BundleError;
using genre::model::BundleInfo;
using nlohmann::json;

json valid_bundle() {
  return {{"format", "genre-bundle"},
          {"version", 1},
          {"model", "shortchunk"},
          {"regime", "standard"},
          {"target", "fine"},
          {"heads", {"fine"}},
          {"input_shape", {1, 128, 128}},
          {"multi_label", false},
          {"classes", {{"fine", {{{"index", 0}, {"name", "Punk"}, {"fma_genre_id", 25}, {"macro", 0}}}},
                       {"macro", {{{"index", 0}, {"name", "Rock"}, {"fma_genre_id", 12}}}}}},
          {"preprocessing", json::object()},
          {"manifest_sha256", std::string(64, '0')},
          {"training", json::object()},
          {"inference", {{"hop_seconds", 1.5}}}};
}

std::string error_of(const json& j) {
  try {
    BundleInfo::from_json(j, "m.pt");
  } catch (const BundleError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(BundleInfo, RoundTripsItsOwnJson) {
  const BundleInfo info = BundleInfo::from_json(valid_bundle(), "m.pt");
  EXPECT_EQ(info.model, "shortchunk");
  EXPECT_EQ(info.target_classes().at(0).name, "Punk");
  EXPECT_DOUBLE_EQ(info.inference_hop_seconds, 1.5);
  EXPECT_EQ(BundleInfo::from_json(info.to_json(), "again").to_json(), info.to_json());
}

TEST(BundleInfo, WrongFieldTypesAreBundleErrorsNamingTheField) {
  const std::pair<const char*, json> cases[] = {
      {"multi_label", "yes"}, {"manifest_sha256", 7}, {"training", json::array()},
      {"heads", "fine"},      {"input_shape", {1, 0, 128}}, {"preprocessing", 3},
      {"inference", {{"hop_seconds", -1}}}, {"target", "coarse"}, {"model", 5}};
  for (const auto& [field, value] : cases) {
    json j = valid_bundle();
    j[field] = value;
    const std::string error = error_of(j);
    EXPECT_NE(error.find("m.pt: "), std::string::npos) << field << ": " << error;
    EXPECT_NE(error.find(field == std::string("inference") ? "hop_seconds" : field), std::string::npos)
        << field << ": " << error;
  }
}

TEST(BundleInfo, VersionsOutsideTheReadableRangeAreRefusedWithoutWrapping) {
  for (const json& version : {json(0), json(2), json(int64_t(1) << 32 | 1), json("1")}) {
    json j = valid_bundle();
    j["version"] = version;
    EXPECT_NE(error_of(j).find("version"), std::string::npos) << version.dump();
  }
}

TEST(BundleInfo, NotABundleIsSaidSo) {
  EXPECT_NE(error_of(json::array()).find("not a genre model bundle"), std::string::npos);
  json j = valid_bundle();
  j.erase("classes");
  EXPECT_NE(error_of(j).find("no 'classes'"), std::string::npos);
}

}  // namespace
