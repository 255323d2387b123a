// SHA-1 (FIPS 180-4), for FMA's sha1sum-format checksum files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace genre::fma {

class Sha1 {
 public:
  Sha1();
  void update(const void* data, size_t size);
  std::string hex_digest();  // finalises; 40 lowercase hex digits

 private:
  void block(const uint8_t* p);
  uint32_t h_[5];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

// SHA-1 of a whole file, read in chunks. Throws std::runtime_error naming the path.
std::string sha1_file(const std::string& path);

}  // namespace genre::fma
