// One audio file opened with TagLib's class for its format (never FileRef,
// which goes by the file name's extension): its genre fields, its other tags
// as a snapshot to compare, where its audio is (audio_bytes.h), and
// saving that rewrites only the genre's tag.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tags/audio_bytes.h"
#include "tags/audio_format.h"

namespace TagLib {
class File;
class FileStream;
}  // namespace TagLib

namespace genre::tags {

class FileReader;

class TaggedFile {
 public:
  // Reads `path`, never opening it for writing.
  static TaggedFile open_read_only(const std::string& path, AudioFormat format);
  // Edits the file behind `fd` (which stays open: TagLib gets a duplicate);
  // `path` is for messages only.
  static TaggedFile open_for_edit(int fd, const std::string& path, AudioFormat format);

  TaggedFile(TaggedFile&&) noexcept;
  TaggedFile& operator=(TaggedFile&&) noexcept;
  ~TaggedFile();

  // Every genre value, in order; empty when the file has none. MP3: ID3v2's
  // TCON (ID3v1 genre numbers resolved to names), else ID3v1's genre.
  std::vector<std::string> genres();
  // Makes `genre` the one and only genre value of the format's main tag.
  // Not for MP3: TagLib would re-render every ID3v2 frame (id3v2_genre.h
  // rewrites the tag frame by frame instead).
  void set_genre(const std::string& genre);
  // Every tag but the genre, as canonical bytes: equal snapshots mean equal tags.
  std::string other_tags_snapshot();
  // The audio a tag edit must not change (audio_bytes.h); `file` reads the
  // same file's bytes. With `check_whole`, throws TagError for a truncated
  // or damaged file.
  AudioBytes audio_bytes(FileReader& file, bool check_whole = true);

  // MP3 only: the genre values of an APE tag (players read it beside ID3); empty without one.
  std::vector<std::string> ape_genres();
  // MP3 only: makes `genre` the APE tag's one Genre value and saves the APE
  // tag alone (TagLib leaves the ID3 tags and the audio before it as they are).
  void write_ape_genre(const std::string& genre);

  // MP3 only: the ID3v2 major version on disk (2, 3 or 4), 0 when there is none.
  int id3v2_version() const;
  bool has_id3v1() const;
  // Where the genre lives, for reports: "ID3v2.4 TCON" (the file's version,
  // 2.4 for a file without ID3v2), "Vorbis comment GENRE", "MP4 ©gen".
  std::string genre_field() const;

  // Writes the tags back after set_genre. Throws TagError when TagLib refuses.
  void save();

 private:
  TaggedFile(std::string path, AudioFormat format, std::unique_ptr<TagLib::FileStream> stream);

  std::string path_;
  AudioFormat format_;
  std::unique_ptr<TagLib::FileStream> stream_;  // outlives file_, which reads through it
  std::unique_ptr<TagLib::File> file_;
  int id3v2_version_on_open_ = 0;
};

}  // namespace genre::tags
