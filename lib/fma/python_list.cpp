#include "fma/python_list.h"

#include <cctype>
#include <stdexcept>

namespace genre::fma {

std::vector<int> parse_int_list(const std::string& text) {
  std::vector<int> out;
  size_t i = 0;
  const size_t n = text.size();
  auto skip_ws = [&] {
    while (i < n && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  auto bad = [&](const char* why) -> std::invalid_argument {
    return std::invalid_argument("not a Python integer list (" + std::string(why) + "): \"" + text + "\"");
  };
  skip_ws();
  if (i == n) return out;
  if (text[i] != '[') throw bad("missing '['");
  ++i;
  skip_ws();
  if (i < n && text[i] == ']') {
    ++i;
  } else {
    while (true) {
      skip_ws();
      if (i == n || !std::isdigit(static_cast<unsigned char>(text[i]))) throw bad("expected a digit");
      long long v = 0;
      while (i < n && std::isdigit(static_cast<unsigned char>(text[i]))) {
        v = v * 10 + (text[i] - '0');
        if (v > 1000000000) throw bad("number too large");
        ++i;
      }
      out.push_back(static_cast<int>(v));
      skip_ws();
      if (i == n) throw bad("missing ']'");
      if (text[i] == ',') {
        ++i;
        skip_ws();
        if (i < n && text[i] == ']') {  // Python allows a trailing comma
          ++i;
          break;
        }
        continue;
      }
      if (text[i] == ']') {
        ++i;
        break;
      }
      throw bad("expected ',' or ']'");
    }
  }
  skip_ws();
  if (i != n) throw bad("trailing characters");
  return out;
}

std::string format_int_list(const std::vector<int>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(values[i]);
  }
  return s + "]";
}

}  // namespace genre::fma
