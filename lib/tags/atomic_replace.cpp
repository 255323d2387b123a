#include "tags/atomic_replace.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <vector>

#include "base/errno_text.h"
#include "base/file_sync.h"
#include "tags/file_reader.h"
#include "tags/tag_error.h"
#include "tags/write_hooks.h"

namespace genre::tags {
namespace {

constexpr std::size_t kCopyChunk = 64 * 1024;
const char kTempMarker[] = ".genre-tags-";
const char kTempSuffix[] = ".tmp";
const char kInPlaceSuffix[] = ".in-place";
const char kCopyName[] = "its temporary copy";
constexpr std::size_t kRandomChars = 6;       // mkstemps' XXXXXX
constexpr std::size_t kNameBytesKept = 100;  // of the original's name, so the temporary stays under NAME_MAX

std::string dir_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// `what`: where the bytes go, for the message ("its temporary copy").
void write_all(int fd, const std::uint8_t* data, std::size_t size, const std::string& display, const char* what) {
  if (!write_budget_allows(size))
    throw file_error(display, std::string("cannot write ") + what + ": " + errno_text(ENOSPC) + " (injected fault)",
                     ENOSPC);
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      throw file_error(display, std::string("cannot write ") + what + ": " + errno_text(err), err);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void fsync_or_throw(int fd, const std::string& display, const std::string& what) {
  if (::fsync(fd) != 0) {
    const int err = errno;
    throw file_error(display, "cannot fsync " + what + ": " + errno_text(err), err);
  }
}

bool same_file_state(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

bool is_temporary_name(const std::string& name) {
  const std::size_t marker = sizeof kTempMarker - 1, suffix = sizeof kTempSuffix - 1;
  if (name.size() < 1 + marker + kRandomChars + suffix || name[0] != '.') return false;
  if (name.compare(name.size() - suffix, suffix, kTempSuffix) != 0) return false;
  return name.compare(name.size() - suffix - kRandomChars - marker, marker, kTempMarker) == 0;
}

AtomicReplacement::AtomicReplacement(FileReader& source, const std::string& target, const std::string& display,
                                     const std::string& head, std::uint64_t skip)
    : target_(target), display_(display), dir_(dir_of(target)) {
  if (::fstat(source.fd(), &original_) != 0) {
    const int err = errno;
    throw file_error(display_, "cannot stat: " + errno_text(err), err);
  }
  const std::string name = base_of(target).substr(0, kNameBytesKept);
  // A cleaner may lock and delete a just-created temporary before we lock it;
  // then its link count is 0 and we try another name.
  for (int attempt = 0; attempt < 8 && fd_.get() < 0; ++attempt) {
    std::string tmpl = dir_ + "/." + name + kTempMarker + "XXXXXX" + kTempSuffix;
    UniqueFd fd(::mkostemps(tmpl.data(), static_cast<int>(sizeof kTempSuffix - 1), O_CLOEXEC));
    if (fd.get() < 0) {
      const int err = errno;
      throw file_error(display_, "cannot create a temporary copy in " + dir_ + ": " + errno_text(err), err);
    }
    while (::flock(fd.get(), LOCK_EX) != 0 && errno == EINTR) {
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && st.st_nlink > 0) {
      fd_ = std::move(fd);
      temp_ = tmpl;
    }
  }
  if (fd_.get() < 0) throw file_error(display_, "cannot keep a temporary copy in " + dir_);
  try {
    reached(WriteStep::kTempCreated);
    copy_from(source, head, skip);
    copy_attributes(source.fd());
    reached(WriteStep::kCopied);
  } catch (...) {
    ::unlink(temp_.c_str());
    throw;
  }
}

AtomicReplacement::~AtomicReplacement() {
  if (!renamed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicReplacement::copy_from(FileReader& source, const std::string& head, std::uint64_t skip) {
  write_all(fd_.get(), reinterpret_cast<const std::uint8_t*>(head.data()), head.size(), display_, kCopyName);
  std::uint64_t copied = std::min(skip, source.size());
  while (copied < source.size()) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(source.size() - copied, kCopyChunk));
    write_all(fd_.get(), source.read(copied, n), n, display_, kCopyName);
    copied += n;
    if (copied < source.size()) reached(WriteStep::kCopying);
  }
}

void AtomicReplacement::copy_attributes(int source_fd) {
  // Owner first: chown clears set-user-ID bits, which the chmod below restores.
  if (::fchown(fd_.get(), original_.st_uid, original_.st_gid) != 0)
    (void)::fchown(fd_.get(), static_cast<uid_t>(-1), original_.st_gid);  // a member of the group may keep it
  if (::fchmod(fd_.get(), original_.st_mode & 07777) != 0) {
    const int err = errno;
    throw file_error(display_, "cannot set the permissions of its temporary copy: " + errno_text(err), err);
  }
  // Extended attributes (ACLs, user.* tags) where this process may set them.
  const ssize_t list_size = ::flistxattr(source_fd, nullptr, 0);
  if (list_size <= 0) return;
  std::vector<char> names(static_cast<std::size_t>(list_size));
  const ssize_t got = ::flistxattr(source_fd, names.data(), names.size());
  for (ssize_t i = 0; i < got;) {
    const char* attr = names.data() + i;
    i += static_cast<ssize_t>(std::strlen(attr)) + 1;
    const ssize_t value_size = ::fgetxattr(source_fd, attr, nullptr, 0);
    if (value_size < 0) continue;
    std::vector<char> value(static_cast<std::size_t>(value_size));
    if (::fgetxattr(source_fd, attr, value.data(), value.size()) == value_size)
      (void)::fsetxattr(fd_.get(), attr, value.data(), value.size(), 0);
  }
}

void AtomicReplacement::check_target_unchanged() const {
  struct stat now {};
  if (::stat(target_.c_str(), &now) != 0 || !same_file_state(now, original_))
    throw file_error(display_, "changed while its tag was being written; left as the other program made it");
}

void AtomicReplacement::commit() {
  fsync_or_throw(fd_.get(), display_, "its temporary copy");
  reached(WriteStep::kSynced);
  check_target_unchanged();
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    const int err = errno;
    throw file_error(display_, "cannot rename its temporary copy over it: " + errno_text(err), err);
  }
  renamed_ = true;
  reached(WriteStep::kRenamed);
  fsync_dir(dir_);
}

void AtomicReplacement::commit_in_place() {
  fsync_or_throw(fd_.get(), display_, "its temporary copy");
  reached(WriteStep::kSynced);
  check_target_unchanged();
  UniqueFd target(::open(target_.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (target.get() < 0) {
    const int err = errno;
    throw file_error(display_, "cannot open it for writing in place: " + errno_text(err), err);
  }
  const std::string kept = temp_.substr(0, temp_.size() - (sizeof kTempSuffix - 1)) + kInPlaceSuffix;
  if (::rename(temp_.c_str(), kept.c_str()) != 0) {
    const int err = errno;
    throw file_error(display_, "cannot keep its tagged copy beside it: " + errno_text(err), err);
  }
  temp_ = kept;
  renamed_ = true;  // from here on a failure leaves the copy for the user
  struct stat copy {};
  try {
    if (::fstat(fd_.get(), &copy) != 0) throw file_error(display_, "cannot stat its tagged copy: " + errno_text(errno));
    std::vector<std::uint8_t> chunk(kCopyChunk);
    for (off_t at = 0; at < copy.st_size;) {
      const ssize_t n = ::pread(fd_.get(), chunk.data(), chunk.size(), at);
      if (n <= 0) throw file_error(display_, "cannot read its tagged copy: " + errno_text(n < 0 ? errno : EIO));
      write_all(target.get(), chunk.data(), static_cast<std::size_t>(n), display_, "in place");
      at += n;
    }
    if (::ftruncate(target.get(), copy.st_size) != 0) throw file_error(display_, "cannot truncate: " + errno_text(errno));
    fsync_or_throw(target.get(), display_, "it");
  } catch (const TagError& e) {
    throw TagError(std::string(e.what()) + "; it may be partly written: its tagged copy is " + kept, e.error_number());
  }
  reached(WriteStep::kRenamed);
  ::unlink(kept.c_str());
}

std::size_t remove_stale_temporaries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  std::vector<std::string> candidates;
  while (const dirent* e = ::readdir(d))
    if (is_temporary_name(e->d_name)) candidates.emplace_back(e->d_name);
  ::closedir(d);

  std::size_t removed = 0;
  for (const std::string& name : candidates) {
    const std::string path = dir + "/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) continue;
    // A live writer holds the lock; a killed one's lock died with it.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
    struct stat held {}, named {};
    if (::fstat(fd.get(), &held) != 0 || !S_ISREG(held.st_mode)) continue;
    if (::lstat(path.c_str(), &named) != 0 || named.st_ino != held.st_ino || named.st_dev != held.st_dev) continue;
    if (::unlink(path.c_str()) == 0) ++removed;
  }
  return removed;
}

void remove_stale_temporaries_once(const std::string& dir) {
  static std::mutex mutex;
  static std::set<std::string> done;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!done.insert(dir).second) return;
  }
  remove_stale_temporaries(dir);
}

}  // namespace genre::tags
