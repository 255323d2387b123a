// The one exception type of lib/tags: a one-line message that names the file
// and says what is wrong, for users to act on.
#pragma once

#include <stdexcept>
#include <string>

namespace genre::tags {

class TagError : public std::runtime_error {
 public:
  explicit TagError(const std::string& what, int error_number = 0)
      : std::runtime_error(what), errno_(error_number) {}
  // errno of the failed system call (ENOENT, EACCES, ENOSPC, ...), 0 for format errors.
  int error_number() const { return errno_; }

 private:
  int errno_;
};

// A file with other hard links, refused under HardLinks::kRefuse: a caller
// may offer its own way to allow it.
class HardLinkError : public TagError {
 public:
  using TagError::TagError;
};

// "<path>: <cause>", the shape of every message.
inline TagError file_error(const std::string& path, const std::string& cause, int error_number = 0) {
  return TagError(path + ": " + cause, error_number);
}

}  // namespace genre::tags
