// Small file helpers for lib/base's tests.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include "../common/temp_dir.h"

namespace base_test {

using genre::test::TempDir;

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_plain(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace base_test
