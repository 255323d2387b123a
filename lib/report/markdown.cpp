#include "report/markdown.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

#include "text/terminal_text.h"

namespace genre::report {
namespace {

std::string escape_cell(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  s = text::escape_controls(s);  // an ESC from a class name must not reach a terminal showing report.md
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

const char* rule(Align a) {
  switch (a) {
    case Align::Left:
      return "---";
    case Align::Right:
      return "---:";
    case Align::Center:
      return ":---:";
  }
  return "---";
}

}  // namespace

std::string format_fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string format_percent(double fraction, int decimals) {
  return std::isfinite(fraction) ? format_fixed(100.0 * fraction, decimals) + " %" : "n/a";
}

std::string markdown_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                           const std::vector<Align>& align) {
  if (header.empty()) throw std::invalid_argument("markdown_table: empty header");
  if (!align.empty() && align.size() != header.size())
    throw std::invalid_argument("markdown_table: " + std::to_string(align.size()) + " alignments for " +
                                std::to_string(header.size()) + " columns");
  auto line = [](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (const auto& c : cells) out += " " + escape_cell(c) + " |";
    return out + "\n";
  };
  std::string out = line(header) + "|";
  for (size_t i = 0; i < header.size(); ++i) out += rule(align.empty() ? Align::Left : align[i]) + std::string("|");
  out += "\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != header.size())
      throw std::invalid_argument("markdown_table: row " + std::to_string(r) + " has " +
                                  std::to_string(rows[r].size()) + " cells for " + std::to_string(header.size()) +
                                  " columns");
    out += line(rows[r]);
  }
  return out;
}

std::string markdown_metrics(const ClassificationMetrics& m, const std::vector<std::string>& names,
                             const std::string& title) {
  check_names(m, names, "markdown_metrics");
  std::vector<std::vector<std::string>> overall = {
      {"samples", std::to_string(m.samples)},
      {"classes", std::to_string(m.classes)},
      {"top-1 accuracy", format_percent(m.top1)},
  };
  if (m.top5_k > 1) overall.push_back({"top-" + std::to_string(m.top5_k) + " accuracy", format_percent(m.top5)});
  overall.push_back({"macro-F1", format_fixed(m.macro_f1, 4)});
  if (std::isfinite(m.mean_loss)) overall.push_back({"mean loss", format_fixed(m.mean_loss, 4)});

  std::vector<size_t> order(names.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return m.support[a] > m.support[b]; });
  std::vector<std::vector<std::string>> per_class;
  size_t absent = 0;
  for (size_t k : order) {
    if (m.support[k] == 0 && m.predicted[k] == 0) {
      ++absent;
      continue;
    }
    per_class.push_back({names[k], std::to_string(m.support[k]), format_percent(m.per_class_accuracy[k], 1),
                         format_fixed(m.per_class_f1[k], 3)});
  }

  std::string out = "### " + escape_cell(title) + "\n\n";
  out += markdown_table({"metric", "value"}, overall, {Align::Left, Align::Right}) + "\n";
  out += markdown_table({"class", "support", "accuracy", "F1"}, per_class,
                        {Align::Left, Align::Right, Align::Right, Align::Right});
  if (absent)
    out += "\n" + std::to_string(absent) + (absent == 1 ? " class" : " classes") +
           " with no samples and no predictions not listed.\n";
  return out;
}

}  // namespace genre::report
