// Helpers for the shard tests: a temporary dataset directory, deterministic
// sample data, and running /usr/bin/python3 scripts from this directory.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "../common/temp_dir.h"
#include "shard/dataset_writer.h"
#include "shard/sample_key.h"
#include "shard/shard_error.h"

namespace genre::shard::test {

using genre::test::TempDir;

inline std::vector<float> sample_data(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(-20.f, 15.f);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

// Stages and commits one sample with deterministic data derived from `seed`.
inline DatasetWriter::StageResult put_sample(DatasetWriter& w, const std::string& key,
                                             const std::vector<std::uint64_t>& shape, int fine, int macro,
                                             std::uint32_t seed) {
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  const std::vector<float> data = sample_data(n, seed);
  SampleInput in;
  in.key = key;
  in.shape = shape;
  in.data = data.data();
  in.fine = fine;
  in.macro = macro;
  in.meta["track_id"] = parse_key(key).track_id;
  auto r = w.stage(in);
  w.commit();
  return r;
}

inline std::vector<std::string> shard_files(const std::string& dir, const std::string& suffix = ".tar") {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string python() { return "/usr/bin/python3"; }

inline bool python_with_numpy() {
  return access(python().c_str(), X_OK) == 0 &&
         std::system((python() + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0;
}

inline std::string script_path(const std::string& name) { return std::string(SHARD_TEST_DIR) + "/" + name; }

// Runs a command and returns its stdout; rc receives the exit status.
inline std::string run_capture(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    *rc = -1;
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

inline void write_bytes(const std::string& path, const void* data, std::size_t size) {
  std::ofstream f(path, std::ios::binary);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Runs f and expects a ShardError whose message contains `needle`.
template <typename F>
void expect_shard_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no ShardError; expected one mentioning '" << needle << "'";
  } catch (const ShardError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace genre::shard::test
