// Positioned reads of one open file through a small window (pread, no mmap:
// a file truncated under us gives an error, not SIGBUS). The structure checks
// and the copy read the original through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "digest/digest.h"
#include "tags/unique_fd.h"

namespace genre::tags {

class FileReader {
 public:
  // Opens a regular file for reading. Throws TagError: missing, unreadable,
  // a directory or device.
  explicit FileReader(const std::string& path);

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  std::uint64_t size() const { return size_; }

  // Bytes [offset, offset + length), which must lie inside the file. The
  // pointer stays valid until the next call. Throws TagError when the file
  // ends early (it shrank while being read).
  const std::uint8_t* read(std::uint64_t offset, std::size_t length);
  // Feeds bytes [begin, end) to `digest`.
  void hash(std::uint64_t begin, std::uint64_t end, digest::Digest& digest);

 private:
  std::string path_;
  UniqueFd fd_;
  std::uint64_t size_ = 0;
  std::unique_ptr<std::uint8_t[]> window_;  // not a vector, which zero-fills what pread overwrites
  std::size_t window_capacity_ = 0;
  std::uint64_t window_offset_ = 0;
  std::size_t window_length_ = 0;
};

}  // namespace genre::tags
