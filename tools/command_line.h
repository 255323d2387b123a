// The command-line conventions every tool shares (CLI11): --help prints the full help on
// stdout and exits 0; any usage error is one line "<tool>: <what> (see --help)" on stderr
// and exit status 2.
//
// Tools include this header, not <CLI/CLI.hpp>: CLI11 2.1 is header-only, and its help
// formatter, config parser and parse() are inline code that every including file compiled
// again (~5 s at -O3 each). Here the tools see CLI::App, its options and validators; the
// formatter, the config parser and the parsing are compiled once, in command_line.cpp.
#pragma once

#include <CLI/App.hpp>

#include <functional>

namespace genre::tools {

constexpr int kExitUsage = 2;

// Parses argv, then runs `check` (rules between flags; it throws CLI::ValidationError or
// std::invalid_argument). Returns -1 when the tool goes on, else its exit status.
int parse_command_line(CLI::App& app, int argc, char** argv, const std::function<void()>& check = {});

}  // namespace genre::tools
