// Helpers shared by the report tests: a temporary directory and score rows
// that make a chosen class the prediction.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace genre::report::test {

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "genre-report-XXXXXX").string();
    if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
    path_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// [predictions.size()][classes] scores, 0.9 for the predicted class and the
// rest spread evenly: evaluate() must predict exactly `predictions`.
inline std::vector<float> scores_predicting(const std::vector<int64_t>& predictions, int64_t classes) {
  std::vector<float> p(predictions.size() * size_t(classes), 0.1f / float(classes - 1));
  for (size_t i = 0; i < predictions.size(); ++i) p[i * size_t(classes) + size_t(predictions[i])] = 0.9f;
  return p;
}

}  // namespace genre::report::test
