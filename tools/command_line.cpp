#include "command_line.h"

// The rest of CLI11: its help formatter and config parser (whose vtables every CLI::App
// refers to) are compiled here, once for all the tools.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "help_formatter.h"
#include "text/terminal_text.h"

namespace genre::tools {

int parse_command_line(CLI::App& app, int argc, char** argv, const std::function<void()>& check) {
  auto usage_error = [&](std::string what) {
    std::replace(what.begin(), what.end(), '\n', ' ');  // CLI11's own line breaks
    while (!what.empty() && what.back() == ' ') what.pop_back();
    // The message quotes the user's values (paths): an ESC in one is shown, not run.
    std::fprintf(stderr, "%s: %s (see --help)\n", app.get_name().c_str(), text::escape_controls(what).c_str());
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
    // CLI11 checks required options before it complains about arguments it did not
    // recognise; an unknown option is the real mistake ("--bogus", not "--model is required").
    const std::vector<std::string> unknown = app.remaining();
    return usage_error(unknown.empty() ? std::string(e.what()) : CLI::ExtrasError(unknown).what());
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  return -1;
}

}  // namespace genre::tools
