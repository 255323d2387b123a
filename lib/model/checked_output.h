// A file written by LibTorch's serializers that reports a full disk or an I/O error as an
// exception after the serializer is done, never inside it. PyTorchStreamWriter throws when
// a write comes up short, and throws again from its destructor while unwinding, which ends
// the process with std::terminate: so every write "succeeds" towards LibTorch, the first
// error is remembered, the rest of the bytes are dropped, and finish() throws it.
#pragma once

#include <cstddef>
#include <streambuf>
#include <string>

namespace genre::model {

class CheckedOutputFile {
 public:
  explicit CheckedOutputFile(const std::string& path);  // created or truncated, 0644
  ~CheckedOutputFile();                                 // closes; removes the file unless finished
  CheckedOutputFile(const CheckedOutputFile&) = delete;
  CheckedOutputFile& operator=(const CheckedOutputFile&) = delete;

  // The writer-function shape LibTorch's OutputArchive::save_to takes: always returns n.
  size_t write(const void* data, size_t n);
  // fsync + close; throws std::runtime_error naming the file and the first error.
  void finish();
  // A std::streambuf over write(), for torch::jit::Module::save(std::ostream&).
  std::streambuf* streambuf();

 private:
  class Buf : public std::streambuf {
   public:
    explicit Buf(CheckedOutputFile& f) : file_(f) {}
   protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
   private:
    CheckedOutputFile& file_;
  };

  std::string path_;
  int fd_ = -1;
  int error_ = 0;  // the first errno seen
  bool finished_ = false;
  Buf buf_{*this};
};

}  // namespace genre::model
