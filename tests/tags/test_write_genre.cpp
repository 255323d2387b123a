// write_genre on real files made at test time, for every format: the genre
// reads back through two readers that are not TagLib (gst-discoverer-1.0 and
// mutagen), every other tag and every audio byte stay, the decoded audio is
// identical, and a dry run or an unchanged genre leaves the file alone.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "digest/digest.h"
#include "tags/genre_tags.h"
#include "tags_test_util.h"

using namespace genre::tags;
using namespace genre::tags::test;

namespace {

struct Expected {
  std::string fixture, format, field;
};

class WriteGenre : public ::testing::TestWithParam<Expected> {
 protected:
  TempDir tmp;
};

const std::vector<Expected> kFormats = {
    {"mp3", "MP3", "ID3v2.4 TCON"},
    {"mp3-id3v23", "MP3", "ID3v2.3 TCON + ID3v1 genre"},
    {"ogg", "Ogg Vorbis", "Vorbis comment GENRE"},
    {"opus", "Ogg Opus", "Vorbis comment GENRE"},
    {"flac", "FLAC", "Vorbis comment GENRE"},
    {"m4a", "MP4", "MP4 \xc2\xa9gen"},
    {"m4a-faststart", "MP4", "MP4 \xc2\xa9gen"},
};

void PrintTo(const Expected& e, std::ostream* os) { *os << e.fixture; }

std::string fixture_name(const ::testing::TestParamInfo<Expected>& info) { return test_name_of(info.param.fixture); }

#define REQUIRE_MUTAGEN() \
  if (!python_with_mutagen()) GTEST_SKIP() << "/usr/bin/python3 with mutagen (python3-mutagen) is not installed"

// Everything mutagen reports but the genre must be as it was.
void expect_all_but_genre_equal(const nlohmann::json& before, const nlohmann::json& after) {
  for (const char* key : {"format", "title", "artist", "album", "comment", "pictures", "other_tags", "audio_sha256",
                          "id3_version"})
    EXPECT_EQ(before.value(key, nlohmann::json()), after.value(key, nlohmann::json())) << key;
  if (before.contains("id3v1") && !before["id3v1"].is_null())
    EXPECT_EQ(before["id3v1"]["other_bytes_sha256"], after["id3v1"]["other_bytes_sha256"]);
  else
    EXPECT_EQ(before.value("id3v1", nlohmann::json()), after.value("id3v1", nlohmann::json()));
}

}  // namespace

TEST_P(WriteGenre, RoundTripThroughDiscovererAndMutagenKeepsEverythingElse) {
  REQUIRE_MUTAGEN();
  TAGS_FIXTURE(file, GetParam().fixture, tmp.path());
  const nlohmann::json before = mutagen_dump(file);
  const std::string pcm_before = decoded_pcm(file, tmp.sub("before.raw"));
  ASSERT_GT(pcm_before.size(), 100000u);
  ASSERT_EQ(before["genres"], nlohmann::json::array({"Jazz"}));
  ASSERT_EQ(before["title"], "My Title");
  ASSERT_EQ(before["pictures"].size(), 1u);
  ASSERT_EQ(before["other_tags"].size() >= 5, true) << before.dump();

  const TagWriteResult r = write_genre(file, "Hip-Hop");
  EXPECT_EQ(r.path, file);
  EXPECT_EQ(r.format, GetParam().format);
  EXPECT_EQ(r.field, GetParam().field);
  EXPECT_EQ(r.old_genre, "Jazz");
  EXPECT_EQ(r.new_genre, "Hip-Hop");
  EXPECT_TRUE(r.changed);
  EXPECT_FALSE(r.dry_run);
  EXPECT_EQ(describe(r), file + ": Jazz -> Hip-Hop (" + r.format + ", " + r.field + ")");

  EXPECT_EQ(read_genre(file), "Hip-Hop");
  const std::vector<std::string> seen = discoverer_genres(file);
  ASSERT_FALSE(seen.empty()) << "gst-discoverer-1.0 shows no genre";
  for (const auto& g : seen) EXPECT_EQ(g, "Hip-Hop");
  const nlohmann::json after = mutagen_dump(file);
  EXPECT_EQ(after["genres"], nlohmann::json::array({"Hip-Hop"}));
  expect_all_but_genre_equal(before, after);
  EXPECT_EQ(after["title"], "My Title");
  EXPECT_EQ(after["artist"], "Some Artist");
  EXPECT_EQ(after["album"], "An Album");
  EXPECT_EQ(after["comment"], "A comment");
  EXPECT_EQ(after["pictures"][0]["sha256"], genre::digest::Digest::hex_of(genre::digest::Algorithm::Sha256,
                                                                          picture_bytes().data(), picture_bytes().size()));
  EXPECT_EQ(decoded_pcm(file, tmp.sub("after.raw")), pcm_before) << "decoded audio differs";
  std::vector<std::string> expected{"after.raw", "before.raw", std::filesystem::path(file).filename().string()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(dir_entries(tmp.path()), expected) << "a temporary was left behind";
}

TEST_P(WriteGenre, NonAsciiGenreOverAnEarlierVerdict) {
  REQUIRE_MUTAGEN();
  TAGS_FIXTURE(file, GetParam().fixture, tmp.path());
  const nlohmann::json before = mutagen_dump(file);
  write_genre(file, "Rock");
  const std::string genre = "M\xc3\xbasica Popular Brasileira \xe2\x80\x94 \xe6\xb0\x91\xe8\xb0\xa3";
  const TagWriteResult r = write_genre(file, genre);
  EXPECT_EQ(r.old_genre, "Rock");
  EXPECT_EQ(read_genre(file), genre);
  EXPECT_EQ(mutagen_dump(file)["genres"], nlohmann::json::array({genre}));
  for (const auto& g : discoverer_genres(file)) EXPECT_EQ(g, genre);
  expect_all_but_genre_equal(before, mutagen_dump(file));
}

TEST_P(WriteGenre, DryRunTouchesNothing) {
  TAGS_FIXTURE(file, GetParam().fixture, tmp.path());
  ::chmod(file.c_str(), 0644);
  timespec old_times[2] = {{1000000000, 0}, {1000000000, 0}};  // an mtime a rewrite could not keep by accident
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), old_times, 0), 0);
  const std::string bytes = read_bytes(file);
  const struct stat st = stat_of(file);

  const TagWriteResult r = write_genre(file, "Electronic", true);
  EXPECT_TRUE(r.dry_run);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.old_genre, "Jazz");
  EXPECT_EQ(r.new_genre, "Electronic");
  EXPECT_EQ(r.format, GetParam().format);
  EXPECT_NE(describe(r).find("Jazz -> Electronic"), std::string::npos);
  EXPECT_NE(describe(r).find("dry run"), std::string::npos);

  EXPECT_EQ(read_bytes(file), bytes);
  const struct stat now = stat_of(file);
  EXPECT_EQ(now.st_ino, st.st_ino);
  EXPECT_EQ(now.st_mtim.tv_sec, st.st_mtim.tv_sec);
  EXPECT_EQ(now.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
  EXPECT_EQ(dir_entries(tmp.path()).size(), 1u);
  EXPECT_EQ(read_genre(file), "Jazz");
}

TEST_P(WriteGenre, SameGenreAgainLeavesTheFileAlone) {
  TAGS_FIXTURE(file, GetParam().fixture, tmp.path());
  const std::string bytes = read_bytes(file);
  const struct stat st = stat_of(file);
  const TagWriteResult r = write_genre(file, "Jazz");
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.old_genre, "Jazz");
  EXPECT_NE(describe(r).find("unchanged"), std::string::npos);
  EXPECT_EQ(read_bytes(file), bytes);
  EXPECT_EQ(stat_of(file).st_ino, st.st_ino);
}

INSTANTIATE_TEST_SUITE_P(Formats, WriteGenre, ::testing::ValuesIn(kFormats), fixture_name);

// --- MP3 specifics: ID3v2 version, ID3v1 -------------------------------------------------

TEST(WriteGenreMp3, Id3v23StaysV23AndItsId3v1GenreFollows) {
  REQUIRE_MUTAGEN();
  TempDir tmp;
  TAGS_FIXTURE(file, "mp3-id3v23", tmp.path());
  const nlohmann::json before = mutagen_dump(file);
  ASSERT_EQ(before["id3_version"], "2.3");
  ASSERT_FALSE(before["id3v1"].is_null());
  const std::string v1_before = read_bytes(file).substr(read_bytes(file).size() - 128);

  // ID3v1 numbers: Rock 17, Hip-Hop 7; a genre ID3v1 does not know: 255 ("none").
  for (const auto& [genre, number] : std::vector<std::pair<std::string, int>>{{"Rock", 17}, {"Hip-Hop", 7},
                                                                              {"Chamber Pop", 255}}) {
    write_genre(file, genre);
    const nlohmann::json after = mutagen_dump(file);
    EXPECT_EQ(after["id3_version"], "2.3");
    EXPECT_EQ(after["genres"], nlohmann::json::array({genre}));
    EXPECT_EQ(after["id3v1"]["genre_byte"], number) << genre;
    const std::string v1 = read_bytes(file).substr(read_bytes(file).size() - 128);
    EXPECT_EQ(v1.substr(0, 127), v1_before.substr(0, 127)) << "ID3v1 bytes other than the genre changed";
    expect_all_but_genre_equal(before, after);
  }
}

TEST(WriteGenreMp3, Id3v24FileGetsNoId3v1) {
  REQUIRE_MUTAGEN();
  TempDir tmp;
  TAGS_FIXTURE(file, "mp3", tmp.path());
  ASSERT_EQ(mutagen_dump(file)["id3_version"], "2.4");
  write_genre(file, "Rock");
  const nlohmann::json after = mutagen_dump(file);
  EXPECT_EQ(after["id3_version"], "2.4");
  EXPECT_TRUE(after["id3v1"].is_null());
}

TEST(WriteGenreMp3, FileWithoutTagsGetsId3v24) {
  REQUIRE_MUTAGEN();
  TempDir tmp;
  TAGS_FIXTURE(file, "mp3-bare", tmp.path());
  const nlohmann::json before = mutagen_dump(file);
  ASSERT_TRUE(before["id3_version"].is_null());
  const std::string pcm_before = decoded_pcm(file, tmp.sub("before.raw"));
  const TagWriteResult r = write_genre(file, "Ambient");
  EXPECT_EQ(r.old_genre, "");
  EXPECT_EQ(r.field, "ID3v2.4 TCON");
  EXPECT_EQ(describe(r), file + ": (none) -> Ambient (MP3, ID3v2.4 TCON)");
  const nlohmann::json after = mutagen_dump(file);
  EXPECT_EQ(after["id3_version"], "2.4");
  EXPECT_EQ(after["genres"], nlohmann::json::array({"Ambient"}));
  EXPECT_EQ(after["audio_sha256"], before["audio_sha256"]);
  EXPECT_TRUE(after["id3v1"].is_null());
  EXPECT_EQ(decoded_pcm(file, tmp.sub("after.raw")), pcm_before);
}

// --- any format ----------------------------------------------------------------------------

TEST(WriteGenreContent, FormatComesFromContentNotExtension) {
  TempDir tmp;
  std::string why;
  const std::string flac = Fixtures::get().copy("flac", tmp.path(), &why, "really-flac.mp3");
  if (flac.empty()) GTEST_SKIP() << why;
  const TagWriteResult r = write_genre(flac, "Folk");
  EXPECT_EQ(r.format, "FLAC");
  EXPECT_EQ(read_genre(flac), "Folk");
  EXPECT_EQ(read_bytes(flac).substr(0, 4), "fLaC");
}

TEST(WriteGenreContent, EveryOldGenreValueIsReplaced) {
  REQUIRE_MUTAGEN();
  TempDir tmp;
  TAGS_FIXTURE(file, "ogg", tmp.path());
  int rc = 0;
  run_command(python() + " -c \"import mutagen,sys; f=mutagen.File(sys.argv[1]); f['GENRE']=['Jazz','Blues']; f.save()\" " +
                  quote(file),
              &rc, true);
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(read_genres(file), (std::vector<std::string>{"Jazz", "Blues"}));
  const TagWriteResult r = write_genre(file, "Soul");
  EXPECT_EQ(r.old_genre, "Jazz; Blues");
  EXPECT_EQ(mutagen_dump(file)["genres"], nlohmann::json::array({"Soul"}));
}

// --- every genre field the file carries: APE beside ID3 ---------------------------------------

namespace {

// Adds an APEv2 tag (mutagen puts it before any ID3v1 tag) with `items`.
void add_ape(const std::string& file, const std::string& items) {
  int rc = 0;
  const std::string log = run_command(python() + " " + probe_script() + " ape " + quote(file) + " " + items, &rc, true);
  ASSERT_EQ(rc, 0) << log;
}

}  // namespace

TEST(WriteGenreMp3, ApeGenreIsUpdatedBesideId3AndTheRestOfTheApeTagStays) {
  REQUIRE_MUTAGEN();
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"mp3", {"ID3v2.4 TCON", "APE Genre"}},
      {"mp3-id3v23", {"ID3v2.3 TCON", "ID3v1 genre", "APE Genre"}}};  // APE between the audio and ID3v1
  for (const auto& [fixture, fields] : cases) {
    SCOPED_TRACE(fixture);
    TempDir tmp;
    TAGS_FIXTURE(file, fixture, tmp.path());
    add_ape(file, "Genre=Jazz 'Title=Ape Title' 'Album=Ape Album'");
    const nlohmann::json before = mutagen_dump(file);
    ASSERT_EQ(before["ape"]["Genre"], "Jazz");
    const std::string pcm_before = decoded_pcm(file, tmp.sub("before.raw"));

    const TagWriteResult r = write_genre(file, "Hip-Hop");
    EXPECT_TRUE(r.changed);
    EXPECT_EQ(r.fields, fields);
    EXPECT_EQ(r.field, fields.size() == 2 ? fields[0] + " + " + fields[1]
                                          : fields[0] + " + " + fields[1] + " + " + fields[2]);
    const nlohmann::json after = mutagen_dump(file);
    EXPECT_EQ(after["genres"], nlohmann::json::array({"Hip-Hop"}));
    EXPECT_EQ(after["ape"], (nlohmann::json{{"Genre", "Hip-Hop"}, {"Title", "Ape Title"}, {"Album", "Ape Album"}}));
    expect_all_but_genre_equal(before, after);
    if (!before["id3v1"].is_null()) {
      EXPECT_EQ(after["id3v1"]["genre_byte"], 7);  // Hip-Hop
    }
    // GStreamer reads ID3 and APE (id3demux, apedemux): every genre it sees is the new one.
    const std::vector<std::string> seen = discoverer_genres(file);
    ASSERT_FALSE(seen.empty());
    for (const auto& g : seen) EXPECT_EQ(g, "Hip-Hop");
    EXPECT_EQ(decoded_pcm(file, tmp.sub("after.raw")), pcm_before) << "decoded audio differs";
  }
}

TEST(WriteGenreMp3, AStaleApeGenreAloneMakesAChange) {
  REQUIRE_MUTAGEN();
  TempDir tmp;
  TAGS_FIXTURE(file, "mp3", tmp.path());
  add_ape(file, "Genre=Rock");  // ID3v2 says Jazz already
  const TagWriteResult r = write_genre(file, "Jazz");
  EXPECT_TRUE(r.changed) << "the APE Genre differed";
  EXPECT_EQ(r.old_genre, "Jazz");
  EXPECT_EQ(mutagen_dump(file)["ape"]["Genre"], "Jazz");
  EXPECT_FALSE(write_genre(file, "Jazz").changed) << "every field holds Jazz now";
}

TEST(WriteGenreMp3, AnApeTagWithoutGenreGetsNone) {
  REQUIRE_MUTAGEN();
  TempDir tmp;
  TAGS_FIXTURE(file, "mp3", tmp.path());
  add_ape(file, "'Title=Ape Title'");
  const std::string bytes = read_bytes(file);
  const std::string ape_tail = bytes.substr(bytes.rfind("APETAGEX") - 200);
  const TagWriteResult r = write_genre(file, "Hip-Hop");
  EXPECT_EQ(r.fields, std::vector<std::string>{"ID3v2.4 TCON"});
  const std::string after = read_bytes(file);
  EXPECT_EQ(after.substr(after.size() - ape_tail.size()), ape_tail) << "the APE tag changed";
  EXPECT_EQ(mutagen_dump(file)["ape"], (nlohmann::json{{"Title", "Ape Title"}}));
}
