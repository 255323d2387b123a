#include "train/run_files.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace genre::train {

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw std::runtime_error(path + ": cannot write (disk full or read-only?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot rename into place");
  }
}

void write_metrics(const std::string& dir, const nlohmann::json& history) {
  static const char* const kColumns[] = {"epoch", "stage", "train_loss", "val_loss", "val_top1",
                                         "train_samples_per_s", "lr", "seconds"};
  std::ostringstream csv, lines;
  for (size_t i = 0; i < std::size(kColumns); ++i) csv << (i ? "," : "") << kColumns[i];
  csv << "\n";
  for (const nlohmann::json& row : history) {
    for (size_t i = 0; i < std::size(kColumns); ++i) {
      const nlohmann::json& v = row.value(kColumns[i], nlohmann::json());
      csv << (i ? "," : "");
      if (v.is_string())
        csv << v.get<std::string>();
      else if (v.is_number_float() && std::isfinite(v.get<double>()))
        csv << v.get<double>();
      else if (v.is_number_integer())
        csv << v.get<int64_t>();
    }
    csv << "\n";
    lines << row.dump() << "\n";
  }
  write_text_atomically(dir + "/metrics.csv", csv.str());
  write_text_atomically(dir + "/metrics.jsonl", lines.str());
}

}  // namespace genre::train
