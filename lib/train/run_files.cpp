#include "train/run_files.h"

#include <cmath>
#include <sstream>

#include "base/atomic_file.h"

namespace genre::train {

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
  write_file_atomically(dir + "/metrics.csv", csv.str());
  write_file_atomically(dir + "/metrics.jsonl", lines.str());
}

}  // namespace genre::train
