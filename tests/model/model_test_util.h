// Helpers for the model tests: small specs for every model, a temporary directory, and
// running /usr/bin/python3 scripts from this directory.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/temp_dir.h"
#include "model/model_factory.h"

namespace genre::model::test {

// The smallest inputs each architecture takes comfortably, so the suite stays fast.
inline ModelSpec small_spec(const std::string& name) {
  ModelSpec s;
  s.name = name;
  s.channels = 1;
  s.height = 32;
  s.width = 32;
  s.heads = {5};
  if (name == "cnn") s.height = s.width = 64;  // the smallest it takes is 39
  if (name == "gru") {
    s.height = 16;
    s.width = 12;
    s.gru_hidden = 8;
  }
  if (name.rfind("multihead", 0) == 0) {
    s.name = "multihead";
    s.heads = {3, 5};
    if (name == "multihead_mlp") s.head_kind = "mlp";
    if (name == "multihead_sequential") s.head_kind = "sequential";
    if (name == "multihead_shortchunk") s.trunk = "shortchunk";
  }
  // At 32x32 PANNs' last blocks see 1x1 maps, where a training-mode batch norm cancels every
  // bias before it exactly (zero gradients); 64 x 64 leaves them 2x2.
  if (name.rfind("panns_", 0) == 0) s.height = s.width = 64;
  return s;
}

// Every model, and multihead's other head kinds and trunk (small_spec's names for them).
inline std::vector<std::string> model_variants() {
  std::vector<std::string> names = model_names();
  for (const char* v : {"multihead_mlp", "multihead_sequential", "multihead_shortchunk"}) names.push_back(v);
  return names;
}

using genre::test::TempDir;

inline std::string python() { return PYTHON3; }
inline std::string script_path(const std::string& name) { return std::string(MODEL_TEST_DIR) + "/" + name; }
inline std::string export_script() { return EXPORT_WEIGHTS_SCRIPT; }
inline std::string export_panns_script() { return EXPORT_PANNS_SCRIPT; }

// Runs a shell command; returns stdout and stderr together; rc receives the exit status.
inline std::string run_capture(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) {
    *rc = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

inline bool python_with_torchvision() {
  return ::access(python().c_str(), X_OK) == 0 &&
         std::system((python() + " -c 'import torch, torchvision' >/dev/null 2>&1").c_str()) == 0;
}

#define REQUIRE_TORCHVISION()                                                                                  \
  if (genre::model::test::python_with_torchvision()) {                                                         \
  } else                                                                                                       \
    GTEST_SKIP() << "/usr/bin/python3 with torch and torchvision (python3-torch, python3-torchvision) is not " \
                    "installed"

}  // namespace genre::model::test
