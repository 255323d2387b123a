// matplotlib colour maps: a value in [0,1] picks entry floor(v * 256) (the
// last for v >= 1, the first for v <= 0 or NaN) of the 256-entry table,
// exactly as Colormap.__call__ does.
#pragma once

#include "image/image_config.h"

namespace genre::image {

// The 256x3 RGB table of `map`; nullptr for Colormap::None.
const float (*colormap_table(Colormap map))[3];

inline int colormap_index(float v) {
  float x = v * 256.0f;
  x = x > 0.0f ? x : 0.0f;  // NaN -> 0
  return int(x < 255.0f ? x : 255.0f);
}

}  // namespace genre::image
