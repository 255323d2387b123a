// dataset-info: opens a dataset written by datasetsink with the C++ reader
// (checksums verified) and prints what a training run would see: splits,
// sample shape and dtype, samples per macro and fine class, and the value
// range of each split's first sample.

#include <algorithm>
#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "shard/dataset_reader.h"
#include "command_line.h"
#include "text/terminal_text.h"

namespace {

std::string class_name(const std::vector<genre::shard::ClassEntry>& classes, int index) {
  if (index >= 0 && size_t(index) < classes.size()) return genre::text::escape_controls(classes[size_t(index)].name);
  return index < 0 ? "(none)" : "#" + std::to_string(index);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  CLI::App app{"Opens a dataset written by datasetsink (fma-convert --out) with the C++ reader, checksums "
               "verified, and prints what a training run would see: splits, sample shape and dtype, samples per "
               "macro class, and the value range of each split's first sample.",
               "dataset-info"};
  app.add_option("DATASET-DIR", dir, "Dataset directory (manifest.json + shards)")->required();
  app.footer("Exit status: 0 success, 1 unreadable or corrupt dataset (including sample keys that occur more "
             "than once), 2 usage error.");
  const int status = genre::tools::parse_command_line(app, argc, argv);
  if (status >= 0) return status;
  try {
    genre::shard::DatasetReader reader(dir, genre::shard::ReaderOptions{true});
    const auto& manifest = reader.manifest();
    std::string shape;
    for (auto d : reader.shape()) shape += (shape.empty() ? "" : "x") + std::to_string(d);
    std::printf("dataset %s: %zu shards, checksums verified, samples %s %s\n", genre::text::escape_controls(dir).c_str(),
                manifest.shards.size(), shape.c_str(),
                reader.dtype() == genre::shard::Dtype::kFloat16 ? "float16" : "float32");
    std::vector<float> values(reader.element_count());
    // Keys are unique in a dataset written by datasetsink; concurrent writers
    // given the same key (or a hand-merged directory) break that.
    std::map<std::string, std::vector<std::string>> where;  // key -> shards holding it
    for (const std::string& split : reader.splits())
      for (size_t i = 0; i < reader.size(split); ++i) {
        const auto s = reader.sample(split, i);
        where[std::string(s.key)].emplace_back(s.shard);
      }
    size_t duplicated = 0;
    std::string example;
    for (const auto& [key, shards] : where) {
      if (shards.size() < 2) continue;
      if (duplicated++ == 0) {
        example = "'" + genre::text::escape_controls(key) + "' " + std::to_string(shards.size()) + " times (";
        for (size_t i = 0; i < shards.size(); ++i) example += (i ? ", " : "") + genre::text::escape_controls(shards[i]);
        example += ")";
      }
    }
    for (const std::string& split : reader.splits()) {
      std::map<int, size_t> per_macro, per_fine;
      for (size_t i = 0; i < reader.size(split); ++i) {
        const auto s = reader.sample(split, i);
        per_macro[s.macro]++;
        per_fine[s.fine]++;
      }
      reader.read_float32(split, 0, values.data());
      const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
      std::printf("  %-5s %5zu samples, %zu fine classes; first sample '%s' in [%.3f, %.3f]\n", split.c_str(),
                  reader.size(split), per_fine.size(),
                  genre::text::escape_controls(std::string(reader.sample(split, 0).key)).c_str(), *lo, *hi);
      std::string macros;
      for (const auto& [macro, n] : per_macro)
        macros += "    " + class_name(manifest.classes.macro, macro) + " " + std::to_string(n) + "\n";
      std::printf("%s", macros.c_str());
    }
    if (duplicated > 0) {
      std::fprintf(stderr, "dataset-info: %s: %zu sample keys occur more than once, e.g. %s; a reader sees "
                   "each copy as a sample of its own\n", genre::text::escape_controls(dir).c_str(), duplicated,
                   example.c_str());
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dataset-info: %s\n", genre::text::escape_controls(e.what()).c_str());
    return 1;
  }
  return 0;
}
