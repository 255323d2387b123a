// Writing a genre verdict into an audio file's own tag, in place of the old
// one, without re-encoding and without touching any other tag or audio byte.
//
//   MP3           ID3v2 TCON (v2.2: TCO) in the file's own ID3v2 version (2.2,
//                 2.3 or 2.4; a file without ID3v2 gets a 2.4 tag), rewritten
//                 frame by frame so every other frame keeps its bytes
//                 (id3v2_genre.h). An existing ID3v1 tag gets the matching
//                 genre number (255 when the genre has none); an existing APE
//                 tag's Genre is replaced (TagLib's APE writer). No ID3v1 tag
//                 and no APE Genre is added where there was none.
//   Ogg Vorbis,
//   Ogg Opus,
//   FLAC          the Vorbis comment's GENRE field
//   MP4/M4A       the ©gen item (a numeric 'gnre' item is replaced by it)
//
// The format comes from the file's content, never its name. Every genre
// value the file had, in every genre field it carries, is replaced by the one
// given; TagWriteResult::fields names each field written.
//
// TagLib reads every format and writes all but MP3's ID3 tags. The file is
// replaced atomically (atomic_replace.h): a copy beside it is edited, then
// verified (same format, the new genre reads back from every field, every
// other tag equal, the audio equal: audio_bytes.h), fsynced and renamed
// over the original. A symlink's target is edited; the link stays. A file
// with other hard links is refused unless HardLinks::kWriteInPlace: renaming
// would leave its other names with the old file; in place, the verified copy
// is written over the original (not atomic: see AtomicReplacement::
// commit_in_place). Any error leaves the original untouched and throws
// TagError, a one-line message naming the file and the cause.
#pragma once

#include <string>
#include <vector>

#include "tags/tag_error.h"

namespace genre::tags {

struct TagWriteResult {
  std::string path;       // as given
  std::string format;     // "MP3", "Ogg Vorbis", "Ogg Opus", "FLAC", "MP4"
  // Every genre field of the file, each holding the genre afterwards (those that held it already
  // are left as they were): {"ID3v2.3 TCON", "ID3v1 genre", "APE Genre"}, {"Vorbis comment GENRE"},
  // ...; `field` is them joined by " + ".
  std::vector<std::string> fields;
  std::string field;
  std::string old_genre;  // the file's genre values joined by "; ", "" when it had none
  std::string new_genre;
  bool changed = false;   // some genre field differed (and, unless dry_run, the file was rewritten)
  bool dry_run = false;
  bool in_place = false;  // written in place (a hard-linked file, HardLinks::kWriteInPlace)
};

// What to do with a file that has other hard links (names in other
// directories, a second library): refuse it (HardLinkError), or write it in
// place so every name sees the new tag.
enum class HardLinks { kRefuse, kWriteInPlace };

// Writes `genre` (non-empty UTF-8, no control characters). A file whose every
// genre field already holds it alone is left untouched (changed = false). With
// `dry_run`, nothing is written: the result says what would be, after the
// same checks (format, structure, write permission, hard links) a real run makes.
TagWriteResult write_genre(const std::string& path, const std::string& genre, bool dry_run = false,
                           HardLinks hard_links = HardLinks::kRefuse);

// The file's genre values joined by "; ", "" when it has none.
std::string read_genre(const std::string& path);
std::vector<std::string> read_genres(const std::string& path);

// One line for a report: "song.mp3: Jazz -> Rock (MP3, ID3v2.4 TCON)",
// "(none)" for no genre, "unchanged" / "dry run" where they apply.
std::string describe(const TagWriteResult& result);

}  // namespace genre::tags
