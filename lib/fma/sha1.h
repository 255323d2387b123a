// SHA-1, for FMA's sha1sum-format checksum files.
#pragma once

#include <string>

#include "digest/digest.h"

namespace genre::fma {

// SHA-1 of a whole file. Throws std::runtime_error naming the path.
inline std::string sha1_file(const std::string& path) {
  return digest::file_hex(digest::Algorithm::Sha1, path);
}

}  // namespace genre::fma
