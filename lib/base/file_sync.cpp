#include "base/file_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/errno_text.h"
#include "base/unique_fd.h"

namespace genre {

void write_all(int fd, const void* data, std::size_t size, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      throw FileError("cannot write " + path + ": " + errno_text(err), err);
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

void fsync_file(int fd, const std::string& path) {
  if (::fsync(fd) != 0) {
    const int err = errno;
    throw FileError("cannot fsync " + path + ": " + errno_text(err), err);
  }
}

void rename_file(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    const int err = errno;
    throw FileError("cannot rename " + from + " to " + to + ": " + errno_text(err), err);
  }
}

void fsync_dir(const std::string& dir) noexcept {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

std::string parent_dir(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace genre
