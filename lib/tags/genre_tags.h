// Writing a genre verdict into an audio file's own tag, in place of the old
// one, without re-encoding and without touching any other tag or audio byte.
//
//   MP3           ID3v2 TCON (v2.2: TCO) in the file's own ID3v2 version (2.2,
//                 2.3 or 2.4; a file without ID3v2 gets a 2.4 tag), rewritten
//                 frame by frame so every other frame keeps its bytes
//                 (id3v2_genre.h). An existing ID3v1 tag gets the matching
//                 genre number (255 when the genre has none); no ID3v1 tag is
//                 added. APE tags are not written: an APE Genre that differs from
//                 the new genre is reported in TagWriteResult::not_updated.
//   Ogg Vorbis,
//   Ogg Opus,
//   FLAC          the Vorbis comment's GENRE field
//   MP4/M4A       the ©gen item (a numeric 'gnre' item is replaced by it)
//
// The format comes from the file's content, never its name. Every genre
// value the file had is replaced by the one given.
//
// TagLib reads every format and writes all but MP3. The file is replaced
// atomically (atomic_replace.h): a copy beside it is edited, then verified
// (same format, the new genre reads back, every other tag equal, every
// preserved byte equal: preserved_bytes.h), fsynced and renamed over the
// original. A symlink's target is edited; the link stays. Any error leaves the original untouched and
// throws TagError, a one-line message naming the file and the cause.
#pragma once

#include <string>
#include <vector>

#include "tags/tag_error.h"

namespace genre::tags {

struct TagWriteResult {
  std::string path;       // as given
  std::string format;     // "MP3", "Ogg Vorbis", "Ogg Opus", "FLAC", "MP4"
  std::string field;      // where the genre goes: "ID3v2.4 TCON + ID3v1 genre", "Vorbis comment GENRE", ...
  std::string old_genre;  // the file's genre values joined by "; ", "" when it had none
  std::string new_genre;
  bool changed = false;   // the genre differed (and, unless dry_run, the file was rewritten)
  bool dry_run = false;
  // Genre fields the file carries that were not updated, said as such: "APE Genre \"Jazz\" not
  // updated (APE tags are not written)". Empty when every genre field holds the new genre.
  std::vector<std::string> not_updated;
};

// Writes `genre` (non-empty UTF-8, no control characters). A file whose only
// genre value already equals it is left untouched (changed = false). With
// `dry_run`, nothing is written: the result says what would be, after the
// same checks (format, structure, write permission) a real run makes.
TagWriteResult write_genre(const std::string& path, const std::string& genre, bool dry_run = false);

// The file's genre values joined by "; ", "" when it has none.
std::string read_genre(const std::string& path);
std::vector<std::string> read_genres(const std::string& path);

// One line for a report: "song.mp3: Jazz -> Rock (MP3, ID3v2.4 TCON)",
// "(none)" for no genre, "unchanged" / "dry run" where they apply.
std::string describe(const TagWriteResult& result);

}  // namespace genre::tags
