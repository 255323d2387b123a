// genreclassify: genre predictions from specresize's images with a model
// bundle (LibTorch). A thin wrapper over genre::infer (Classifier,
// VerdictTracker, check_preprocessing); it lives in its own plugin library,
// the only one that loads LibTorch.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_GENRE_CLASSIFY (gst_genre_classify_get_type())
G_DECLARE_FINAL_TYPE(GstGenreClassify, gst_genre_classify, GST, GENRE_CLASSIFY, GstElement)

GST_ELEMENT_REGISTER_DECLARE(genreclassify);

G_END_DECLS
