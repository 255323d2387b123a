// specresize: mel spectrogram frames (from melspec) -> model-ready images, one
// per clip or per sliding window. A thin wrapper over genre::image
// (FrameWindower + SpectrogramRenderer, lib/image).
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SPECRESIZE (gst_specresize_get_type())
G_DECLARE_FINAL_TYPE(GstSpecresize, gst_specresize, GST, SPECRESIZE, GstElement)

G_END_DECLS
