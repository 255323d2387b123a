#include "report/confusion_csv.h"

#include "base/atomic_file.h"

namespace genre::report {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string confusion_csv(const ClassificationMetrics& m, const std::vector<std::string>& names) {
  check_names(m, names, "confusion_csv");
  std::string out = csv_field("true \\ predicted");
  for (const auto& name : names) out += "," + csv_field(name);
  out += "\n";
  for (size_t t = 0; t < names.size(); ++t) {
    out += csv_field(names[t]);
    for (int64_t count : m.confusion[t]) out += "," + std::to_string(count);
    out += "\n";
  }
  return out;
}

void write_confusion_csv(const std::string& path, const ClassificationMetrics& m,
                         const std::vector<std::string>& names) {
  write_file_atomically(path, confusion_csv(m, names));
}

}  // namespace genre::report
