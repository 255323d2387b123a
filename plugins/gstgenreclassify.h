// genreclassify: genre predictions from specresize's images with a model
// bundle (LibTorch), an analyser in the manner of level (GstBaseTransform:
// buffers pass through). A thin wrapper over genre::infer (Classifier,
// VerdictTracker, check_preprocessing); it lives in its own plugin library,
// the only one that loads LibTorch.
#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_GENRE_CLASSIFY (gst_genre_classify_get_type())
G_DECLARE_FINAL_TYPE(GstGenreClassify, gst_genre_classify, GST, GENRE_CLASSIFY, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE(genreclassify);

G_END_DECLS
