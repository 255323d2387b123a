#include "tensor_caps.h"

#include <cstdlib>
#include <cstring>

namespace genre {

std::string tensor_dims_to_string(const TensorDims& dims) {
  return std::to_string(dims[0]) + ":" + std::to_string(dims[1]) + ":" +
         std::to_string(dims[2]) + ":" + std::to_string(dims[3]);
}

GstCaps* tensor_caps_new(const TensorInfo& info) {
  return gst_caps_new_simple("other/tensors",
      "format", G_TYPE_STRING, "static",
      "num_tensors", G_TYPE_INT, 1,
      "types", G_TYPE_STRING, "float32",
      "dimensions", G_TYPE_STRING, tensor_dims_to_string(info.dims).c_str(),
      "framerate", GST_TYPE_FRACTION, info.fps_n, info.fps_d,
      nullptr);
}

// NNStreamer allows fewer than four dimensions ("128:32"); missing ones are 1.
static bool parse_dims(const char* text, TensorDims* dims) {
  TensorDims out{1, 1, 1, 1};
  const char* p = text;
  for (size_t i = 0; i < out.size(); ++i) {
    char* end = nullptr;
    unsigned long v = std::strtoul(p, &end, 10);
    if (end == p || v == 0 || v > G_MAXUINT32) return false;
    out[i] = guint(v);
    if (*end == '\0') { *dims = out; return true; }
    if (*end != ':') return false;
    p = end + 1;
  }
  return false;  // more than four dimensions
}

bool tensor_caps_parse(const GstCaps* caps, TensorInfo* info, std::string* error) {
  if (!gst_caps_is_fixed(caps)) {
    *error = "tensor caps are not fixed";
    return false;
  }
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  if (!gst_structure_has_name(s, "other/tensors")) {
    *error = std::string("expected other/tensors, got ") + gst_structure_get_name(s);
    return false;
  }
  const char* format = gst_structure_get_string(s, "format");
  if (format && std::strcmp(format, "static") != 0) {
    *error = std::string("only format=static tensors are supported, got format=") + format;
    return false;
  }
  gint num = 0;
  if (!gst_structure_get_int(s, "num_tensors", &num) || num != 1) {
    *error = "exactly one tensor per buffer (num_tensors=1) is supported";
    return false;
  }
  const char* types = gst_structure_get_string(s, "types");
  if (!types || std::strcmp(types, "float32") != 0) {
    *error = std::string("only float32 tensors are supported, got types=") + (types ? types : "(none)");
    return false;
  }
  const char* dims = gst_structure_get_string(s, "dimensions");
  TensorInfo out;
  if (!dims || !parse_dims(dims, &out.dims)) {
    *error = std::string("bad tensor dimensions '") + (dims ? dims : "(none)") +
             "': expected up to four positive integers separated by ':'";
    return false;
  }
  if (!gst_structure_get_fraction(s, "framerate", &out.fps_n, &out.fps_d)) {
    out.fps_n = 0;
    out.fps_d = 1;
  }
  *info = out;
  return true;
}

}  // namespace genre
