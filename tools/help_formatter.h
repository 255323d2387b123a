// The --help layout every tool shares: CLI11's, with the flag column holding only names,
// value types and a single default. CLI11 itself writes "--no-x{false}" for negated flags,
// "FLOAT=1 1 x 2" for fixed-count options and "Excludes: --y" beside the names; here those
// become "--no-x", "FLOAT FLOAT" with "(default: 1 1)" and "(not with --y)" in the description.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <sstream>
#include <vector>
#include <string>

namespace genre::tools {

class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override {
    std::string name = CLI::Formatter::make_option_name(opt, is_positional);
    for (std::size_t open; (open = name.find('{')) != std::string::npos;) {  // "--no-x{false}": the flag's value
      const std::size_t close = name.find('}', open);
      name.erase(open, close == std::string::npos ? std::string::npos : close - open + 1);
    }
    return name;
  }

  std::string make_option_opts(const CLI::Option* opt) const override {
    if (!opt->get_option_text().empty()) return " " + opt->get_option_text();
    std::ostringstream out;
    if (opt->get_type_size() != 0) {
      const std::string type = opt->get_type_name();
      const int count = fixed_count(opt);
      for (int i = 0; i < count && !type.empty(); ++i) out << " " << get_label(type);
      if (count == 1 && !opt->get_default_str().empty()) out << "=" << opt->get_default_str();
      if (opt->get_expected_max() == CLI::detail::expected_max_vector_size) out << " ...";
      if (opt->get_required()) out << " " << get_label("REQUIRED");
    }
    if (!opt->get_envname().empty()) out << " (" << get_label("Env") << ":" << opt->get_envname() << ")";
    return out.str();
  }

  std::string make_option_desc(const CLI::Option* opt) const override {
    std::string desc = opt->get_description();
    if (opt->get_type_size() != 0 && fixed_count(opt) > 1 && !opt->get_default_str().empty())
      desc += " (default: " + list_text(opt->get_default_str()) + ")";
    append_names(&desc, "needs", opt->get_needs());
    append_names(&desc, "not with", opt->get_excludes());
    return desc;
  }

 private:
  // Values one occurrence takes: 1 for a plain option, N for expected(N), 1 for an open list.
  static int fixed_count(const CLI::Option* opt) {
    const int min = opt->get_expected_min();
    return min > 1 && opt->get_expected_max() == min ? min : 1;
  }

  // CLI11 writes a vector default as "[1,1]"; shown as the user types it: "1 1".
  static std::string list_text(std::string s) {
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
    for (char& c : s)
      if (c == ',') c = ' ';
    return s;
  }

  template <class Options>
  static void append_names(std::string* desc, const char* what, const Options& options) {
    if (options.empty()) return;
    std::vector<std::string> sorted;  // a set of pointers: sorted by name, the same text every run
    for (const CLI::Option* o : options) sorted.push_back(o->get_name());
    std::sort(sorted.begin(), sorted.end());
    std::string names;
    for (const std::string& n : sorted) names += (names.empty() ? "" : ", ") + n;
    *desc += std::string(desc->empty() ? "(" : " (") + what + " " + names + ")";
  }
};

}  // namespace genre::tools
