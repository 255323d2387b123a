// Replacing a file atomically: a copy beside it (same directory, so the
// rename cannot cross file systems), edited by the caller, fsynced, then
// renamed over the original and the directory fsynced. Killed at any point,
// the original is either untouched or wholly replaced.
//
// The copy is named ".<name>.genre-tags-XXXXXX.tmp" and holds an exclusive
// flock while in use; a copy left by a killed process (its lock gone with
// it) is removed by the next replacement in that directory.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "tags/unique_fd.h"

namespace genre::tags {

class FileReader;

class AtomicReplacement {
 public:
  // Copies `source` (open on `target`, a path with no symlink in its last
  // component) to a new temporary beside `target`, with the original's
  // permission bits, owner and group where allowed, and extended attributes
  // (ACLs included) where allowed. With `head`, the copy is `head` followed
  // by the source from byte `skip` on. Throws TagError naming `display_path`.
  AtomicReplacement(FileReader& source, const std::string& target, const std::string& display_path,
                    const std::string& head = "", std::uint64_t skip = 0);
  ~AtomicReplacement();  // removes the temporary unless committed
  AtomicReplacement(const AtomicReplacement&) = delete;
  AtomicReplacement& operator=(const AtomicReplacement&) = delete;

  int fd() const { return fd_.get(); }  // the copy, read-write
  const std::string& temp_path() const { return temp_; }

  // fsyncs the copy, renames it over the target (unless the target changed
  // since it was copied) and fsyncs the directory.
  void commit();
  // For a target with other hard links, which a rename would split from
  // them: fsyncs the copy, then writes its bytes over the target (unless the
  // target changed since it was copied), truncates and fsyncs it; inode,
  // links, owner, permissions and attributes stay. Not atomic: while the
  // target is being overwritten, the copy is kept beside it as
  // ".<name>.genre-tags-XXXXXX.in-place" (which remove_stale_temporaries
  // leaves alone); a failure there throws TagError naming it, and a process
  // killed there leaves it for the user. Removed once the target is synced.
  void commit_in_place();

 private:
  void copy_from(FileReader& source, const std::string& head, std::uint64_t skip);
  void copy_attributes(int source_fd);

  void check_target_unchanged() const;

  std::string target_, display_, dir_, temp_;
  UniqueFd fd_;
  struct stat original_ {};
  bool renamed_ = false;  // or kept: the destructor leaves temp_ alone
};

// True for names AtomicReplacement gives its temporaries.
bool is_temporary_name(const std::string& file_name);

// Removes the temporaries in `dir` that no live process holds (their writer
// was killed). Best effort: never throws. Returns how many it removed.
std::size_t remove_stale_temporaries(const std::string& dir);

// As remove_stale_temporaries, once per directory per process.
void remove_stale_temporaries_once(const std::string& dir);

}  // namespace genre::tags
