#include "tags/id3v1_genre.h"

#include <sys/stat.h>
#include <taglib/id3v1genres.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/errno_text.h"
#include "base/unique_fd.h"
#include "tags/tag_error.h"

namespace genre::tags {
namespace {

std::optional<off_t> id3v1_offset(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    throw file_error(path, "cannot stat: " + errno_text(err), err);
  }
  if (st.st_size < 128) return std::nullopt;
  char magic[3];
  if (::pread(fd, magic, 3, st.st_size - 128) != 3) {
    const int err = errno;
    throw file_error(path, "cannot read its ID3v1 tag: " + errno_text(err), err);
  }
  if (std::memcmp(magic, "TAG", 3) != 0) return std::nullopt;
  return st.st_size - 128;
}

}  // namespace

std::uint8_t id3v1_genre_number(const std::string& genre) {
  const int index = TagLib::ID3v1::genreIndex(TagLib::String(genre, TagLib::String::UTF8));
  return (index >= 0 && index < 255) ? static_cast<std::uint8_t>(index) : 255;
}

std::optional<std::uint8_t> read_id3v1_genre_byte(int fd, const std::string& path) {
  const auto offset = id3v1_offset(fd, path);
  if (!offset) return std::nullopt;
  std::uint8_t byte = 0;
  if (::pread(fd, &byte, 1, *offset + 127) != 1) {
    const int err = errno;
    throw file_error(path, "cannot read its ID3v1 tag: " + errno_text(err), err);
  }
  return byte;
}

void write_id3v1_genre_byte(int fd, const std::string& path, std::uint8_t number) {
  const auto offset = id3v1_offset(fd, path);
  if (!offset) throw file_error(path, "has no ID3v1 tag to update");
  if (::pwrite(fd, &number, 1, *offset + 127) != 1) {
    const int err = errno;
    throw file_error(path, "cannot write its ID3v1 genre: " + errno_text(err), err);
  }
}

}  // namespace genre::tags
