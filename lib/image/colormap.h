// matplotlib colour maps: a value in [0,1] picks entry floor(v * 256) (the
// last for v = 1) of the 256-entry table, exactly as Colormap.__call__ does.
#pragma once

#include "image/image_config.h"

namespace genre::image {

// The 256x3 RGB table of `map`; nullptr for Colormap::None.
const float (*colormap_table(Colormap map))[3];

inline int colormap_index(float v) {
  float x = v * 256.0f;
  if (!(x > 0.0f)) return 0;  // also NaN
  return x >= 255.0f ? 255 : int(x);
}

}  // namespace genre::image
