#include "tags/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "tags/tag_error.h"

namespace genre::tags {
namespace {

constexpr std::size_t kWindowBytes = 1 << 20;

}  // namespace

FileReader::FileReader(const std::string& path) : path_(path) {
  // O_NONBLOCK: opening a FIFO must not hang; it is refused below.
  fd_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd_.get() < 0) {
    const int err = errno;
    throw file_error(path, "cannot open: " + errno_text(err), err);
  }
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) {
    const int err = errno;
    throw file_error(path, "cannot stat: " + errno_text(err), err);
  }
  if (S_ISDIR(st.st_mode)) throw file_error(path, "is a directory, not an audio file", EISDIR);
  if (!S_ISREG(st.st_mode)) throw file_error(path, "is not a regular file");
  size_ = static_cast<std::uint64_t>(st.st_size);
}

const std::uint8_t* FileReader::read(std::uint64_t offset, std::size_t length) {
  if (offset >= window_offset_ && offset + length <= window_offset_ + window_length_)
    return window_.get() + (offset - window_offset_);
  if (offset > size_ || length > size_ - offset)
    throw file_error(path_, "unexpected end of file at byte " + std::to_string(offset + length));
  const std::size_t want = static_cast<std::size_t>(
      std::min<std::uint64_t>(std::max(length, kWindowBytes), size_ - offset));
  if (window_capacity_ < want) {
    window_.reset(new std::uint8_t[want]);
    window_capacity_ = want;
    window_length_ = 0;
  }
  std::size_t got = 0;
  while (got < want) {
    const ssize_t n = ::pread(fd_.get(), window_.get() + got, want - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      window_length_ = 0;
      throw file_error(path_, "cannot read: " + errno_text(err), err);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  window_offset_ = offset;
  window_length_ = got;
  if (got < length) throw file_error(path_, "the file shrank while it was being read");
  return window_.get();
}

void FileReader::hash(std::uint64_t begin, std::uint64_t end, digest::Digest& digest) {
  while (begin < end) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(end - begin, kWindowBytes));
    digest.update(read(begin, n), n);
    begin += n;
  }
}

}  // namespace genre::tags
