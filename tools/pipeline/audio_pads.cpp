#include "audio_pads.h"

namespace genre::tools {

namespace {

void on_pad_added(GstElement*, GstPad* pad, gpointer chain) {
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (!caps) caps = gst_pad_query_caps(pad, nullptr);
  const bool audio = caps && gst_caps_get_size(caps) > 0 &&
                     g_str_has_prefix(gst_structure_get_name(gst_caps_get_structure(caps, 0)), "audio/");
  if (caps) gst_caps_unref(caps);
  if (!audio) return;
  GstPad* sink = gst_element_get_static_pad(GST_ELEMENT(chain), "sink");
  if (!gst_pad_is_linked(sink)) gst_pad_link(pad, sink);
  gst_object_unref(sink);
}

}  // namespace

void link_audio_pads(GstElement* decoder, GstElement* chain) {
  g_signal_connect(decoder, "pad-added", G_CALLBACK(on_pad_added), chain);
}

}  // namespace genre::tools
