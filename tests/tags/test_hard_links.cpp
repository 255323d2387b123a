// A file with other hard links (a second library, a seeding directory):
// refused by default, since the rename would leave the other names with the
// old file; with HardLinks::kWriteInPlace, written in place, so every name
// sees the new tag, the link count stays and the audio is unchanged.
#include <gtest/gtest.h>
#include <unistd.h>

#include "tags/atomic_replace.h"
#include "tags/genre_tags.h"
#include "tags/write_hooks.h"
#include "tags_test_util.h"

using namespace genre::tags;
using namespace genre::tags::test;

namespace {

// `file` linked as "<dir>/seed/<name>"; returns that second name.
std::string second_name(const TempDir& tmp, const std::string& file) {
  std::filesystem::create_directory(tmp.sub("seed"));
  const std::string other = tmp.sub("seed/" + std::filesystem::path(file).filename().string());
  EXPECT_EQ(::link(file.c_str(), other.c_str()), 0);
  return other;
}

class InPlace : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST(HardLinks, RefusedByDefaultAndNothingChanges) {
  for (const char* fixture : {"mp3", "flac"}) {
    SCOPED_TRACE(fixture);
    TempDir tmp;
    std::filesystem::create_directory(tmp.sub("library"));
    TAGS_FIXTURE(file, fixture, tmp.sub("library"));
    const std::string other = second_name(tmp, file);
    const std::string bytes = read_bytes(file);
    for (bool dry_run : {true, false}) {
      expect_tag_error([&] { write_genre(file, "Rock", dry_run); }, file,
                       "has 2 hard links: replacing it would leave its other names with the old file; not tagged");
      EXPECT_THROW(write_genre(file, "Rock", dry_run), HardLinkError);
    }
    EXPECT_TRUE(read_bytes(file) == bytes);
    EXPECT_EQ(stat_of(file).st_nlink, 2u);
    EXPECT_EQ(stat_of(file).st_ino, stat_of(other).st_ino);
    EXPECT_EQ(dir_entries(tmp.sub("library")).size(), 1u) << "a temporary was left behind";
    EXPECT_FALSE(write_genre(file, "Jazz").changed) << "a file that needs no change is not refused";
  }
}

TEST_P(InPlace, EveryNameSeesTheNewTagAndTheAudioStays) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.sub("library"));
  TAGS_FIXTURE(file, GetParam(), tmp.sub("library"));
  const std::string other = second_name(tmp, file);
  const struct stat before = stat_of(file);
  const std::string pcm_before = decoded_pcm(file, tmp.sub("before.raw"));
  const nlohmann::json tags_before = python_with_mutagen() ? mutagen_dump(file) : nlohmann::json();

  const TagWriteResult dry = write_genre(file, "Hip-Hop", true, HardLinks::kWriteInPlace);
  EXPECT_TRUE(dry.in_place);
  EXPECT_EQ(read_genre(other), "Jazz");

  const TagWriteResult r = write_genre(file, "Hip-Hop", false, HardLinks::kWriteInPlace);
  EXPECT_TRUE(r.changed);
  EXPECT_TRUE(r.in_place);
  const struct stat after = stat_of(file);
  EXPECT_EQ(after.st_ino, before.st_ino) << "the file was replaced, not written in place";
  EXPECT_EQ(after.st_nlink, 2u);
  EXPECT_EQ(stat_of(other).st_ino, before.st_ino);
  EXPECT_EQ(read_genre(file), "Hip-Hop");
  EXPECT_EQ(read_genre(other), "Hip-Hop");
  EXPECT_TRUE(read_bytes(file) == read_bytes(other));
  EXPECT_EQ(decoded_pcm(other, tmp.sub("after.raw")), pcm_before) << "decoded audio differs";
  if (python_with_mutagen()) {
    const nlohmann::json tags_after = mutagen_dump(other);
    EXPECT_EQ(tags_after["genres"], nlohmann::json::array({"Hip-Hop"}));
    for (const char* key : {"title", "artist", "album", "pictures", "other_tags", "audio_sha256", "id3_version"})
      EXPECT_EQ(tags_before.value(key, nlohmann::json()), tags_after.value(key, nlohmann::json())) << key;
  }
  EXPECT_EQ(dir_entries(tmp.sub("library")).size(), 1u) << "the copy was left behind";
}

INSTANTIATE_TEST_SUITE_P(Formats, InPlace, ::testing::ValuesIn(kWritableFixtures),
                         [](const ::testing::TestParamInfo<std::string>& info) { return test_name_of(info.param); });

TEST(HardLinks, AnInPlaceWriteThatFailsKeepsTheTaggedCopyAndSaysWhere) {
  TempDir tmp;
  TAGS_FIXTURE(file, "flac", tmp.path());
  const std::string other = file + ".link";
  ASSERT_EQ(::link(file.c_str(), other.c_str()), 0);
  // The copy takes the file's size; the disk is full when the in-place write starts.
  genre::tags::testing::set_enospc_after_bytes(static_cast<std::int64_t>(std::filesystem::file_size(file)) + 100);
  std::string message;
  try {
    write_genre(file, "Hip-Hop", false, HardLinks::kWriteInPlace);
  } catch (const TagError& e) {
    message = e.what();
    EXPECT_EQ(e.error_number(), ENOSPC);
  }
  genre::tags::testing::set_enospc_after_bytes(-1);
  EXPECT_EQ(message.find(file + ": cannot write in place: No space left on device (injected fault); it may be "
                                "partly written: its tagged copy is "),
            0u)
      << message;
  std::string kept;
  for (const auto& name : dir_entries(tmp.path()))
    if (name.size() > 9 && name.compare(name.size() - 9, 9, ".in-place") == 0) kept = tmp.sub(name);
  ASSERT_FALSE(kept.empty()) << "no kept copy";
  EXPECT_NE(message.find(kept), std::string::npos) << message;
  EXPECT_EQ(read_genre(kept), "Hip-Hop");
  remove_stale_temporaries(tmp.path());
  EXPECT_TRUE(std::filesystem::exists(kept)) << "the cleaner removed the only whole tagged copy";
}
