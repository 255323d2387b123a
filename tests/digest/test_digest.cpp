#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "digest/digest.h"

using genre::digest::Algorithm;
using genre::digest::Digest;

// FIPS 180 test vectors.
TEST(Digest, KnownVectors) {
  EXPECT_EQ(Digest::hex_of(Algorithm::Sha1, "abc", 3), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Digest::hex_of(Algorithm::Sha1, "", 0), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Digest::hex_of(Algorithm::Sha256, "abc", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, IncrementalEqualsOneShot) {
  const std::string text(100000, 'q');
  Digest d(Algorithm::Sha256);
  for (size_t at = 0; at < text.size(); at += 777) d.update(text.data() + at, std::min<size_t>(777, text.size() - at));
  EXPECT_EQ(d.finish_hex(), Digest::hex_of(Algorithm::Sha256, text.data(), text.size()));
}

TEST(Digest, WholeFile) {
  char path[] = "/tmp/digest-test-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  const std::string text(200000, 'x');
  std::ofstream(path, std::ios::binary) << text;
  EXPECT_EQ(genre::digest::file_hex(Algorithm::Sha1, path), Digest::hex_of(Algorithm::Sha1, text.data(), text.size()));
  std::remove(path);
  EXPECT_THROW(genre::digest::file_hex(Algorithm::Sha1, path), std::runtime_error);
}
