#include "image/colormap.h"

#include "image/colormap_tables.h"

namespace genre::image {

const float (*colormap_table(Colormap map))[3] {
  switch (map) {
    case Colormap::Viridis: return kViridis;
    case Colormap::Magma: return kMagma;
    case Colormap::Gray: return kGray;
    case Colormap::None: return nullptr;
  }
  return nullptr;
}

}  // namespace genre::image
