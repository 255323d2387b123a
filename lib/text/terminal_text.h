// Text for a terminal: names from files and bundles (class names, paths, messages) can
// hold control characters. Printed raw, an ESC sequence recolours or rewrites the
// terminal and a newline splits one record over two lines; escaped, they stay visible
// and harmless. CSV and JSON outputs have their own quoting and do not use this.
#pragma once

#include <string>
#include <string_view>

namespace genre::text {

// `s` with every C0 control character, DEL and C1 control (U+0080..U+009F, as UTF-8)
// written as a C escape: "\n", "\r", "\t", "\e" (ESC) or "\xHH"; a backslash before
// such an escape is unchanged, so ordinary text comes back byte for byte.
std::string escape_controls(std::string_view s);

}  // namespace genre::text
