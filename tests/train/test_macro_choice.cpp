// genre-train --macro's pieces: parsing the choice, auto's group count and its one-line errors,
// regrouping class lists from FMA ids, the written macro map reading back through lib/fma's
// parser, the soft confusion, and a file naming unknown ids.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

#include "fma/csv_reader.h"
#include "fma/genres.h"
#include "loader/sample_table.h"
#include "train/macro_choice.h"

namespace {

using namespace genre;
using train::MacroChoice;

shard::ClassLists gtzan_like() {
  shard::ClassLists c;
  const std::vector<std::pair<std::string, int>> fine = {{"blues", 3}, {"metal", 31}, {"rock", 12}, {"pop", 10},
                                                         {"salsa", -1}};
  for (size_t i = 0; i < fine.size(); ++i) c.fine.push_back({static_cast<int>(i), fine[i].first, fine[i].second, -1});
  return c;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(MacroChoice, ParsesEveryForm) {
  EXPECT_EQ(train::parse_macro_choice("").kind, MacroChoice::Kind::Dataset);
  EXPECT_EQ(train::parse_macro_choice("annex").kind, MacroChoice::Kind::Map);
  EXPECT_EQ(train::parse_macro_choice("my/map.csv").map, "my/map.csv");
  EXPECT_EQ(train::parse_macro_choice("auto").kind, MacroChoice::Kind::Auto);
  EXPECT_EQ(train::parse_macro_choice("auto").groups, -1);
  EXPECT_EQ(train::parse_macro_choice("auto:0").groups, 0);  // given, and out of range below
  EXPECT_EQ(train::parse_macro_choice("auto:4").groups, 4);
  for (const char* bad : {"auto:", "auto:x", "auto:-2", "auto:2.5"}) {
    const std::string e = message_of([&] { train::parse_macro_choice(bad); });
    EXPECT_NE(e.find("K must be a whole number"), std::string::npos) << bad << ": " << e;
  }
}

TEST(MacroChoice, AutoGroupCountDefaultAndBoundsAreOneLineErrors) {
  EXPECT_EQ(train::auto_group_count(train::parse_macro_choice("auto"), 10), 3);   // round(sqrt(10))
  EXPECT_EQ(train::auto_group_count(train::parse_macro_choice("auto"), 16), 4);
  EXPECT_EQ(train::auto_group_count(train::parse_macro_choice("auto"), 163), 13);
  EXPECT_EQ(train::auto_group_count(train::parse_macro_choice("auto"), 3), 2);
  EXPECT_EQ(train::auto_group_count(train::parse_macro_choice("auto:9"), 10), 9);
  for (const char* bad : {"auto:1", "auto:10", "auto:0"}) {
    const std::string e = message_of([&] { train::auto_group_count(train::parse_macro_choice(bad), 10); });
    EXPECT_NE(e.find("K must be from 2 to 9 (the dataset has 10 fine classes)"), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  EXPECT_THROW(train::auto_group_count(train::parse_macro_choice("auto"), 2), std::invalid_argument);
}

TEST(MacroChoice, TopLevelRegroupsByFmaIdsAndLeavesUncoveredClassesWithout) {
  const shard::ClassLists r = train::regrouped_classes(gtzan_like(), train::fixed_macro_map("top-level"));
  EXPECT_EQ(r.macro.size(), 16u);  // every top-level genre, as fma-convert keeps them
  auto macro_name = [&](size_t f) { return r.fine[f].macro < 0 ? std::string("-") : r.macro[static_cast<size_t>(r.fine[f].macro)].name; };
  EXPECT_EQ(macro_name(0), "Blues");
  EXPECT_EQ(macro_name(1), "Rock");  // Metal's top level
  EXPECT_EQ(macro_name(2), "Rock");
  EXPECT_EQ(macro_name(3), "Pop");
  EXPECT_EQ(macro_name(4), "-");     // no FMA id: no macrogenre
  EXPECT_EQ(r.fine[1].name, "metal");
  EXPECT_EQ(r.fine[1].fma_genre_id, 31);
  EXPECT_EQ(r.macro[static_cast<size_t>(r.fine[2].macro)].fma_genre_id, 12);
}

TEST(MacroChoice, AutoGroupingFileRoundTripsThroughTheFmaParser) {
  shard::ClassLists c = gtzan_like();
  c.fine.push_back({5, "rock (live)", 12, -1});  // a second class with Rock's id: named, not by id
  const std::vector<int> cluster_of = {0, 1, 1, 0, 2, 1};
  const std::string csv = train::grouping_csv(c, cluster_of);
  EXPECT_EQ(csv,
            "macrogenre,fma_genre_id,fine_class\n"
            "blues+pop,3,blues\nblues+pop,10,pop\n"
            "metal+rock+rock (live),31,metal\nmetal+rock+rock (live),,rock\nmetal+rock+rock (live),,rock (live)\n"
            "salsa,,salsa\n");
  const fma::MacroMap m = fma::parse_macro_csv(fma::read_csv_text(csv, "macro_map.csv"), fma::GenreTable::builtin(),
                                               "macro_map.csv");
  const shard::ClassLists r = train::regrouped_classes(c, m);
  ASSERT_EQ(r.macro.size(), 3u);
  EXPECT_EQ(r.macro[1].name, "metal+rock+rock (live)");
  for (size_t f = 0; f < c.fine.size(); ++f) EXPECT_EQ(r.fine[f].macro, cluster_of[f]) << c.fine[f].name;
  // Past three members the name is shortened.
  const std::string big = train::grouping_csv(c, {0, 0, 0, 0, 0, 1});
  EXPECT_NE(big.find("blues+metal+rock+2 more,3,blues"), std::string::npos) << big;
}

TEST(MacroChoice, SoftConfusionAveragesTracksAndNamesMissingClasses) {
  // Class 0: track a (two windows), track b (one window); class 1: track c.
  const std::vector<float> probs = {1.0f, 0.0f, 0.5f, 0.5f, 0.0f, 1.0f, 0.2f, 0.8f};
  const std::vector<double> c = train::soft_confusion(probs, {0, 0, 0, 1}, {"a", "a", "b", "c"}, {"x", "y"});
  EXPECT_DOUBLE_EQ(c[0], 0.5 * (0.75 + 0.0));  // each track weighs the same, not each window
  EXPECT_DOUBLE_EQ(c[1], 0.5 * (0.25 + 1.0));
  EXPECT_NEAR(c[3], 0.8, 1e-6);
  const std::string e = message_of([&] { train::soft_confusion({1.0f, 0.0f, 0.0f}, {0}, {"a"}, {"x", "y", "z"}); });
  EXPECT_NE(e.find("no sample of y, z"), std::string::npos) << e;
}

TEST(MacroChoice, AFileNamingUnknownIdsIsAClearError) {
  const std::string path = (std::filesystem::temp_directory_path() / ("macro-" + std::to_string(getpid()) + ".csv")).string();
  std::ofstream(path) << "macrogenre,fma_genre_id\nLoud,12\nLoud,999999\n";
  const std::string e = message_of([&] { train::fixed_macro_map(path); });
  std::filesystem::remove(path);
  EXPECT_NE(e.find(path + " row 3: fma_genre_id 999999 is not in genres.csv"), std::string::npos) << e;
}

TEST(MacroChoice, EvidenceMustHoldEveryClassNamedPerFold) {
  const shard::ClassLists c = gtzan_like();
  std::vector<loader::SampleInfo> samples(4);
  for (int i = 0; i < 4; ++i) samples[static_cast<size_t>(i)].fine = i == 3 ? 4 : i;  // no pop (3)
  train::SampleList val;
  for (const auto& s : samples) val.push_back(&s);
  const std::string e = message_of([&] { train::check_grouping_evidence(val, c, "fold 2"); });
  EXPECT_NE(e.find("--macro auto: fold 2: the validation tracks hold no sample of pop (the grouping"), std::string::npos) << e;
  samples[2].fine = 3;  // now rock is missing
  EXPECT_NE(message_of([&] { train::check_grouping_evidence(val, c, ""); }).find("no sample of rock"), std::string::npos);
}
