#include "fma/field_parse.h"

#include <charconv>
#include <stdexcept>

namespace genre::fma {

int parse_int_field(const std::string& text, const std::string& where, const std::string& column) {
  int v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  // pandas may write integers of a float column as "12.0".
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec == std::errc() && ptr != b && (ptr == e || std::string(ptr, e) == ".0")) return v;
  throw std::runtime_error(where + ": " + column + " is not an integer: \"" + text + "\"");
}

}  // namespace genre::fma
