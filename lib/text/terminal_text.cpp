#include "text/terminal_text.h"

#include <cstdio>

namespace genre::text {

namespace {

std::string hex_escape(unsigned value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", value);
  return buf;
}

}  // namespace

std::string escape_controls(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xC2 && i + 1 < s.size()) {  // UTF-8 of U+0080..U+009F: the C1 controls (CSI and friends)
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) {
        out += "\\u00" + hex_escape(next).substr(2);
        ++i;
        continue;
      }
    }
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case 0x1B: out += "\\e"; break;
      default:
        if (c < 0x20 || c == 0x7F) out += hex_escape(c);
        else out += char(c);
    }
  }
  return out;
}

}  // namespace genre::text
