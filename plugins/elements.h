// Every element of the `genre` plugin, registered by genre_plugin.cpp.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS
GST_ELEMENT_REGISTER_DECLARE(melspec);
GST_ELEMENT_REGISTER_DECLARE(specresize);
GST_ELEMENT_REGISTER_DECLARE(datasetsink);
G_END_DECLS
