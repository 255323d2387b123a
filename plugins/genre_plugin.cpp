// The `genre` plugin: music genre classification elements that need no LibTorch.
#include "elements.h"

static gboolean plugin_init(GstPlugin* plugin) {
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER(melspec, plugin);
  ok |= GST_ELEMENT_REGISTER(specresize, plugin);
  ok |= GST_ELEMENT_REGISTER(datasetsink, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, genre,
    "Music genre classification: log-mel spectrograms, spectrogram images, training shards",
    plugin_init, VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
