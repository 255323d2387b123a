// The `genreclassify` plugin: the one element that needs LibTorch, in a
// library of its own so the `genre` plugin never loads it.
#include "gstgenreclassify.h"

static gboolean plugin_init(GstPlugin* plugin) { return GST_ELEMENT_REGISTER(genreclassify, plugin); }

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, genreclassify,
    "Music genre classification with LibTorch model bundles",
    plugin_init, VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
