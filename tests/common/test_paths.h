// Where tests find their data. Shared reference data lives beside the checkout
// (../shared/data); a user's fresh clone has none, so tests that need it skip.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace genre::test {

inline std::filesystem::path env_path(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::filesystem::path(v) : std::filesystem::path();
}

// ../shared/data, or empty when it is not there.
inline std::filesystem::path shared_data() {
  auto p = env_path("GENRE_SHARED_DATA");
  return (!p.empty() && std::filesystem::is_directory(p)) ? p : std::filesystem::path();
}

inline std::filesystem::path build_root() { return env_path("GENRE_BUILD_ROOT"); }

}  // namespace genre::test

// Skips the current test, with the reason, when ../shared/data is absent.
#define GENRE_REQUIRE_SHARED_DATA(var)                                              \
  const std::filesystem::path var = ::genre::test::shared_data();                   \
  if (var.empty())                                                                  \
    GTEST_SKIP() << "../shared/data is absent (GENRE_SHARED_DATA not a directory): " \
                    "reference-data test skipped"
