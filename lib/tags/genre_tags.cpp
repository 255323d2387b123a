#include "tags/genre_tags.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <memory>
#include <cstdlib>
#include <optional>

#include "tags/atomic_replace.h"
#include "tags/audio_format.h"
#include "tags/file_reader.h"
#include "tags/id3v1_genre.h"
#include "tags/id3v2_genre.h"
#include "tags/tagged_file.h"
#include "tags/unique_fd.h"
#include "tags/write_hooks.h"

namespace genre::tags {
namespace {

constexpr std::size_t kMaxGenreBytes = 1024;

bool valid_utf8_without_controls(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    const int extra = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
    if (extra < 0 || (extra == 1 && c < 0xc2) || i + static_cast<std::size_t>(extra) >= s.size()) return false;
    for (int k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0xc0) != 0x80) return false;
    i += 1 + static_cast<std::size_t>(extra);
  }
  return true;
}

void check_genre_text(const std::string& path, const std::string& genre) {
  if (genre.empty()) throw file_error(path, "refusing to write an empty genre");
  if (genre.size() > kMaxGenreBytes)
    throw file_error(path, "refusing to write a genre of more than " + std::to_string(kMaxGenreBytes) + " bytes");
  if (!valid_utf8_without_controls(genre))
    throw file_error(path, "refusing to write a genre that is not UTF-8 text without control characters");
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : "; ") + v;
  return out;
}

std::string dir_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The file a symlink points to: renaming over the link would replace the link.
std::string resolve(const std::string& display) {
  char buf[PATH_MAX];
  if (!::realpath(display.c_str(), buf)) {
    const int err = errno;
    throw file_error(display, "cannot resolve its path: " + errno_text(err), err);
  }
  return buf;
}

// access() lets root write anything; a file or directory with no write bit at
// all is taken as one its owner protected, for root too.
void check_writable(const std::string& display, const std::string& path, bool is_dir) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    throw file_error(display, "cannot stat " + path + ": " + errno_text(err), err);
  }
  const int mode = is_dir ? (W_OK | X_OK) : W_OK;
  int err = ::access(path.c_str(), mode) == 0 ? 0 : errno;
  if (err == 0 && (st.st_mode & 0222) == 0) err = EACCES;
  if (err == 0) return;
  if (err == EROFS) throw file_error(display, "is on a read-only file system", err);
  if (is_dir) throw file_error(display, "cannot be replaced: its directory " + path + " is read-only", err);
  throw file_error(display, "is read-only", err);
}

std::string disk_full_hint(const std::string& dir) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) == 0 && vfs.f_bavail == 0) return "; the disk is full";
  return "";
}

struct OriginalTags {
  AudioFormat format;
  AudioBytes audio;
  std::string others;
  std::vector<std::string> genres;      // the main tag's
  std::vector<std::string> ape_genres;  // MP3's APE Genre
  std::optional<std::uint8_t> id3v1_genre;  // MP3 with an ID3v1 tag
  int id3v2_version = 0;
  std::vector<std::string> fields;
  nlink_t links = 1;
};

OriginalTags read_original(const std::string& path, FileReader& reader) {
  OriginalTags original;
  original.format = sniff_format(reader);
  TaggedFile tags = TaggedFile::open_read_only(path, original.format);
  original.audio = tags.audio_bytes(reader);
  original.genres = tags.genres();
  original.others = tags.other_tags_snapshot();
  original.ape_genres = tags.ape_genres();
  original.id3v2_version = tags.id3v2_version();
  original.fields = {tags.genre_field()};
  if (tags.has_id3v1()) {
    original.id3v1_genre = read_id3v1_genre_byte(reader.fd(), path);
    original.fields.push_back("ID3v1 genre");
  }
  if (!original.ape_genres.empty()) original.fields.push_back("APE Genre");
  struct stat st {};
  if (::fstat(reader.fd(), &st) == 0) original.links = st.st_nlink;
  return original;
}

std::string joined_fields(const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : " + ") + f;
  return out;
}

// The edited copy must read back as the same format, with the new genre in
// every genre field, the same other tags and the same audio, before it may
// replace the original. TagLib ignores failed writes (a full disk, say): this
// catches them.
void verify_copy(const std::string& display, const AtomicReplacement& copy, FileReader& original_bytes,
                 const OriginalTags& original, const std::string& genre, int id3v2_version_written) {
  const auto fail = [&](const std::string& what) {
    throw file_error(display, "the edited copy failed verification (" + what + ")" +
                                  disk_full_hint(dir_of(copy.temp_path())) + "; the original is untouched");
  };
  const std::vector<std::string> only_genre{genre};
  FileReader reader(copy.temp_path());
  AudioBytes audio;
  std::string others;
  std::vector<std::string> genres, ape_genres;
  int id3v2_version = 0;
  std::optional<AudioFormat> format;
  try {
    format = sniff_format(reader);
    if (format == original.format) {
      TaggedFile edited = TaggedFile::open_read_only(copy.temp_path(), original.format);
      audio = edited.audio_bytes(reader, false);  // equal to the whole original's or refused
      genres = edited.genres();
      ape_genres = edited.ape_genres();
      others = edited.other_tags_snapshot();
      id3v2_version = edited.id3v2_version();
    }
  } catch (const TagError& e) {
    fail(e.what());
  }
  if (format != original.format) fail("its format changed");
  if (!same_audio(original_bytes, original.audio, reader, audio)) fail("the audio changed");
  if (genres != only_genre) fail("the genre reads back as \"" + join(genres) + "\"");
  if (others != original.others) fail("other tags changed");
  if (original.format == AudioFormat::kMp3) {
    if (id3v2_version != id3v2_version_written) fail("the ID3v2 version is not the one written");
    if (original.id3v1_genre && read_id3v1_genre_byte(reader.fd(), copy.temp_path()) != id3v1_genre_number(genre))
      fail("the ID3v1 genre was not updated");
    if (!original.ape_genres.empty() && ape_genres != only_genre)
      fail("the APE Genre reads back as \"" + join(ape_genres) + "\"");
  }
}

}  // namespace

TagWriteResult write_genre(const std::string& path, const std::string& genre, bool dry_run, HardLinks hard_links) {
  check_genre_text(path, genre);
  FileReader reader(path);
  const std::string target = resolve(path);
  const OriginalTags original = read_original(path, reader);
  const std::vector<std::string> only_genre{genre};
  const bool main_differs = original.genres != only_genre;
  const bool ape_differs = !original.ape_genres.empty() && original.ape_genres != only_genre;
  const bool id3v1_differs = original.id3v1_genre && *original.id3v1_genre != id3v1_genre_number(genre);

  TagWriteResult result;
  result.path = path;
  result.format = format_name(original.format);
  result.fields = original.fields;
  result.field = joined_fields(original.fields);
  result.old_genre = join(original.genres);
  result.new_genre = genre;
  result.dry_run = dry_run;
  result.changed = main_differs || ape_differs || id3v1_differs;
  if (!result.changed) return result;

  // MP3: the new ID3v2 tag, built now so a dry run meets its errors too.
  const bool mp3 = original.format == AudioFormat::kMp3;
  std::optional<Id3v2Rewrite> id3v2;
  if (mp3 && main_differs) id3v2 = rewrite_id3v2_genre(reader, genre);
  check_writable(path, target, false);
  check_writable(path, dir_of(target), true);
  if (original.links > 1) {
    if (hard_links == HardLinks::kRefuse)
      throw HardLinkError(path + ": has " + std::to_string(original.links) +
                          " hard links: replacing it would leave its other names with the old file; not tagged");
    result.in_place = true;
  }
  if (dry_run) return result;

  remove_stale_temporaries_once(dir_of(target));
  std::unique_ptr<AtomicReplacement> copy;
  if (mp3) {
    copy = id3v2 ? std::make_unique<AtomicReplacement>(reader, target, path, id3v2->tag, id3v2->replaces)
                 : std::make_unique<AtomicReplacement>(reader, target, path);
    if (id3v1_differs) write_id3v1_genre_byte(copy->fd(), path, id3v1_genre_number(genre));
    if (ape_differs) TaggedFile::open_for_edit(copy->fd(), path, original.format).write_ape_genre(genre);
  } else {
    copy = std::make_unique<AtomicReplacement>(reader, target, path);
    TaggedFile edit = TaggedFile::open_for_edit(copy->fd(), path, original.format);
    edit.set_genre(genre);
    edit.save();
  }  // TagLib's FILE is flushed and closed here
  reached(WriteStep::kEdited);
  verify_copy(path, *copy, reader, original, genre, id3v2 ? id3v2->version : original.id3v2_version);
  if (result.in_place) copy->commit_in_place();
  else copy->commit();
  return result;
}

std::vector<std::string> read_genres(const std::string& path) {
  FileReader reader(path);
  const AudioFormat format = sniff_format(reader);
  return TaggedFile::open_read_only(path, format).genres();
}

std::string read_genre(const std::string& path) { return join(read_genres(path)); }

std::string describe(const TagWriteResult& r) {
  std::string line = r.path + ": " + (r.old_genre.empty() ? "(none)" : r.old_genre) + " -> " + r.new_genre + " (" +
                     r.format + ", " + r.field + ")";
  if (!r.changed) line += " unchanged";
  else if (r.dry_run) line += " dry run";
  return line;
}

}  // namespace genre::tags
