// SHA-256 (FIPS 180-4), incremental, for the per-shard checksums in manifest.json.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace genre::shard {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  std::array<std::uint8_t, 32> finish();  // the object must not be updated afterwards
  std::string finish_hex();

  static std::string hex_of(const void* data, std::size_t size);

 private:
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buf_{};
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace genre::shard
