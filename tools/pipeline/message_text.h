// One line of text for a GStreamer ERROR or WARNING message, for tools' reports.
#pragma once

#include <gst/gst.h>

#include <cstddef>
#include <string>

namespace genre::tools {

// The GError's message and, when `max_debug` > 0, the debug text (which names the element
// and the source line) in parentheses, cut to `max_debug` characters. Line breaks become
// spaces: failure lists and CSV reports keep one line per item.
std::string message_text(GstMessage* msg, std::size_t max_debug = 200);

}  // namespace genre::tools
