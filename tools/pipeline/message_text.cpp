#include "message_text.h"

#include <algorithm>

namespace genre::tools {

std::string message_text(GstMessage* msg, std::size_t max_debug) {
  GError* err = nullptr;
  gchar* debug = nullptr;
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error(msg, &err, &debug);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning(msg, &err, &debug);
      break;
    default:
      return GST_MESSAGE_TYPE_NAME(msg);
  }
  std::string text = err ? err->message : "unknown error";
  if (debug && *debug && max_debug > 0) {
    std::string d = debug;
    if (d.size() > max_debug) d = d.substr(0, max_debug) + "...";
    text += " (" + d + ")";
  }
  g_clear_error(&err);
  g_free(debug);
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

}  // namespace genre::tools
