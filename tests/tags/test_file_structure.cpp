// The pieces under write_genre: format detection from content, the audio
// found with the container libraries and its comparison, and the frame-by-frame ID3v2
// rewrite (v2.2 included, which TagLib cannot write).
#include <gtest/gtest.h>

#include "tags/audio_format.h"
#include "tags/file_reader.h"
#include "tags/genre_tags.h"
#include "tags/id3v2_genre.h"
#include "tags/tagged_file.h"
#include "tags_test_util.h"

using namespace genre::tags;
using namespace genre::tags::test;

namespace {

// Whether the audio of `a` and `b` is the same, as write_genre compares it.
bool same_audio_in(const std::string& a, const std::string& b) {
  FileReader ra(a), rb(b);
  const AudioFormat format = sniff_format(ra);
  const AudioBytes xa = TaggedFile::open_read_only(a, format).audio_bytes(ra);
  const AudioBytes xb = TaggedFile::open_read_only(b, sniff_format(rb)).audio_bytes(rb);
  return same_audio(ra, xa, rb, xb);
}

AudioFormat format_of(const std::string& path) {
  FileReader reader(path);
  return sniff_format(reader);
}

std::string syncsafe(std::size_t v) {
  std::string s;
  for (int shift = 21; shift >= 0; shift -= 7) s += static_cast<char>((v >> shift) & 0x7f);
  return s;
}

std::string frame22(const std::string& id, const std::string& body) {
  return id + std::string(1, '\0') + static_cast<char>(body.size() >> 8) + static_cast<char>(body.size() & 0xff) + body;
}

}  // namespace

TEST(FileStructure, FormatsAreRecognisedFromContent) {
  TempDir tmp;
  const std::vector<std::pair<std::string, AudioFormat>> cases = {
      {"mp3", AudioFormat::kMp3},   {"mp3-bare", AudioFormat::kMp3},      {"ogg", AudioFormat::kOggVorbis},
      {"opus", AudioFormat::kOggOpus}, {"flac", AudioFormat::kFlac}, {"m4a", AudioFormat::kMp4}};
  int checked = 0;
  for (const auto& [name, format] : cases) {
    std::string why;
    const std::string file = Fixtures::get().copy(name, tmp.path(), &why, "renamed.wav");
    if (file.empty()) {
      std::cout << "[ skip ] " << name << ": " << why << "\n";
      continue;
    }
    EXPECT_EQ(format_of(file), format) << name;
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

TEST(FileStructure, AudioComparisonIgnoresTagsButSeesAudio) {
  for (const char* name : {"mp3", "ogg", "opus", "flac", "m4a"}) {
    SCOPED_TRACE(name);
    TempDir tmp;
    std::string why;
    const std::string file = Fixtures::get().copy(name, tmp.path(), &why);
    if (file.empty()) {
      std::cout << "[ skip ] " << name << ": " << why << "\n";
      continue;
    }
    const std::string before = Fixtures::get().copy(name, tmp.path(), &why, "before");
    EXPECT_TRUE(same_audio_in(file, before));
    write_genre(file, "A much longer genre name than Jazz, to move things around");
    EXPECT_TRUE(same_audio_in(file, before)) << "a tag edit changed the audio";

    // One audio byte flipped: different audio, or a failed checksum.
    std::string bytes = read_bytes(file);
    const std::size_t at = bytes.size() * 6 / 10;  // audio in every fixture (MP4: mdat before moov)
    bytes[at] = static_cast<char>(bytes[at] ^ 0x10);
    write_bytes(file, bytes);
    try {
      EXPECT_FALSE(same_audio_in(file, before));
    } catch (const TagError& e) {
      EXPECT_NE(std::string(e.what()).find("damaged"), std::string::npos) << e.what();
    }
  }
}

TEST(FileStructure, FlacCutBetweenTwoFramesIsTruncated) {
  TempDir tmp;
  TAGS_FIXTURE(file, "flac", tmp.path());
  const std::string bytes = read_bytes(file);
  // The last frame's sync code: cutting there leaves whole frames only.
  std::size_t last = bytes.size();
  for (std::size_t i = bytes.size() - 16; i > 0; --i)
    if (static_cast<unsigned char>(bytes[i]) == 0xff && (static_cast<unsigned char>(bytes[i + 1]) & 0xfe) == 0xf8) {
      last = i;
      break;
    }
  ASSERT_LT(last, bytes.size());
  write_bytes(file, bytes.substr(0, last));
  FileReader reader(file);
  expect_tag_error([&] { TaggedFile::open_read_only(file, AudioFormat::kFlac).audio_bytes(reader); }, file, "is truncated or damaged: its FLAC frames do not reach the last sample");
}

TEST(FileStructure, Id3v22TagIsRewrittenInPlaceFrameByFrame) {
  TempDir tmp;
  TAGS_FIXTURE(bare, "mp3-bare", tmp.path());
  // A hand-made ID3v2.2 tag (3-letter frames), which mutagen and TagLib read.
  const std::string frames = frame22("TT2", std::string("\0Old Song", 9)) + frame22("TCO", std::string("\0(8)", 4)) +
                             frame22("TP1", std::string("\0Someone", 8));
  const std::string body = frames + std::string(100, '\0');
  const std::string tag = std::string("ID3\x02\x00\x00", 6) + syncsafe(body.size()) + body;
  const std::string audio = read_bytes(bare);
  write_bytes(bare, tag + audio);
  EXPECT_EQ(read_genre(bare), "Jazz");  // (8): ID3v1 genre number 8

  const TagWriteResult r = write_genre(bare, "Rock");
  EXPECT_EQ(r.field, "ID3v2.2 TCO");
  EXPECT_EQ(r.old_genre, "Jazz");
  const std::string after = read_bytes(bare);
  EXPECT_EQ(after.size(), tag.size() + audio.size()) << "the new frame fits in the padding";
  EXPECT_EQ(after.substr(0, 4), std::string("ID3\x02", 4));
  EXPECT_TRUE(after.substr(tag.size()) == audio) << "audio moved or changed";
  const std::string kept = frame22("TT2", std::string("\0Old Song", 9)) + frame22("TP1", std::string("\0Someone", 8));
  EXPECT_EQ(after.substr(10, kept.size()), kept) << "other frames are not byte-identical";
  EXPECT_EQ(after.substr(10 + kept.size(), 6 + 5), frame22("TCO", std::string("\0Rock", 5)));
  EXPECT_EQ(read_genre(bare), "Rock");
  if (python_with_mutagen()) {
    const nlohmann::json dump = mutagen_dump(bare);
    EXPECT_EQ(dump["genres"], nlohmann::json::array({"Rock"}));
    EXPECT_EQ(dump["id3_version"], "2.2");
    EXPECT_EQ(dump["title"], "Old Song");
  }
}

TEST(FileStructure, Id3v23UnsynchronisedTagIsWrittenPlain) {
  TempDir tmp;
  TAGS_FIXTURE(bare, "mp3-bare", tmp.path());
  // TIT2 whose text holds 0xFF 0xE0 (a false sync), stored unsynchronised: FF 00 E0.
  const std::string text = std::string("\0A\xff\xe0Z", 5);
  std::string frame = "TIT2" + std::string("\0\0\0", 3) + static_cast<char>(text.size()) + std::string(2, '\0') + text;
  std::string unsynced;
  for (std::size_t i = 0; i < frame.size(); ++i) {
    unsynced += frame[i];
    if (static_cast<unsigned char>(frame[i]) == 0xff) unsynced += '\0';
  }
  const std::string body = unsynced + std::string(64, '\0');
  const std::string tag = std::string("ID3\x03\x00\x80", 6) + syncsafe(body.size()) + body;
  const std::string audio = read_bytes(bare);
  write_bytes(bare, tag + audio);

  write_genre(bare, "Rock");
  const std::string after = read_bytes(bare);
  EXPECT_EQ(static_cast<unsigned char>(after[5]), 0u) << "the unsynchronisation flag should be cleared";
  EXPECT_EQ(after.substr(10, frame.size()), frame) << "TIT2 should be stored plain, its bytes otherwise equal";
  EXPECT_TRUE(after.substr(tag.size()) == audio);
  EXPECT_EQ(read_genre(bare), "Rock");
}

TEST(FileStructure, GrowingTagGetsNewPaddingAndAudioFollowsIt) {
  TempDir tmp;
  TAGS_FIXTURE(file, "mp3-bare", tmp.path());
  // An ID3v2.4 tag without padding: any genre frame makes it grow.
  const std::string title = std::string("\0Tight", 6);
  const std::string frames = "TIT2" + syncsafe(title.size()) + std::string(2, '\0') + title;
  const std::string tag = std::string("ID3\x04\x00\x00", 6) + syncsafe(frames.size()) + frames;
  const std::string audio = read_bytes(file);
  write_bytes(file, tag + audio);

  FileReader before(file);
  const Id3v2Rewrite rewrite = rewrite_id3v2_genre(before, "Rock");
  EXPECT_EQ(rewrite.replaces, tag.size());
  EXPECT_EQ(rewrite.version, 4);
  EXPECT_EQ(rewrite.tag.size(), tag.size() + 10 + 5 + 1024) << "TCON frame plus 1 KiB of new padding";
  write_genre(file, "Rock");
  const std::string after = read_bytes(file);
  EXPECT_EQ(after.substr(10, frames.size()), frames);
  EXPECT_TRUE(after.substr(rewrite.tag.size()) == audio) << "the audio does not follow the grown tag intact";
  EXPECT_EQ(read_genre(file), "Rock");
}
