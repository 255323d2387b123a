// lib/base's checked file steps, which the streaming shard writer and the
// manifest journal use directly.
#include "base/file_sync.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "base/errno_text.h"
#include "base/unique_fd.h"
#include "base_test_util.h"

using base_test::read_all;
using base_test::TempDir;

TEST(FileSync, WriteAllFsyncRenameAndTheirErrors) {
  TempDir dir;
  const std::string partial = dir.sub("a.tar.partial"), final_path = dir.sub("a.tar");
  {
    genre::UniqueFd fd(::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    ASSERT_GE(fd.get(), 0);
    genre::write_all(fd.get(), "shard bytes", 11, partial);
    genre::fsync_file(fd.get(), partial);
  }
  genre::rename_file(partial, final_path);
  genre::fsync_dir(dir.path());
  EXPECT_EQ(read_all(final_path), "shard bytes");

  try {
    genre::rename_file(partial, final_path);  // already moved
    ADD_FAILURE() << "no FileError";
  } catch (const genre::FileError& e) {
    EXPECT_EQ(e.error_number(), ENOENT);
    EXPECT_EQ(std::string(e.what()), "cannot rename " + partial + " to " + final_path + ": " + std::strerror(ENOENT));
  }
  genre::UniqueFd read_only(::open(final_path.c_str(), O_RDONLY | O_CLOEXEC));
  try {
    genre::write_all(read_only.get(), "x", 1, final_path);
    ADD_FAILURE() << "no FileError";
  } catch (const genre::FileError& e) {
    EXPECT_EQ(e.error_number(), EBADF);
    EXPECT_EQ(std::string(e.what()), "cannot write " + final_path + ": " + std::strerror(EBADF));
  }
  genre::fsync_dir(dir.sub("no-such-dir"));  // best effort: nothing to sync, no error
}

TEST(ErrnoText, IsTheCLibrarysMessage) {
  EXPECT_EQ(genre::errno_text(ENOENT), "No such file or directory");
  EXPECT_EQ(genre::errno_text(ENOSPC), "No space left on device");
  EXPECT_EQ(genre::errno_text(EFBIG), std::strerror(EFBIG));
}

TEST(FileSync, ParentDirOfEveryPathShape) {
  EXPECT_EQ(genre::parent_dir("name.json"), ".");
  EXPECT_EQ(genre::parent_dir("/name.json"), "/");
  EXPECT_EQ(genre::parent_dir("out/name.json"), "out");
  EXPECT_EQ(genre::parent_dir("/a/b/name.json"), "/a/b");
}

TEST(UniqueFd, ClosesOnceAndMovesOwnership) {
  TempDir dir;
  const std::string path = dir.sub("f");
  int raw = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(raw, 0);
  {
    genre::UniqueFd a(raw);
    genre::UniqueFd b(std::move(a));
    EXPECT_EQ(a.get(), -1);
    EXPECT_EQ(b.get(), raw);
    EXPECT_NE(::fcntl(raw, F_GETFD), -1);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed when the owner went out of scope
  EXPECT_EQ(errno, EBADF);
}
