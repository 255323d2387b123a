// SHA-256 for the per-shard checksums in manifest.json.
#pragma once

#include <cstddef>
#include <string>

#include "digest/digest.h"

namespace genre::shard {

class Sha256 : public digest::Digest {
 public:
  Sha256() : Digest(digest::Algorithm::Sha256) {}
  static std::string hex_of(const void* data, std::size_t size) {
    return Digest::hex_of(digest::Algorithm::Sha256, data, size);
  }
};

}  // namespace genre::shard
