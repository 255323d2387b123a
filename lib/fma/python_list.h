// FMA's tracks.csv stores genre lists as Python literals: "[21, 811]", "[]".
#pragma once

#include <string>
#include <vector>

namespace genre::fma {

// Parses a Python list of non-negative integers. An empty string is an empty
// list (pandas writes nothing for a missing value). Throws std::invalid_argument
// with the offending text otherwise.
std::vector<int> parse_int_list(const std::string& text);

// The inverse, in the same spelling pandas writes: "[21, 811]".
std::string format_int_list(const std::vector<int>& values);

}  // namespace genre::fma
