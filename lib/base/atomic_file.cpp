#include "base/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <streambuf>
#include <vector>

#include "base/errno_text.h"
#include "base/file_sync.h"
#include "base/prng.h"
#include "base/unique_fd.h"

namespace genre {
namespace {

constexpr const char* kTempSuffix = ".partial";
constexpr std::size_t kTagLength = 6;
constexpr std::size_t kBufferBytes = 1 << 16;

// Six characters from mkstemp's alphabet. O_EXCL makes a clash harmless (the
// caller draws again); the randomness only keeps clashes rare.
std::string random_tag() {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t bits = 0;
  if (::getrandom(&bits, sizeof bits, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof bits)) {
    std::uint64_t state = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                          (static_cast<std::uint64_t>(::getpid()) << 32) ^ counter.fetch_add(1);
    bits = splitmix64(state);
  }
  std::string tag(kTagLength, 'X');
  for (char& c : tag) {
    c = kAlphabet[bits % (sizeof kAlphabet - 1)];
    bits /= sizeof kAlphabet - 1;
  }
  return tag;
}

bool same_file(int fd, const std::string& path) {
  struct stat a {}, b {};
  return ::fstat(fd, &a) == 0 && ::lstat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// "<name>.XXXXXX.partial" of this writer, or the fixed "<name>.partial" of
// earlier versions.
bool is_temp_of(const std::string& entry, const std::string& name) {
  const std::size_t suffix = std::strlen(kTempSuffix);
  if (entry.size() < name.size() + suffix || entry.compare(0, name.size(), name) != 0 ||
      entry.compare(entry.size() - suffix, suffix, kTempSuffix) != 0)
    return false;
  const std::size_t tag = entry.size() - name.size() - suffix;
  return tag == 0 || (tag == kTagLength + 1 && entry[name.size()] == '.');
}

// Temporaries of `target` whose writer died (kill -9, power loss): a live
// writer holds an flock on its temporary until the rename, so a lock that can be
// taken marks a dead one. Without this, every killed write would leave a file
// behind for good (the old fixed name was reused instead).
void remove_dead_temporaries(const std::string& target) {
  const std::string dir = parent_dir(target);
  const std::size_t slash = target.rfind('/');
  const std::string name = slash == std::string::npos ? target : target.substr(slash + 1);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;  // creating the temporary will report why
  std::vector<std::string> dead;
  while (const dirent* e = ::readdir(d))
    if (is_temp_of(e->d_name, name)) dead.push_back(dir + "/" + e->d_name);
  ::closedir(d);
  for (const std::string& path : dead) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0 || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // gone, or a live writer's
    if (same_file(fd.get(), path)) ::unlink(path.c_str());
  }
}

// The temporary file, locked while it is written and removed unless it was
// renamed into place.
struct TempFile {
  std::string path;
  UniqueFd fd;
  bool renamed = false;
  ~TempFile() {
    if (!renamed && fd.get() >= 0 && same_file(fd.get(), path)) ::unlink(path.c_str());
  }
};

void create_temp(const std::string& target, unsigned mode, TempFile* temp) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp->path = target + "." + random_tag() + kTempSuffix;
    temp->fd = UniqueFd(::open(temp->path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (temp->fd.get() < 0) {
      if (errno == EEXIST) continue;
      break;
    }
    // File systems without flock: no lock, and no cleaner can take one either.
    while (::flock(temp->fd.get(), LOCK_EX) != 0 && errno == EINTR) {
    }
    // A cleaner may have taken it for dead between open and flock.
    if (same_file(temp->fd.get(), temp->path)) return;
  }
  const int err = errno;
  temp->fd.reset();  // nothing of ours to remove
  throw FileError("cannot write " + target + ": cannot create a temporary file in " + parent_dir(target) + ": " +
                      errno_text(err),
                  err);
}

}  // namespace

// Collects small writes (an ostream's <<) into one write(2) per 64 KiB.
class AtomicFileOutput::Buffer : public std::streambuf {
 public:
  explicit Buffer(AtomicFileOutput& out) : out_(out), bytes_(kBufferBytes) {
    setp(bytes_.data(), bytes_.data() + bytes_.size());
  }
  void drain() {
    out_.raw_write(pbase(), static_cast<std::size_t>(pptr() - pbase()));
    setp(bytes_.data(), bytes_.data() + bytes_.size());
  }

 protected:
  int_type overflow(int_type c) override {
    drain();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n < epptr() - pptr()) return std::streambuf::xsputn(s, n);
    drain();  // a large block goes straight to the file
    out_.raw_write(s, static_cast<std::size_t>(n));
    return n;
  }
  int sync() override {
    drain();
    return 0;  // errors surface once the callback returns, never inside a serializer
  }

 private:
  AtomicFileOutput& out_;
  std::vector<char> bytes_;
};

AtomicFileOutput::AtomicFileOutput(int fd, const std::string& path)
    : fd_(fd), path_(path), buffer_(std::make_unique<Buffer>(*this)),
      stream_(std::make_unique<std::ostream>(buffer_.get())) {}

AtomicFileOutput::~AtomicFileOutput() = default;

std::size_t AtomicFileOutput::write(const void* data, std::size_t n) {
  buffer_->sputn(static_cast<const char*>(data), static_cast<std::streamsize>(n));
  return n;
}

std::ostream& AtomicFileOutput::stream() { return *stream_; }

void AtomicFileOutput::flush() { buffer_->drain(); }

void AtomicFileOutput::raw_write(const char* p, std::size_t n) {
  if (error_ || n == 0) return;
  try {
    write_all(fd_, p, n, path_);
  } catch (const FileError& e) {
    error_ = e.error_number();
  }
}

void write_file_atomically_with(const std::string& path, const std::function<void(AtomicFileOutput&)>& fill,
                                unsigned mode) {
  remove_dead_temporaries(path);
  TempFile temp;
  create_temp(path, mode, &temp);
  {
    AtomicFileOutput out(temp.fd.get(), path);
    fill(out);
    out.flush();
    if (out.error()) throw FileError("cannot write " + path + ": " + errno_text(out.error()), out.error());
  }
  // fsync reports the write errors a file system defers (NFS reports them at
  // close otherwise). The lock is held through the rename: until then a
  // cleaner must not take the temporary for a dead writer's.
  fsync_file(temp.fd.get(), temp.path);
  rename_file(temp.path, path);
  temp.renamed = true;
  fsync_dir(parent_dir(path));
}

void write_file_atomically(const std::string& path, std::string_view bytes, unsigned mode) {
  write_file_atomically_with(path, [bytes](AtomicFileOutput& out) { out.write(bytes.data(), bytes.size()); }, mode);
}

}  // namespace genre
