// Decoders (decodebin, uridecodebin) add their pads when they know the stream: the tools
// link the first audio pad to their chain and leave the others (cover art, video) unlinked.
#pragma once

#include <gst/gst.h>

namespace genre::tools {

// Links each new audio pad of `decoder` to `chain`'s static "sink" pad while that is free.
// `chain` must outlive the decoder's pads (both in one bin).
void link_audio_pads(GstElement* decoder, GstElement* chain);

}  // namespace genre::tools
