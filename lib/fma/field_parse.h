// Strict integer parsing for CSV fields, with errors that name the place.
#pragma once

#include <string>

namespace genre::fma {

// Throws std::runtime_error "<where>: <column> is not an integer: "<text>"".
int parse_int_field(const std::string& text, const std::string& where, const std::string& column);

}  // namespace genre::fma
