#include "shard/file_io.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/atomic_file.h"
#include "base/file_sync.h"
#include "shard/shard_error.h"

namespace genre::shard {
namespace {

std::atomic<std::int64_t>& enospc_budget() {
  static std::atomic<std::int64_t> budget{[] {
    const char* env = std::getenv("GENRE_SHARD_FAIL_ENOSPC_AFTER_BYTES");
    return env ? std::strtoll(env, nullptr, 10) : std::int64_t(-1);
  }()};
  return budget;
}

void check_injected_enospc(std::size_t size, const std::string& path) {
  auto& budget = enospc_budget();
  if (budget.load() < 0) return;
  const std::int64_t left = budget.fetch_sub(static_cast<std::int64_t>(size));
  if (left < static_cast<std::int64_t>(size)) {
    budget.store(0);
    throw ShardError("cannot write " + path + ": " + errno_text(ENOSPC) + " (injected fault)", ENOSPC);
  }
}

// lib/base reports FileError; lib/shard's one exception type is ShardError.
template <typename Step>
void as_shard_error(Step&& step) {
  try {
    step();
  } catch (const FileError& e) {
    throw ShardError(e.what(), e.error_number());
  }
}

}  // namespace

DirLock::DirLock(const std::string& dir) {
  const std::string path = dir + "/.lock";
  fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd_.get() < 0) {
    const int err = errno;
    throw ShardError("cannot open lock file " + path + ": " + errno_text(err), err);
  }
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    throw ShardError("cannot lock " + path + ": " + errno_text(err), err);
  }
}

void set_enospc_after_bytes(std::int64_t bytes) { enospc_budget().store(bytes); }

void write_all(int fd, const void* data, std::size_t size, const std::string& path) {
  check_injected_enospc(size, path);
  as_shard_error([&] { genre::write_all(fd, data, size, path); });
}

void fsync_file(int fd, const std::string& path) {
  as_shard_error([&] { genre::fsync_file(fd, path); });
}

void rename_file(const std::string& from, const std::string& to) {
  as_shard_error([&] { genre::rename_file(from, to); });
}

void write_file_atomic(const std::string& path, const std::string& content) {
  as_shard_error([&] {
    write_file_atomically_with(path, [&](AtomicFileOutput& out) {
      check_injected_enospc(content.size(), path);
      out.write(content.data(), content.size());
    }, 0644);
  });
}

UniqueFd open_regular_file(const std::string& path, const std::string& what, struct stat* st) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer; the type
  // is checked on the open descriptor before anything is read.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    throw ShardError("cannot open " + what + path + ": " + errno_text(err), err);
  }
  if (::fstat(fd.get(), st) != 0) {
    const int err = errno;
    throw ShardError("cannot stat " + what + path + ": " + errno_text(err), err);
  }
  if (!S_ISREG(st->st_mode)) throw ShardError(what + path + " is not a regular file");
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

std::string read_file(const std::string& path, std::uint64_t max_bytes) {
  struct stat st {};
  UniqueFd fd = open_regular_file(path, "", &st);
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
    throw ShardError(path + " is " + std::to_string(st.st_size) + " bytes, more than the " +
                     std::to_string(max_bytes) + " this reader accepts");
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      throw ShardError("cannot read " + path + ": " + errno_text(err), err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes)  // the file grew while it was read
      throw ShardError(path + " is larger than the " + std::to_string(max_bytes) + " bytes this reader accepts");
  }
  return out;
}

MappedFile::MappedFile(const std::string& path) {
  struct stat st {};
  UniqueFd fd = open_regular_file(path, "shard ", &st);
  size_ = static_cast<std::size_t>(st.st_size);
  if (size_ == 0) return;  // mmap refuses empty files; callers see an empty shard
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    throw ShardError("cannot map shard " + path + ": " + errno_text(err), err);
  }
  data_ = static_cast<const std::uint8_t*>(p);
}

MappedFile::MappedFile(MappedFile&& o) noexcept : data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

}  // namespace genre::shard
