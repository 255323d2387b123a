// The confusion matrix as CSV: a header row "true \ predicted,<names...>",
// then one row per true class: its name and its counts per predicted class.
// Names are quoted as RFC 4180 wants where they hold a comma, quote or newline.
#pragma once

#include <string>
#include <vector>

#include "report/metrics.h"

namespace genre::report {

std::string confusion_csv(const ClassificationMetrics& m, const std::vector<std::string>& names);

// Throws std::invalid_argument on a name count mismatch and std::runtime_error
// naming the path when the file cannot be written.
void write_confusion_csv(const std::string& path, const ClassificationMetrics& m,
                         const std::vector<std::string>& names);

// RFC 4180 field: as is, or in double quotes with inner quotes doubled.
std::string csv_field(const std::string& s);

}  // namespace genre::report
