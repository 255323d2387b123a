// Helpers shared by the element tests.
#pragma once

#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include <string>

namespace genre::test {

// The caps currently on the harness's sink pad, as a string ("" when none).
inline std::string current_caps_string(GstHarness* h) {
  GstCaps* caps = gst_pad_get_current_caps(h->sinkpad);
  if (!caps) return "";
  gchar* s = gst_caps_to_string(caps);
  std::string out(s);
  g_free(s);
  gst_caps_unref(caps);
  return out;
}

// An error or warning message as "message | debug".
inline std::string message_text(GstMessage* msg) {
  GError* err = nullptr;
  gchar* debug = nullptr;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING)
    gst_message_parse_warning(msg, &err, &debug);
  else
    gst_message_parse_error(msg, &err, &debug);
  std::string text = std::string(err ? err->message : "") + " | " + (debug ? debug : "");
  if (err) g_error_free(err);
  g_free(debug);
  return text;
}

// Every message of `type` (errors or warnings) queued on `bus`, one "message | debug" per line.
inline std::string pop_message_texts(GstBus* bus, GstMessageType type) {
  std::string text;
  while (GstMessage* msg = gst_bus_pop_filtered(bus, type)) {
    text += message_text(msg) + "\n";
    gst_message_unref(msg);
  }
  return text;
}

// Waits for EOS or an error on a playing pipeline's bus. Returns "" at EOS,
// else the error ("message | debug") or "timeout".
inline std::string wait_for_eos(GstElement* pipeline, GstClockTime timeout = 60 * GST_SECOND) {
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, timeout, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_object_unref(bus);
  if (!msg) return "timeout";
  const std::string error = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR ? message_text(msg) : "";
  gst_message_unref(msg);
  return error;
}

// A private bus on an element for the length of a test, to read the errors it
// posts. Detached before the element goes: queued messages hold references
// to the element, and an element still holding its bus would leak with them.
class ErrorBus {
 public:
  explicit ErrorBus(GstElement* element) : element_(GST_ELEMENT(gst_object_ref(element))), bus_(gst_bus_new()) {
    gst_element_set_bus(element_, bus_);
  }
  ~ErrorBus() {
    gst_element_set_bus(element_, nullptr);
    gst_bus_set_flushing(bus_, TRUE);
    gst_object_unref(bus_);
    gst_object_unref(element_);
  }
  ErrorBus(const ErrorBus&) = delete;
  ErrorBus& operator=(const ErrorBus&) = delete;

  // Every error message posted so far, "message | debug" per line; "" when none.
  std::string errors() { return pop_message_texts(bus_, GST_MESSAGE_ERROR); }

 private:
  GstElement* element_;
  GstBus* bus_;
};

}  // namespace genre::test
