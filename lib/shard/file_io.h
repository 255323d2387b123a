// Small POSIX helpers for lib/shard: flock, full writes with an ENOSPC
// fault-injection hook for tests, atomic file replacement and read-only memory
// maps, on lib/base's file steps. Every failure throws ShardError naming the path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/errno_text.h"
#include "base/unique_fd.h"

struct stat;

namespace genre::shard {

// An exclusive flock on `<dir>/.lock`, held for the object's lifetime. Works
// between threads (each lock opens its own descriptor) and processes, and on
// NFS (the Linux client maps flock to byte-range locks).
class DirLock {
 public:
  explicit DirLock(const std::string& dir);

 private:
  UniqueFd fd_;
};

// Writes all bytes, retrying short writes. Throws ShardError (with errno) for
// ENOSPC and every other failure.
void write_all(int fd, const void* data, std::size_t size, const std::string& path);

// Test hook: after `bytes` more bytes written through write_all, writes fail
// with ENOSPC (negative disables). The environment variable
// GENRE_SHARD_FAIL_ENOSPC_AFTER_BYTES sets it at first use.
void set_enospc_after_bytes(std::int64_t bytes);

// Writes `content` to `path` with lib/base's atomic write (mode 0644 & ~umask).
void write_file_atomic(const std::string& path, const std::string& content);
// lib/base's fsync and rename, their FileError made a ShardError.
void fsync_file(int fd, const std::string& path);
void rename_file(const std::string& from, const std::string& to);
// Opens `path` for reading without blocking (a FIFO never hangs the caller) and
// refuses anything but a regular file: "<what><path> is not a regular file".
UniqueFd open_regular_file(const std::string& path, const std::string& what, struct stat* st);
// The whole regular file; a larger one than max_bytes is a ShardError.
std::string read_file(const std::string& path, std::uint64_t max_bytes);

// A read-only private mapping of a whole file.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace genre::shard
