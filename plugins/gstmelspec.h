// melspec: mono F32 audio -> log-mel spectrogram frames as other/tensors.
// A thin wrapper over genre::dsp::MelSpectrogramStream (lib/dsp).
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_MELSPEC (gst_melspec_get_type())
G_DECLARE_FINAL_TYPE(GstMelspec, gst_melspec, GST, MELSPEC, GstElement)

G_END_DECLS
