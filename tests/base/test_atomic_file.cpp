// lib/base's atomic file write: the content arrives whole, no temporary file
// outlives a success or a failure, two writers never mix, failures are one line
// naming the file and errno's text, and the mode follows the umask like
// std::ofstream's.
#include "base/atomic_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "base/file_sync.h"
#include "base_test_util.h"

using base_test::read_all;
using base_test::TempDir;
using base_test::write_plain;
using genre::AtomicFileOutput;
using genre::FileError;
using genre::write_file_atomically;
using genre::write_file_atomically_with;

namespace {

using Names = std::set<std::string>;

// The FileError `write` throws; a failure of the test when it throws none.
FileError error_of(const std::function<void()>& write) {
  try {
    write();
  } catch (const FileError& e) {
    return e;
  }
  ADD_FAILURE() << "no FileError";
  return FileError("", 0);
}

void expect_one_line_naming(const FileError& e, const std::string& path, int err) {
  const std::string what = e.what();
  EXPECT_EQ(e.error_number(), err) << what;
  EXPECT_NE(what.find(path), std::string::npos) << what;
  EXPECT_NE(what.find(std::strerror(err)), std::string::npos) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
}

// Writes past `bytes` fail with EFBIG (RLIMIT_FSIZE, SIGXFSZ ignored) while in scope.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved_;
    small.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &small);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  sighandler_t old_handler_;
};

class Umask {
 public:
  explicit Umask(mode_t mask) : saved_(::umask(mask)) {}
  ~Umask() { ::umask(saved_); }

 private:
  mode_t saved_;
};

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

}  // namespace

TEST(AtomicFile, WritesTheBytesAndReplacesTheOldFile) {
  TempDir dir;
  const std::string path = dir.sub("out.json");
  write_file_atomically(path, "first");
  EXPECT_EQ(read_all(path), "first");
  const std::string binary("a\0b\xff", 4);
  write_file_atomically(path, binary);
  EXPECT_EQ(read_all(path), binary);
  write_file_atomically(path, "");
  EXPECT_EQ(read_all(path), "");
  EXPECT_EQ(dir.names(), Names{"out.json"});  // no temporary file left
}

TEST(AtomicFile, CallbackWritesAndStreamKeepTheirOrder) {
  TempDir dir;
  const std::string path = dir.sub("mixed.txt");
  const std::string big(200000, 'z');  // larger than the stream's buffer
  write_file_atomically_with(path, [&](AtomicFileOutput& out) {
    out.stream() << "head " << 42 << '\n';
    EXPECT_EQ(out.write("raw\n", 4), 4u);
    out.stream() << big;
    out.write("tail", 4);
  });
  EXPECT_EQ(read_all(path), "head 42\nraw\n" + big + "tail");
  EXPECT_EQ(dir.names(), Names{"mixed.txt"});
}

TEST(AtomicFile, ThrowingCallbackKeepsTheOldFileAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = dir.sub("state.csv");
  write_plain(path, "old");
  EXPECT_THROW(write_file_atomically_with(path, [](AtomicFileOutput& out) {
                 out.stream() << std::string(100000, 'x');
                 throw std::invalid_argument("the serializer gave up");
               }),
               std::invalid_argument);
  EXPECT_EQ(read_all(path), "old");
  EXPECT_EQ(dir.names(), Names{"state.csv"});
}

TEST(AtomicFile, MissingDirectoryIsOneLineNamingThePath) {
  TempDir dir;
  const std::string missing = dir.sub("no-such-dir/out.json");
  expect_one_line_naming(error_of([&] { write_file_atomically(missing, "x"); }), missing, ENOENT);
  write_plain(dir.sub("plain-file"), "");
  const std::string under_file = dir.sub("plain-file/out.json");
  expect_one_line_naming(error_of([&] { write_file_atomically(under_file, "x"); }), under_file, ENOTDIR);
  EXPECT_EQ(dir.names(), Names{"plain-file"});
}

TEST(AtomicFile, ReadOnlyDirectoryIsOneLineNamingThePath) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0711);
  std::filesystem::create_directory(dir.sub("read-only"));
  ::chmod(dir.sub("read-only").c_str(), 0555);
  const std::string denied = dir.sub("read-only/out.json");
  auto refused = [&] {
    try {
      write_file_atomically(denied, "x");
    } catch (const FileError& e) {
      const std::string what = e.what();
      return e.error_number() == EACCES && what.find(denied) != std::string::npos &&
             what.find(std::strerror(EACCES)) != std::string::npos && what.find('\n') == std::string::npos;
    }
    return false;
  };
  if (::geteuid() != 0) {
    EXPECT_TRUE(refused());
  } else {  // root writes anywhere: try it as nobody in a child process
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) _exit(::setgid(65534) == 0 && ::setuid(65534) == 0 && refused() ? 0 : 1);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  EXPECT_EQ(std::filesystem::is_empty(dir.sub("read-only")), true);
}

TEST(AtomicFile, FailedRenameRemovesTheTemporary) {
  TempDir dir;
  const std::string path = dir.sub("taken");
  std::filesystem::create_directories(dir.sub("taken/inside"));  // rename cannot replace a non-empty directory
  const FileError e = error_of([&] { write_file_atomically(path, "bytes"); });
  EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  EXPECT_TRUE(e.error_number() == EISDIR || e.error_number() == ENOTEMPTY || e.error_number() == EEXIST)
      << e.what();
  EXPECT_EQ(dir.names(), Names{"taken"});
  EXPECT_TRUE(std::filesystem::is_directory(dir.sub("taken/inside")));
}

TEST(AtomicFile, FailedWriteKeepsTheOldFileAndSaysWhy) {
  TempDir dir;
  const std::string path = dir.sub("checkpoint.pt");
  write_plain(path, "previous");
  const std::string big(1 << 20, 'w');
  {
    FileSizeLimit limit(64 * 1024);
    expect_one_line_naming(error_of([&] { write_file_atomically(path, big); }), path, EFBIG);
    // A LibTorch-style writer: every write "succeeds" towards it and it keeps going;
    // the error comes once it has returned.
    int calls = 0;
    expect_one_line_naming(error_of([&] {
                             write_file_atomically_with(path, [&](AtomicFileOutput& out) {
                               for (int i = 0; i < 64; ++i, ++calls)
                                 EXPECT_EQ(out.write(big.data(), 16384), 16384u);
                             });
                           }),
                           path, EFBIG);
    EXPECT_EQ(calls, 64);
  }
  EXPECT_EQ(read_all(path), "previous");
  EXPECT_EQ(dir.names(), Names{"checkpoint.pt"});
}

TEST(AtomicFile, ConcurrentWritersLeaveOneWholeFileNeverAMix) {
  TempDir dir;
  const std::string path = dir.sub("summary.json");
  const std::string a(300000, 'a'), b(300000, 'b');
  std::atomic<bool> done{false};
  std::atomic<int> torn_reads{0}, reads{0};
  std::thread reader([&] {
    while (!done) {
      const std::string seen = read_all(path);
      if (seen.empty()) continue;  // not written yet
      ++reads;
      if (seen != a && seen != b) ++torn_reads;
    }
  });
  auto writer = [&](const std::string& content) {
    for (int i = 0; i < 40; ++i) write_file_atomically(path, content);
  };
  std::thread t1(writer, std::cref(a)), t2(writer, std::cref(b));
  t1.join();
  t2.join();
  done = true;
  reader.join();
  const std::string final_content = read_all(path);
  EXPECT_TRUE(final_content == a || final_content == b) << final_content.size() << " bytes";
  EXPECT_EQ(torn_reads.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_EQ(dir.names(), Names{"summary.json"});
}

TEST(AtomicFile, NextWriteRemovesAKilledWritersTemporaryButNotALiveOne) {
  TempDir dir;
  const std::string path = dir.sub("last.pt");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // killed half-way through writing
    write_file_atomically_with(path, [](AtomicFileOutput& out) {
      const std::string half(100000, 'h');  // more than the buffer: it reaches the file
      out.write(half.data(), half.size());
      ::kill(::getpid(), SIGKILL);
    });
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(dir.names().size(), 1u) << "the killed writer's temporary is there";
  EXPECT_EQ(read_all(dir.sub(*dir.names().begin())), std::string(100000, 'h'));
  write_plain(dir.sub("last.pt.partial"), "an earlier version's fixed temporary");
  write_plain(dir.sub("last.pt.notes"), "not a temporary");

  // A live writer's temporary survives another writer's clean-up and is renamed after it.
  std::atomic<bool> written{false}, other_done{false};
  std::thread live([&] {
    write_file_atomically_with(path, [&](AtomicFileOutput& out) {
      out.write("live", 4);
      written = true;
      while (!other_done) std::this_thread::yield();
    });
  });
  while (!written) std::this_thread::yield();
  write_file_atomically(path, "other");
  other_done = true;
  live.join();
  EXPECT_EQ(read_all(path), "live");
  EXPECT_EQ(dir.names(), (Names{"last.pt", "last.pt.notes"}));
}

TEST(AtomicFile, ModeFollowsTheUmaskLikeOfstream) {
  TempDir dir;
  for (mode_t mask : {mode_t(022), mode_t(027), mode_t(0), mode_t(077)}) {
    Umask umask(mask);
    const std::string ours = dir.sub("ours-" + std::to_string(mask));
    const std::string theirs = dir.sub("ofstream-" + std::to_string(mask));
    write_file_atomically(ours, "x");
    write_plain(theirs, "x");
    EXPECT_EQ(mode_of(ours), mode_t(0666 & ~mask)) << "umask " << mask;
    EXPECT_EQ(mode_of(ours), mode_of(theirs)) << "umask " << mask;
    // Writers that always made 0644 files keep doing so.
    write_file_atomically(ours, "y", 0644);
    EXPECT_EQ(mode_of(ours), mode_t(0644 & ~mask)) << "umask " << mask;
  }
}
