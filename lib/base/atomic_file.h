// The one way this project replaces a file: written to a temporary file with a
// unique name beside the target (two writers never share one), checked writes,
// fsync, rename over the target, fsync of the directory. A reader sees the old
// file or the new one, never half of one. Any failure removes the temporary
// file and throws FileError (base/file_sync.h) naming the target and errno's
// text. A kill leaves "<target>.XXXXXX.partial", which the next write of the
// same target removes: the writer holds an flock on its temporary until the
// rename, so one whose lock can be taken is a dead writer's.
//
// The new file's mode is `mode & ~umask`, like std::ofstream's 0666: the
// temporary file is created with open(O_EXCL) and a random name rather than
// mkstemp, whose 0600 would need the umask, which a process cannot read
// without changing it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace genre {

// What a writer callback writes into. Writing never fails towards the caller:
// the first error is remembered, later bytes are dropped, and it is thrown once
// the callback returns. LibTorch's serializers need this: PyTorchStreamWriter
// throws when a write comes up short and throws again from its destructor while
// unwinding, which ends the process with std::terminate.
class AtomicFileOutput {
 public:
  ~AtomicFileOutput();
  AtomicFileOutput(const AtomicFileOutput&) = delete;
  AtomicFileOutput& operator=(const AtomicFileOutput&) = delete;

  // The writer-function shape of LibTorch's OutputArchive::save_to: always returns n.
  std::size_t write(const void* data, std::size_t n);
  // A buffered stream over write(), e.g. for torch::jit::Module::save(std::ostream&).
  std::ostream& stream();

 private:
  friend void write_file_atomically_with(const std::string&, const std::function<void(AtomicFileOutput&)>&,
                                         unsigned);
  class Buffer;
  AtomicFileOutput(int fd, const std::string& path);
  void flush();             // the buffered bytes to the file
  void raw_write(const char* p, std::size_t n);
  int error() const { return error_; }

  int fd_;
  const std::string& path_;
  int error_ = 0;  // the first errno seen
  std::unique_ptr<Buffer> buffer_;
  std::unique_ptr<std::ostream> stream_;
};

// Replaces `path` with `bytes`.
void write_file_atomically(const std::string& path, std::string_view bytes, unsigned mode = 0666);
// Replaces `path` with what `fill` writes; for writers whose library writes the
// file itself. An exception from `fill` removes the temporary file and propagates.
void write_file_atomically_with(const std::string& path, const std::function<void(AtomicFileOutput&)>& fill,
                                unsigned mode = 0666);

}  // namespace genre
