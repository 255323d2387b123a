// Bad input to write_genre: one-line TagErrors naming the file and the cause,
// and the file (and its directory) left exactly as they were.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tags/genre_tags.h"
#include "tags_test_util.h"

using namespace genre::tags;
using namespace genre::tags::test;

namespace {

// write_genre and its dry run both fail with `needle`; nothing changes.
void expect_refused(const std::string& file, const std::string& needle, const std::string& genre = "Rock") {
  const std::string bytes = read_bytes(file);
  const std::string dir = std::filesystem::path(file).parent_path().string();
  const auto entries = dir_entries(dir);
  expect_tag_error([&] { write_genre(file, genre, true); }, file, needle);
  expect_tag_error([&] { write_genre(file, genre); }, file, needle);
  EXPECT_TRUE(read_bytes(file) == bytes) << "the file changed";
  EXPECT_EQ(dir_entries(dir), entries) << "a temporary was left behind";
}

}  // namespace

TEST(TagErrors, MissingFile) {
  TempDir tmp;
  const std::string file = tmp.sub("nowhere.mp3");
  expect_tag_error([&] { write_genre(file, "Rock"); }, file, "cannot open: No such file or directory");
  expect_tag_error([&] { read_genre(file); }, file, "No such file or directory");
  try {
    write_genre(file, "Rock");
  } catch (const TagError& e) {
    EXPECT_EQ(e.error_number(), ENOENT);
  }
  EXPECT_TRUE(dir_entries(tmp.path()).empty());
}

TEST(TagErrors, TextFileNamedMp3) {
  TempDir tmp;
  write_bytes(tmp.sub("song.mp3"), "This is not music.\nJust a note someone named .mp3\n");
  expect_refused(tmp.sub("song.mp3"), "is a text file, not audio");
  expect_tag_error([&] { read_genre(tmp.sub("song.mp3")); }, tmp.sub("song.mp3"), "is a text file");
}

TEST(TagErrors, EmptyAndBinaryJunk) {
  TempDir tmp;
  write_bytes(tmp.sub("empty.flac"), "");
  expect_refused(tmp.sub("empty.flac"), "is empty, not an audio file");
  std::string junk;
  for (int i = 0; i < 5000; ++i) junk += static_cast<char>((i * 7919) % 251);
  write_bytes(tmp.sub("junk.ogg"), junk);
  expect_refused(tmp.sub("junk.ogg"), "is not a recognised audio file");
  write_bytes(tmp.sub("tagonly.mp3"), std::string("ID3\x04\x00\x00\x00\x00\x00\x0a", 10) + std::string(10, '\0') +
                                          "no audio here, just words after the tag");
  expect_refused(tmp.sub("tagonly.mp3"), "has an ID3v2 tag but neither MPEG audio frames nor a FLAC stream after it");
}

TEST(TagErrors, DirectoryInsteadOfFile) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.sub("album.mp3"));
  expect_tag_error([&] { write_genre(tmp.sub("album.mp3"), "Rock"); }, tmp.sub("album.mp3"), "is a directory");
}

TEST(TagErrors, UnsupportedFormatIsNamed) {
  TempDir tmp;
  TAGS_FIXTURE(wav, "wav", tmp.path());
  expect_refused(wav, "unsupported format: WAV (supported: MP3, Ogg Vorbis, Ogg Opus, FLAC, MP4/M4A)");
}

class TruncatedFile : public ::testing::TestWithParam<std::string> {};

TEST_P(TruncatedFile, IsRefusedWhereverItIsCut) {
  TempDir tmp;
  TAGS_FIXTURE(file, GetParam(), tmp.path());
  const std::string whole = read_bytes(file);
  // Inside the tags, at the start of the audio, in the middle, one byte short.
  for (double fraction : {0.02, 0.3, 0.5, 0.77}) {
    for (std::size_t size : {static_cast<std::size_t>(whole.size() * fraction), whole.size() - 1}) {
      SCOPED_TRACE(GetParam() + " cut to " + std::to_string(size) + " of " + std::to_string(whole.size()) + " bytes");
      write_bytes(file, whole.substr(0, size));
      const std::string cut = read_bytes(file);
      bool refused = false;
      try {
        write_genre(file, "Rock");
      } catch (const TagError& e) {
        refused = true;
        const std::string what = e.what();
        EXPECT_EQ(what.find(file + ": "), 0u) << what;
        EXPECT_TRUE(what.find("truncated") != std::string::npos || what.find("damaged") != std::string::npos ||
                    what.find("no MPEG audio frames") != std::string::npos ||
                    what.find("not a recognised") != std::string::npos)
            << what;
      }
      EXPECT_TRUE(refused) << "a truncated file was written";
      EXPECT_TRUE(read_bytes(file) == cut) << "the truncated file changed";
      EXPECT_EQ(dir_entries(tmp.path()).size(), 1u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, TruncatedFile, ::testing::ValuesIn(kWritableFixtures),
                         [](const ::testing::TestParamInfo<std::string>& info) { return test_name_of(info.param); });

TEST(TagErrors, ReadOnlyDirectory) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.sub("album"));
  TAGS_FIXTURE(file, "mp3", tmp.sub("album"));
  ASSERT_EQ(::chmod(tmp.sub("album").c_str(), 0555), 0);
  // Root may write anywhere; a directory with no write bit is still refused.
  expect_refused(file, "cannot be replaced: its directory " + tmp.sub("album") + " is read-only");
  ::chmod(tmp.sub("album").c_str(), 0755);
}

TEST(TagErrors, ReadOnlyFile) {
  TempDir tmp;
  TAGS_FIXTURE(file, "flac", tmp.path());
  ASSERT_EQ(::chmod(file.c_str(), 0444), 0);
  expect_refused(file, "is read-only");
  EXPECT_EQ(stat_of(file).st_mode & 07777, 0444u);
}

TEST(TagErrors, GenreMustBeTextWithoutControlCharacters) {
  TempDir tmp;
  TAGS_FIXTURE(file, "ogg", tmp.path());
  expect_refused(file, "refusing to write an empty genre", "");
  expect_refused(file, "not UTF-8 text without control characters", "Rock\nPop");
  expect_refused(file, "not UTF-8 text without control characters", std::string("Rock\xff", 5));
  expect_refused(file, "not UTF-8 text without control characters", std::string("Caf\xc3", 4));
  expect_refused(file, "more than 1024 bytes", std::string(2000, 'x'));
  EXPECT_EQ(read_genre(file), "Jazz");
}
