// plugins/structure_json: the params events' JSON form that datasetsink writes
// into datasets (and so into model bundles) and genreclassify compares with a
// bundle's. Both must give a fraction, an array or a list the same JSON.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include "structure_json.h"

using nlohmann::json;

namespace {

GstStructure* parse(const char* text) {
  GstStructure* s = gst_structure_from_string(text, nullptr);
  EXPECT_NE(s, nullptr) << text;
  return s;
}

}  // namespace

TEST(StructureJson, ScalarsKeepTheirJsonTypes) {
  GstStructure* s = parse("genre/melspec-params, sample-rate=(int)22050, hop-length=(uint)512, "
                          "total=(guint64)18446744073709551615, offset=(gint64)-3, fmin=(double)0.5, amin=(float)0.25, "
                          "htk=(boolean)false, window=(string)hann");
  const json j = genre::structure_to_json(s);
  EXPECT_EQ(j, (json{{"sample-rate", 22050}, {"hop-length", 512u}, {"total", 18446744073709551615ull},
                     {"offset", -3}, {"fmin", 0.5}, {"amin", 0.25}, {"htk", false}, {"window", "hann"}}));
  EXPECT_TRUE(j["hop-length"].is_number_unsigned());
  EXPECT_TRUE(j["offset"].is_number_integer());
  gst_structure_free(s);
}

TEST(StructureJson, FractionsArraysAndListsAreStructuredNotText) {
  GstStructure* s = parse("genre/specresize-params, framerate=(fraction)30000/1001, "
                          "dims=(int)<128, 32, 1>, scales=(double){ 0.5, 2.0 }, "
                          "nested=< (fraction)1/2, < (string)a, (string)b > >, empty=(int)< >");
  const json j = genre::structure_to_json(s);
  EXPECT_EQ(j["framerate"], json::array({30000, 1001}));
  EXPECT_EQ(j["dims"], json::array({128, 32, 1}));
  EXPECT_EQ(j["scales"], json::array({0.5, 2.0}));
  EXPECT_EQ(j["nested"], json::parse(R"([[1, 2], ["a", "b"]])"));
  EXPECT_EQ(j["empty"], json::array());
  gst_structure_free(s);
}

// What the two elements compare: the same structure from two sources gives equal JSON,
// and a fraction 1/2 differs from 2/4 only where the values do (no text forms to mismatch).
TEST(StructureJson, EqualStructuresGiveEqualJson) {
  GstStructure* a = parse("p, rate=(fraction)1/2, list=(int){ 1, 2 }");
  GstStructure* b = gst_structure_new("p", "rate", GST_TYPE_FRACTION, 1, 2, nullptr);
  GValue list = G_VALUE_INIT, v = G_VALUE_INIT;
  gst_value_list_init(&list, 2);
  g_value_init(&v, G_TYPE_INT);
  for (int i : {1, 2}) {
    g_value_set_int(&v, i);
    gst_value_list_append_value(&list, &v);
  }
  g_value_unset(&v);
  gst_structure_take_value(b, "list", &list);
  EXPECT_EQ(genre::structure_to_json(a), genre::structure_to_json(b));
  EXPECT_EQ(genre::structure_to_json(a).dump(), R"({"list":[1,2],"rate":[1,2]})");
  gst_structure_free(a);
  gst_structure_free(b);
}

TEST(StructureJson, OtherTypesFallBackToTheirSerialisation) {
  GstStructure* s = gst_structure_new("p", "nothing", G_TYPE_STRING, nullptr, nullptr);
  GstCaps* caps = gst_caps_from_string("audio/x-raw, rate=(int)22050");
  gst_structure_set(s, "caps", GST_TYPE_CAPS, caps, nullptr);
  const json j = genre::structure_to_json(s);
  EXPECT_TRUE(j["nothing"].is_null());
  ASSERT_TRUE(j["caps"].is_string());
  // The text is GStreamer's own serialisation: it reads back to the same caps.
  GValue back = G_VALUE_INIT;
  g_value_init(&back, GST_TYPE_CAPS);
  ASSERT_TRUE(gst_value_deserialize(&back, j["caps"].get<std::string>().c_str())) << j["caps"];
  EXPECT_TRUE(gst_caps_is_equal(gst_value_get_caps(&back), caps));
  g_value_unset(&back);
  gst_caps_unref(caps);
  gst_structure_free(s);
}
