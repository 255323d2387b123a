// Datasets from genre-labelled folders: scanning a tree, --label-csv rows,
// sample keys, and the plan (taxonomy with FMA ids and macrogenres, errors
// for key collisions and unmapped labels, group-disjoint stratified splits).
#include "fma/csv_reader.h"
#include "fma/folder_plan.h"
#include "shard/sample_key.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace fs = std::filesystem;
using namespace genre::fma;

namespace {

class TempTree {
 public:
  TempTree() : root_(fs::temp_directory_path() / ("genre-folders-" + std::to_string(::getpid()) + "-" +
                                                   std::to_string(counter_++))) {
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~TempTree() { fs::remove_all(root_); }
  std::string add(const std::string& rel, const std::string& text = "x") {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
    return (root_ / rel).string();
  }
  std::string path() const { return root_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path root_;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::vector<LabelledFile> files_of(const std::vector<std::pair<std::string, std::string>>& path_label,
                                   const std::string& group = "") {
  std::vector<LabelledFile> out;
  for (const auto& [p, l] : path_label) out.push_back({p, l, group});
  return out;
}

}  // namespace

TEST(FolderKey, DotFreeStableAndWebDatasetSafe) {
  EXPECT_EQ(folder_sample_key("blues/blues.00000.wav"), "blues_blues_00000");
  EXPECT_EQ(folder_sample_key("Rock/The Artist/Album (1999)/01 - Song.flac"), "Rock_The_Artist_Album__1999__01_-_Song");
  EXPECT_EQ(folder_sample_key("rock/noext"), "rock_noext");
  EXPECT_EQ(folder_sample_key("rock/.hidden"), "rock__hidden");  // a leading dot is not an extension
  EXPECT_EQ(folder_sample_key("rock/take_w2.wav"), "rock_take_w2_");  // never read back as a window
  EXPECT_EQ(folder_sample_key("Jazz/Café.mp3"), "Jazz_Caf__");       // UTF-8 bytes become '_'
  const std::string long_path = "Rock/" + std::string(120, 'a') + ".mp3";
  const std::string k = folder_sample_key(long_path);
  EXPECT_EQ(k.size(), 64u);
  EXPECT_EQ(k, folder_sample_key(long_path));
  EXPECT_NE(k, folder_sample_key("Rock/" + std::string(120, 'a') + "b.mp3"));
  for (const std::string p : {"blues/blues.00000.wav", "a b/c.d.e.mp3", long_path.c_str()}) {
    const std::string key = folder_sample_key(p);
    EXPECT_EQ(genre::shard::key_problem(key), "") << key;
    EXPECT_EQ(genre::shard::key_problem(genre::shard::window_key(key, 123456)), "") << key;
    EXPECT_FALSE(genre::shard::parse_key(key).window.has_value()) << key;
  }
}

TEST(FolderScan, LabelIsTheFirstFolderNestedFilesIncludedHiddenSkipped) {
  TempTree t;
  t.add("blues/blues.00000.wav");
  t.add("Rock/Artist/Album/01.flac");
  t.add("Rock/Artist/notes.txt");
  t.add("Rock/.DS_Store");
  t.add(".git/objects/x");
  t.add("jazz/.cache/y.wav");
  t.add("README.md");
  t.add("ds/train-000000.tar");  // the output inside the root
  std::vector<std::string> unlabelled;
  auto files = scan_label_folders(t.path(), {t.path() + "/ds"}, &unlabelled);
  std::map<std::string, std::string> got;
  for (const auto& f : files) got[f.rel_path] = f.label;
  EXPECT_EQ(got, (std::map<std::string, std::string>{{"Rock/Artist/Album/01.flac", "Rock"},
                                                      {"Rock/Artist/notes.txt", "Rock"},
                                                      {"blues/blues.00000.wav", "blues"}}));
  EXPECT_EQ(unlabelled, std::vector<std::string>{"README.md"});
  EXPECT_NE(error_of([&] { scan_label_folders(t.path() + "/missing", {}, nullptr); }).find("not a directory"),
            std::string::npos);
}

TEST(LabelCsv, RowsHeaderQuotingAndGroups) {
  TempTree t;
  const std::string csv = t.add("labels.csv",
                                "path,genre,artist\n"
                                "\"a, b/one.wav\",Rock,\"Artist, The\"\n"
                                "./x/two.wav,Jazz,7\n"
                                "\n"
                                "three.wav,Rock\n");
  bool has_group = false;
  auto files = load_label_csv(csv, &has_group);
  EXPECT_TRUE(has_group);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].rel_path, "a, b/one.wav");
  EXPECT_EQ(files[0].group, "Artist, The");
  EXPECT_EQ(files[1].rel_path, "three.wav");
  EXPECT_EQ(files[1].group, "");
  EXPECT_EQ(files[2].rel_path, "x/two.wav");
  EXPECT_EQ(files[2].label, "Jazz");
  const std::string plain = t.add("plain.csv", "one.wav,Rock\n");
  EXPECT_EQ(load_label_csv(plain, &has_group).size(), 1u);
  EXPECT_FALSE(has_group);
}

TEST(LabelCsv, MalformedRowsNameFileAndLine) {
  TempTree t;
  auto expect = [&](const std::string& text, const std::string& needle) {
    const std::string csv = t.add("bad.csv", text);
    const std::string e = error_of([&] { load_label_csv(csv, nullptr); });
    EXPECT_NE(e.find(needle), std::string::npos) << "got: " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  };
  expect("path,genre\na.wav,Rock\nb.wav\n", "bad.csv:3: 1 fields, expected path,genre[,group]");
  expect("a.wav,Rock,x,y\n", "bad.csv:1: 4 fields");
  expect("a.wav,\n", "bad.csv:1: empty path or genre");
  expect("/etc/passwd,Rock\n", "bad.csv:1: path \"/etc/passwd\" is not relative");
  expect("../up.wav,Rock\n", "is not relative");
  expect("a.wav,Rock\n./a.wav,Jazz\n", "bad.csv:2: path \"./a.wav\" is listed twice");
  expect("\"a.wav,Rock\n", "bad.csv:1");  // unterminated quote
}

TEST(FolderPlan, GtzanLabelsGetFmaIdsAndTopLevelMacrogenres) {
  const GenreTable g = GenreTable::builtin();
  const GenreMap map = gtzan_genre_map(g);
  const MacroMap top = top_level_macro_map(g);
  std::vector<std::pair<std::string, std::string>> pl;
  for (const std::string genre : {"blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop",
                                  "reggae", "rock"})
    for (int i = 0; i < 10; ++i) pl.push_back({genre + "/" + genre + ".0000" + std::to_string(i) + ".wav", genre});
  DatasetPlan p = build_folder_plan(files_of(pl), &map, &top, {});
  EXPECT_EQ(p.source, "folders");
  ASSERT_EQ(p.taxonomy.fine.size(), 10u);
  EXPECT_EQ(p.taxonomy.macro.size(), 16u);
  EXPECT_EQ(p.report.no_macro, 0u);
  std::map<std::string, std::string> macro_of;
  for (size_t i = 0; i < 10; ++i)
    macro_of[p.taxonomy.fine[i].name] = p.taxonomy.macro[static_cast<size_t>(p.taxonomy.fine_to_macro[i])].name;
  EXPECT_EQ(macro_of["metal"], "Rock");
  EXPECT_EQ(macro_of["disco"], "Soul-RnB");
  EXPECT_EQ(macro_of["reggae"], "International");
  EXPECT_EQ(macro_of["blues"], "Blues");
  EXPECT_EQ(p.taxonomy.fine[static_cast<size_t>(*p.taxonomy.fine_index("reggae"))].fma_genre_id, 79);
  std::map<std::string, std::map<std::string, int>> per_class;
  std::set<std::string> keys;
  for (const auto& t : p.tracks) {
    ++per_class[p.taxonomy.fine[static_cast<size_t>(t.fine)].name][t.split];
    EXPECT_TRUE(keys.insert(t.key).second);
    EXPECT_EQ(t.id, t.key);
  }
  for (const auto& [c, n] : per_class) EXPECT_EQ(n, (std::map<std::string, int>{{"test", 1}, {"train", 8}, {"val", 1}})) << c;
  // The same files in another order: the same plan.
  std::reverse(pl.begin(), pl.end());
  DatasetPlan again = build_folder_plan(files_of(pl), &map, &top, {});
  ASSERT_EQ(again.tracks.size(), p.tracks.size());
  for (size_t i = 0; i < p.tracks.size(); ++i) {
    EXPECT_EQ(again.tracks[i].key, p.tracks[i].key);
    EXPECT_EQ(again.tracks[i].split, p.tracks[i].split);
  }
}

TEST(FolderPlan, WithoutAMapFineLabelsOnly) {
  DatasetPlan p = build_folder_plan(files_of({{"Salsa/a.mp3", "Salsa"}, {"Polka/b.mp3", "Polka"}}), nullptr, nullptr, {});
  ASSERT_EQ(p.taxonomy.fine.size(), 2u);
  EXPECT_EQ(p.taxonomy.fine[0].name, "Polka");
  EXPECT_EQ(p.taxonomy.fine[0].fma_genre_id, -1);
  EXPECT_TRUE(p.taxonomy.macro.empty());
  for (const auto& t : p.tracks) EXPECT_EQ(t.macro, -1);
}

TEST(FolderPlan, AMacroFileGroupsLabelsWithoutFmaIdsByName) {
  const MacroMap m = parse_macro_csv(read_csv_text("macrogenre,fma_genre_id,fine_class\nLatin,,Salsa\n", "m.csv"),
                                     GenreTable::builtin(), "m.csv");
  DatasetPlan p = build_folder_plan(files_of({{"Salsa/a.mp3", "Salsa"}, {"Polka/b.mp3", "Polka"}}), nullptr, &m, {});
  ASSERT_EQ(p.taxonomy.macro.size(), 1u);
  EXPECT_EQ(p.taxonomy.macro[0].name, "Latin");
  EXPECT_EQ(p.taxonomy.fine_to_macro, (std::vector<int>{-1, 0}));  // Polka, Salsa
}

TEST(FolderPlan, UnmappedLabelsAndKeyCollisionsAreErrorsNamingThem) {
  const GenreTable g = GenreTable::builtin();
  const GenreMap map = gtzan_genre_map(g);
  const MacroMap top = top_level_macro_map(g);
  std::string e = error_of([&] {
    build_folder_plan(files_of({{"rock/a.wav", "rock"}, {"Salsa/b.wav", "Salsa"}, {"polka/c.wav", "polka"}}), &map,
                      &top, {});
  });
  EXPECT_NE(e.find("labels not in the genre map gtzan: Salsa, polka"), std::string::npos) << e;
  e = error_of([&] { build_folder_plan(files_of({{"rock/a b.wav", "rock"}, {"rock/a_b.mp3", "rock"}}), nullptr, nullptr, {}); });
  EXPECT_NE(e.find("\"rock/a b.wav\" and \"rock/a_b.mp3\" both get the sample key \"rock_a_b\""), std::string::npos) << e;
  e = error_of([&] { build_folder_plan(files_of({{"rock/a.wav", "rock"}, {"rock/a.mp3", "rock"}}), nullptr, nullptr, {}); });
  EXPECT_NE(e.find("both get the sample key \"rock_a\""), std::string::npos) << e;
  EXPECT_NE(error_of([&] { build_folder_plan({}, nullptr, nullptr, {}); }), "");
}

TEST(FolderPlan, ArtistGroupsNeverSpanTwoSplits) {
  std::vector<LabelledFile> files;
  for (int i = 0; i < 240; ++i) {
    const std::string label = i % 2 ? "Rock" : "Jazz";
    const std::string artist = i % 37 == 0 ? "" : label + "-artist" + std::to_string(i / 12);
    files.push_back({label + "/" + std::to_string(i) + ".mp3", label, artist});
  }
  FolderPlanOptions o;
  o.split_group = SplitGroup::Artist;
  DatasetPlan p = build_folder_plan(files, nullptr, nullptr, o);
  EXPECT_EQ(p.split_group, SplitGroup::Artist);
  std::map<std::string, std::set<std::string>> splits;
  std::map<std::string, int> n;
  for (const auto& t : p.tracks) {
    if (!t.artist.empty()) splits[t.artist].insert(t.split);
    ++n[t.split];
  }
  EXPECT_GT(splits.size(), 30u);
  for (const auto& [a, s] : splits) EXPECT_EQ(s.size(), 1u) << a;
  EXPECT_NEAR(n["train"] / 240.0, 0.8, 0.05);
  EXPECT_NEAR(n["val"] / 240.0, 0.1, 0.05);
  EXPECT_NEAR(n["test"] / 240.0, 0.1, 0.05);
  o.split_group = SplitGroup::Album;
  EXPECT_THROW(build_folder_plan(files, nullptr, nullptr, o), std::invalid_argument);
}

TEST(FolderPlan, OneLabelIsAnErrorNamingTheFolderToPass) {
  // gtzan/ instead of gtzan/genres_original/: every file under the one folder "genres_original".
  const std::string e = error_of([&] {
    build_folder_plan(files_of({{"genres_original/rock/a.wav", "genres_original"},
                                {"genres_original/jazz/b.wav", "genres_original"}}),
                      nullptr, nullptr, {});
  });
  EXPECT_NE(e.find("every file has the label \"genres_original\""), std::string::npos) << e;
  EXPECT_NE(e.find("pass that folder"), std::string::npos) << e;
}
