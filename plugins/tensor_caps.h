// NNStreamer's `other/tensors` static caps, the convention every tensor
// element of this plugin speaks: one float32 tensor per buffer, dimensions
// written innermost first ("128:32:1:1" is 32 frames of 128 floats).
#pragma once

#include <gst/gst.h>

#include <array>
#include <string>

namespace genre {

constexpr const char* kTensorTemplateCaps =
    "other/tensors, format = (string) static, num_tensors = (int) 1, "
    "types = (string) float32";

// Four dimensions, innermost first, as NNStreamer writes them.
using TensorDims = std::array<guint, 4>;

struct TensorInfo {
  TensorDims dims{1, 1, 1, 1};
  gint fps_n = 0;  // framerate, buffers per second; 0/1 when unknown
  gint fps_d = 1;

  gsize element_count() const { return gsize(dims[0]) * dims[1] * dims[2] * dims[3]; }
  gsize byte_size() const { return element_count() * sizeof(float); }
};

// Fixed caps for one float32 tensor of the given shape.
GstCaps* tensor_caps_new(const TensorInfo& info);

// Reads fixed other/tensors caps. Returns false and fills `error` (a sentence a
// user can act on) when they are not one static float32 tensor.
bool tensor_caps_parse(const GstCaps* caps, TensorInfo* info, std::string* error);

std::string tensor_dims_to_string(const TensorDims& dims);

}  // namespace genre
