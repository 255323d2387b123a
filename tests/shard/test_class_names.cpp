// Class lists grown from label names (datasets without a taxonomy): name
// normalisation, the manifest's append-only list, refusing to mix names with
// indices or a taxonomy, and concurrent writers in separate processes that
// must end with one list every sample agrees with.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "shard/class_names.h"
#include "shard/dataset_reader.h"
#include "shard/shard_error.h"
#include "shard_test_util.h"

using namespace genre::shard;
using namespace genre::shard::test;

namespace {

const std::vector<std::uint64_t> kShape{1, 2, 3};

WriterOptions plain(const std::string& dir, std::uint64_t max_samples = 1000) {
  WriterOptions o;
  o.dir = dir;
  o.max_samples = max_samples;
  return o;
}

std::vector<std::string> fine_names(const Manifest& m) {
  std::vector<std::string> out;
  for (const ClassEntry& c : m.classes.fine) out.push_back(c.name);
  return out;
}

}  // namespace

TEST(ClassNames, NormalisationTrimsCollapsesAndFoldsAsciiCase) {
  EXPECT_EQ(normalize_class_name("  Hip \t Hop\n"), "Hip Hop");
  EXPECT_EQ(normalize_class_name(" \t "), "");
  EXPECT_EQ(normalize_class_name("Électronique"), "Électronique");
  EXPECT_EQ(class_name_key("Hip-Hop"), class_name_key("HIP-HOP"));
  EXPECT_NE(class_name_key("Électronique"), class_name_key("électronique"));  // only ASCII folds
  expect_shard_error([] { normalize_class_name("Jazz\x01"); }, "control character");
  expect_shard_error([] { normalize_class_name("bad \xC3\x28"); }, "not valid UTF-8");
  expect_shard_error([] { normalize_class_name("\xC0\xAF"); }, "not valid UTF-8");  // overlong '/'
  expect_shard_error([] { normalize_class_name(std::string(300, 'a')); }, "longer than 256 bytes");
  EXPECT_TRUE(is_class_index_text("12"));
  EXPECT_TRUE(is_class_index_text(" 3 "));
  EXPECT_FALSE(is_class_index_text("2000s"));
  EXPECT_FALSE(is_class_index_text("-1"));
  EXPECT_FALSE(is_class_index_text(""));
}

TEST(ClassNames, NamesGrowAnAppendOnlyListReadersSee) {
  TempDir tmp;
  {
    DatasetWriter w(plain(tmp.path()));
    EXPECT_EQ(w.class_indices_for_names({"Jazz", " jazz ", "Rock"}, ClassLevel::kFine), (std::vector<int>{0, 0, 1}));
    EXPECT_EQ(w.class_indices_for_names({"Soul"}, ClassLevel::kMacro), (std::vector<int>{0}));
    put_sample(w, "a", kShape, 0, 0, 1);
    put_sample(w, "b", kShape, 1, -1, 2);
    EXPECT_EQ(w.class_name(ClassLevel::kFine, 1), "Rock");
    expect_shard_error([&] { put_sample(w, "c", kShape, 2, -1, 3); }, "was not registered by name");
    expect_shard_error([&] { w.class_indices_for_names({""}, ClassLevel::kFine); }, "empty class name");
  }
  {
    // A later writer keeps every index and appends after them.
    DatasetWriter w(plain(tmp.path()));
    EXPECT_EQ(w.class_indices_for_names({"ROCK", "Blues"}, ClassLevel::kFine), (std::vector<int>{1, 2}));
    put_sample(w, "d", kShape, 2, -1, 4);
  }
  DatasetReader r(tmp.path(), ReaderOptions{true});
  EXPECT_TRUE(r.manifest().classes_from_names);
  EXPECT_EQ(fine_names(r.manifest()), (std::vector<std::string>{"Jazz", "Rock", "Blues"}));
  ASSERT_EQ(r.manifest().classes.macro.size(), 1u);
  EXPECT_EQ(r.manifest().classes.macro[0].name, "Soul");
  const auto manifest = nlohmann::json::parse(read_bytes(Manifest::path_in(tmp.path())));
  EXPECT_EQ(manifest["class_origin"], "names");
  EXPECT_EQ(manifest["classes"]["fine"][2], (nlohmann::json{{"index", 2}, {"name", "Blues"}, {"fma_genre_id", -1},
                                                             {"macro", -1}}));
  std::map<std::string, std::pair<std::string, nlohmann::json>> by_key;
  for (std::size_t i = 0; i < r.size("train"); ++i) {
    const auto v = r.sample("train", i);
    const auto j = nlohmann::json::parse(v.json);
    by_key[std::string(v.key)] = {j["fine_name"], j["macro_name"]};
  }
  EXPECT_EQ(by_key.at("a"), (std::pair<std::string, nlohmann::json>{"Jazz", "Soul"}));
  EXPECT_EQ(by_key.at("b"), (std::pair<std::string, nlohmann::json>{"Rock", nullptr}));
  EXPECT_EQ(by_key.at("d"), (std::pair<std::string, nlohmann::json>{"Blues", nullptr}));
}

TEST(ClassNames, NamesAndIndicesAreNeverMixed) {
  TempDir tmp;
  const std::string idx = tmp.sub("indices"), names = tmp.sub("names"), tax = tmp.sub("taxonomy");
  {
    DatasetWriter w(plain(idx));
    put_sample(w, "a", kShape, 3, -1, 1);
    expect_shard_error([&] { w.class_indices_for_names({"Jazz"}, ClassLevel::kFine); }, "by class index");
  }
  {
    DatasetWriter w(plain(idx));
    expect_shard_error([&] { w.class_indices_for_names({"Jazz"}, ClassLevel::kFine); },
                       "holds samples labelled by class index");
  }
  {
    DatasetWriter w(plain(names));
    w.class_indices_for_names({"Jazz"}, ClassLevel::kFine);
    expect_shard_error([&] { w.use_class_indices(); }, "labels " + names + " by class name");
    put_sample(w, "a", kShape, 0, -1, 1);
  }
  {
    DatasetWriter w(plain(names));
    expect_shard_error([&] { w.use_class_indices(); }, "labels classes by name");
    expect_shard_error([&] { put_sample(w, "b", kShape, 0, -1, 2); }, "labels classes by name");
    WriterOptions with_taxonomy = plain(names);
    with_taxonomy.classes = ClassLists{{{0, "Jazz", -1, -1}}, {}};
    expect_shard_error([&] { DatasetWriter t(with_taxonomy); }, "class list grown from label names");
  }
  {
    WriterOptions o = plain(tax);
    o.classes = ClassLists{{{0, "Jazz", 4, -1}}, {}};
    DatasetWriter t(o);
    put_sample(t, "a", kShape, 0, -1, 1);
    t.close();
    DatasetWriter w(plain(tax));
    expect_shard_error([&] { w.class_indices_for_names({"Jazz"}, ClassLevel::kFine); }, "written with a taxonomy");
  }
  DatasetReader r(names);
  EXPECT_EQ(r.size("train"), 1u);
}

// Index labels staged while another writer turns the empty dataset into a
// names dataset: the index shard is refused at finalize, never listed.
TEST(ClassNames, AConcurrentNameRegistrationRefusesAnOpenIndexShard) {
  TempDir tmp;
  DatasetWriter indices(plain(tmp.path()));
  put_sample(indices, "i", kShape, 5, -1, 1);  // committed into the open shard
  {
    DatasetWriter names(plain(tmp.path()));
    names.class_indices_for_names({"Jazz"}, ClassLevel::kFine);
    put_sample(names, "n", kShape, 0, -1, 2);
  }
  expect_shard_error([&] { indices.close(); }, "now labels classes by name");
  EXPECT_TRUE(shard_files(tmp.path(), ".partial").empty());
  DatasetReader r(tmp.path(), ReaderOptions{true});
  ASSERT_EQ(r.size("train"), 1u);
  EXPECT_EQ(r.sample("train", 0).key, "n");
}

TEST(ClassNames, ManifestClassOriginIsValidated) {
  TempDir tmp;
  {
    DatasetWriter w(plain(tmp.path()));
    w.class_indices_for_names({"Jazz"}, ClassLevel::kFine);
    put_sample(w, "a", kShape, 0, -1, 1);
  }
  auto j = nlohmann::json::parse(read_bytes(Manifest::path_in(tmp.path())));
  j["class_origin"] = "guessed";
  expect_shard_error([&] { Manifest::from_json(j, "m"); }, "'class_origin' must be");
  j["class_origin"] = "names";
  j["classes"] = nullptr;
  expect_shard_error([&] { Manifest::from_json(j, "m"); }, "no classes");
}

// Writers in separate processes meet the same names in different orders (and
// spellings): one list, each name once, and every sample's .cls names the
// genre its writer was given.
TEST(ClassNames, ConcurrentProcessesEndWithOneConsistentList) {
  TempDir tmp;
  const std::vector<std::string> genres{"Jazz", "Rock", "Pop", "Blues", "Folk", "Hip-Hop", "Soul", "Punk"};
  constexpr int kProcs = 4, kSamplesPerGenre = 3;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        DatasetWriter w(plain(tmp.path(), 5));
        for (std::size_t g = 0; g < genres.size(); ++g) {
          // Each process starts at another genre, odd ones shout.
          std::string name = genres[(g + std::size_t(p) * 3) % genres.size()];
          const std::string canonical = name;
          if (p % 2) std::transform(name.begin(), name.end(), name.begin(), ::toupper);
          const int cls = w.class_indices_for_names({" " + name}, ClassLevel::kFine).front();
          for (int s = 0; s < kSamplesPerGenre; ++s)
            put_sample(w, "p" + std::to_string(p) + "_" + canonical + "_" + std::to_string(s), kShape, cls, -1,
                       std::uint32_t(p * 100 + s));
        }
        w.close();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", p, e.what());
        _exit(1);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  DatasetReader r(tmp.path(), ReaderOptions{true});
  const std::vector<std::string> names = fine_names(r.manifest());
  ASSERT_EQ(names.size(), genres.size());
  std::set<std::string> keys;
  for (const std::string& n : names) keys.insert(class_name_key(n));
  EXPECT_EQ(keys.size(), genres.size());
  ASSERT_EQ(r.size("train"), std::size_t(kProcs) * genres.size() * kSamplesPerGenre);
  for (std::size_t i = 0; i < r.size("train"); ++i) {
    const auto v = r.sample("train", i);
    const std::string key(v.key);
    const std::string genre = key.substr(key.find('_') + 1, key.rfind('_') - key.find('_') - 1);
    ASSERT_GE(v.fine, 0);
    ASSERT_LT(std::size_t(v.fine), names.size());
    EXPECT_EQ(class_name_key(names[std::size_t(v.fine)]), class_name_key(genre)) << key;
    EXPECT_EQ(nlohmann::json::parse(v.json)["fine_name"], names[std::size_t(v.fine)]) << key;
  }
}
