#include "taxonomy/taxonomy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

using genre::taxonomy::ClassInfo;
using genre::taxonomy::Taxonomy;

namespace {

Taxonomy sample() {
  Taxonomy t;
  t.macro = {{0, "Rock", -1}, {1, "Electronic", 15}};
  t.fine = {{0, "Indie-Rock", 66}, {1, "IDM", 236}, {2, "Experimental", 38}};
  t.fine_to_macro = {0, 1, -1};
  return t;
}

std::filesystem::path temp_dir() {
  auto d = std::filesystem::temp_directory_path() /
           ("genre-taxonomy-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(d);
  return d;
}

std::string expect_throw_message(const std::string& text) {
  try {
    Taxonomy::from_json_string(text, "bad.json");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception for: " << text;
  return {};
}

}  // namespace

TEST(Taxonomy, LookupByNameThenIndex) {
  Taxonomy t = sample();
  EXPECT_EQ(t.fine_index("IDM"), 1);
  EXPECT_EQ(t.fine_index("2"), 2);
  EXPECT_EQ(t.fine_index("3"), std::nullopt);
  EXPECT_EQ(t.fine_index("Rock"), std::nullopt);  // a macro name, not a fine one
  EXPECT_EQ(t.fine_index("-1"), std::nullopt);
  EXPECT_EQ(t.fine_index("1x"), std::nullopt);
  EXPECT_EQ(t.fine_index(""), std::nullopt);
  EXPECT_EQ(t.macro_index("Electronic"), 1);
  EXPECT_EQ(t.macro_index("0"), 0);
  EXPECT_EQ(t.macro_index("2"), std::nullopt);
  EXPECT_EQ(t.fine_index_by_fma_id(236), 1);
  EXPECT_EQ(t.fine_index_by_fma_id(12), std::nullopt);
  EXPECT_EQ(t.macro_of(0), 0);
  EXPECT_EQ(t.macro_of(2), -1);
  EXPECT_EQ(t.macro_of(7), -1);
}

TEST(Taxonomy, NameThatLooksLikeAnIndexWinsByName) {
  Taxonomy t;
  t.fine = {{0, "a", -1}, {1, "0", -1}};
  t.fine_to_macro = {-1, -1};
  EXPECT_EQ(t.fine_index("0"), 1);
  EXPECT_EQ(t.fine_index("1"), 1);
}

TEST(Taxonomy, JsonRoundTripThroughFile) {
  auto dir = temp_dir();
  auto path = (dir / "taxonomy.json").string();
  Taxonomy t = sample();
  t.save_json(path);
  Taxonomy u = Taxonomy::load_json(path);
  ASSERT_EQ(u.fine.size(), 3u);
  ASSERT_EQ(u.macro.size(), 2u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(u.fine[i].name, t.fine[i].name);
    EXPECT_EQ(u.fine[i].fma_genre_id, t.fine[i].fma_genre_id);
    EXPECT_EQ(u.fine[i].index, static_cast<int>(i));
  }
  EXPECT_EQ(u.fine_to_macro, t.fine_to_macro);
  EXPECT_EQ(u.macro[0].fma_genre_id, -1);
  EXPECT_EQ(u.macro[1].name, "Electronic");
  EXPECT_EQ(u.to_json_string(), t.to_json_string());
  // No temporary left behind.
  int files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1);
  std::filesystem::remove_all(dir);
}

TEST(Taxonomy, ParsesDocumentedShapeWithOptionalFields) {
  Taxonomy t = Taxonomy::from_json_string(
      R"({"fine":[{"name":"Jazz","fma_genre_id":4,"macro":0},{"name":"Noise"}],
          "macro":[{"index":0,"name":"Jazz"}]})",
      "inline");
  ASSERT_EQ(t.fine.size(), 2u);
  EXPECT_EQ(t.fine[1].fma_genre_id, -1);
  EXPECT_EQ(t.fine_to_macro, (std::vector<int>{0, -1}));
  EXPECT_EQ(t.macro[0].fma_genre_id, -1);
}

TEST(Taxonomy, RejectsMalformedInputWithNamedErrors) {
  EXPECT_NE(expect_throw_message("{not json").find("bad.json"), std::string::npos);
  EXPECT_NE(expect_throw_message("[]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(expect_throw_message(R"({"macro":[]})").find("\"fine\""), std::string::npos);
  EXPECT_NE(expect_throw_message(R"({"fine":[{"index":1,"name":"x"}]})").find("expected its position 0"),
            std::string::npos);
  EXPECT_NE(expect_throw_message(R"({"fine":[{"name":"x"},{"name":"x"}]})").find("duplicate fine"),
            std::string::npos);
  EXPECT_NE(expect_throw_message(R"({"fine":[{"name":"x","macro":3}],"macro":[{"name":"m"}]})")
                .find("outside [0, 1)"),
            std::string::npos);
  EXPECT_NE(expect_throw_message(R"({"fine":[{"name":""}]})").find("empty name"), std::string::npos);
  EXPECT_NE(expect_throw_message(R"({"fine":[{"name":"x","fma_genre_id":"4"}]})").find("fma_genre_id"),
            std::string::npos);
}

TEST(Taxonomy, MissingFileNamesThePath) {
  try {
    Taxonomy::load_json("/nonexistent/dir/taxonomy.json");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/taxonomy.json"), std::string::npos);
  }
}

TEST(Taxonomy, SaveRefusesInconsistentTaxonomy) {
  Taxonomy t = sample();
  t.fine_to_macro.pop_back();
  EXPECT_THROW(t.to_json_string(), std::runtime_error);
}
