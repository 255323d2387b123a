// The command-line conventions every tool shares (CLI11): --help prints the full help on
// stdout and exits 0; any usage error is one line "<tool>: <what> (see --help)" on stderr
// and exit status 2.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "printable.h"

namespace genre::tools {

constexpr int kExitUsage = 2;

// CLI11's help with the flag column holding the flag, its type and default only:
// "Needs:" and "Excludes:" go to the description ("needs --a; not with --b, --c"),
// where CLI11 would print them in the flag column.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_opts(const CLI::Option* opt) const override {
    std::string out = CLI::Formatter::make_option_opts(opt);
    // CLI11 appends " Needs: ..." then " Excludes: ..." last (nothing follows them).
    if (!opt->get_needs().empty()) out.erase(std::min(out.size(), out.find(" Needs:")));
    if (!opt->get_excludes().empty()) out.erase(std::min(out.size(), out.find(" Excludes:")));
    return out;
  }
  std::string make_option_desc(const CLI::Option* opt) const override {
    std::string out = opt->get_description();
    auto names = [](const std::set<CLI::Option*>& options) {
      std::vector<std::string> sorted;
      for (const CLI::Option* o : options) sorted.push_back(o->get_name());
      std::sort(sorted.begin(), sorted.end());
      std::string s;
      for (const std::string& n : sorted) s += (s.empty() ? "" : ", ") + n;
      return s;
    };
    std::string rules;
    if (!opt->get_needs().empty()) rules = "needs " + names(opt->get_needs());
    if (!opt->get_excludes().empty()) rules += (rules.empty() ? "" : "; ") + std::string("not with ") +
                                               names(opt->get_excludes());
    return rules.empty() ? out : out + " (" + rules + ")";
  }
};

// Parses argv, then runs `check` (rules between flags; it throws CLI::ValidationError or
// std::invalid_argument). Returns -1 when the tool goes on, else its exit status.
inline int parse_command_line(CLI::App& app, int argc, char** argv, const std::function<void()>& check = {}) {
  auto usage_error = [&](std::string what) {
    std::replace(what.begin(), what.end(), '\n', ' ');  // CLI11's own line breaks
    while (!what.empty() && what.back() == ' ') what.pop_back();
    // The message quotes the user's values (paths): an ESC in one is shown, not run.
    std::fprintf(stderr, "%s: %s (see --help)\n", app.get_name().c_str(), printable(what).c_str());
    return kExitUsage;
  };
  app.formatter(std::make_shared<HelpFormatter>());
  try {
    app.parse(argc, argv);
    if (check) check();
  } catch (const CLI::CallForHelp&) {
    std::printf("%s", app.help().c_str());
    return 0;
  } catch (const CLI::RequiredError& e) {
    // CLI11 checks what is required before what is unexpected: a misspelt flag is the mistake to name.
    if (app.remaining_size() > 0) return usage_error(CLI::ExtrasError(app.get_name(), app.remaining()).what());
    return usage_error(e.what());
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  return -1;
}

}  // namespace genre::tools
