#include "model/checked_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace genre::model {

CheckedOutputFile::CheckedOutputFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
}

CheckedOutputFile::~CheckedOutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) ::unlink(path_.c_str());
}

size_t CheckedOutputFile::write(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  size_t left = error_ ? 0 : n;
  while (left > 0) {
    const ssize_t done = ::write(fd_, p, left);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) {
      error_ = done < 0 ? errno : ENOSPC;
      break;
    }
    p += done;
    left -= static_cast<size_t>(done);
  }
  return n;
}

void CheckedOutputFile::finish() {
  if (!error_ && ::fsync(fd_) != 0) error_ = errno;
  if (::close(fd_) != 0 && !error_) error_ = errno;
  fd_ = -1;
  if (error_) throw std::runtime_error(path_ + ": " + std::strerror(error_));
  finished_ = true;
}

std::streambuf* CheckedOutputFile::streambuf() { return &buf_; }

CheckedOutputFile::Buf::int_type CheckedOutputFile::Buf::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  const char ch = traits_type::to_char_type(c);
  file_.write(&ch, 1);
  return c;
}

std::streamsize CheckedOutputFile::Buf::xsputn(const char* s, std::streamsize n) {
  file_.write(s, static_cast<size_t>(n));
  return n;
}

}  // namespace genre::model
