// Markdown pieces for report.md: a table, and a metrics summary with the
// per-class table.
#pragma once

#include <string>
#include <vector>

#include "report/metrics.h"

namespace genre::report {

enum class Align { Left, Right, Center };

// A GitHub-flavoured pipe table. `align` is empty (all left) or one entry per
// column. '|' in a cell is escaped, line breaks become spaces and other control
// characters C escapes (text/terminal_text.h), so any string is safe. Throws std::invalid_argument when a row or `align` does not
// have one entry per header column, or the header is empty.
std::string markdown_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                           const std::vector<Align>& align = {});

// "### <title>", a table of the overall figures (samples, top-1, top-k where
// k > 1, macro-F1, mean loss where set), then the per-class table (class, support,
// accuracy = recall, F1) sorted by support, largest first (ties by class
// index). Classes with no samples and no predictions are left out and counted
// in a line below the table.
std::string markdown_metrics(const ClassificationMetrics& m, const std::vector<std::string>& names,
                             const std::string& title);

// "61.25 %" for 0.6125; "n/a" for NaN.
std::string format_percent(double fraction, int decimals = 2);
// "0.5000" for (0.5, 4); "n/a" for NaN.
std::string format_fixed(double value, int decimals);

}  // namespace genre::report
