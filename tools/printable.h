// Text for a terminal: names and paths that come from files (class names,
// sample keys, file names) are printed with control characters escaped, so an
// ESC sequence cannot recolour the terminal and a newline cannot split a line.
// The CSV and JSON outputs escape in their own formats.
#pragma once

#include <cstdio>
#include <string>

namespace genre::tools {

// C0 controls and DEL as \n, \r, \t or \xNN; C1 controls (UTF-8 C2 80..9F) as
// \u00NN; a backslash as \\. Other bytes, UTF-8 included, are kept.
inline std::string printable(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    char buf[8];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(s[++i]));
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace genre::tools
