// Checked POSIX file steps shared by every writer: full writes, fsync, rename
// and the directory fsync that makes a rename durable. Each failure is a
// FileError naming the path and errno's text, on one line.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace genre {

class FileError : public std::runtime_error {
 public:
  FileError(const std::string& what, int error_number) : std::runtime_error(what), errno_(error_number) {}
  // errno of the failed call (ENOSPC, EACCES, ...).
  int error_number() const { return errno_; }

 private:
  int errno_;
};

// Writes all bytes, retrying short writes and EINTR; a write that makes no
// progress counts as ENOSPC. "cannot write PATH: ...".
void write_all(int fd, const void* data, std::size_t size, const std::string& path);
// "cannot fsync PATH: ...".
void fsync_file(int fd, const std::string& path);
// "cannot rename FROM to TO: ...".
void rename_file(const std::string& from, const std::string& to);
// Makes a rename in `dir` durable. Best effort: some file systems refuse to
// fsync a directory, and the rename it follows has already happened.
void fsync_dir(const std::string& dir) noexcept;
// The directory part of `path`: "." for a bare name, "/" for "/name".
std::string parent_dir(const std::string& path);

}  // namespace genre
