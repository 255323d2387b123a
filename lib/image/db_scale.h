// librosa.power_to_db on a whole window, where its maximum is known:
//   power in:  10*log10(max(S, amin)) - 10*log10(max(amin, ref)), ref = 1 or max(S)
//   dB in:     X - ref_db, ref_db = 0 or max(X) (the log is already taken)
// then, when top_db > 0, everything below (max - top_db) is raised to it.
#pragma once

#include <cstddef>

#include "image/image_config.h"

namespace genre::image {

struct DbParams {
  InputScale input_scale = InputScale::Db;
  DbRef ref = DbRef::Max;
  double top_db = 80.0;  // 0 = off
  double amin = 1e-10;
};

// Converts `count` values from `src` into `dst` (which may be `src`).
// Returns the largest output value.
float apply_db_scale(const float* src, float* dst, size_t count, const DbParams& params);

// The loudest of `count` mel values in absolute dB (power, ref 1.0), whatever ref the image
// uses: max(src) for dB input, 10*log10(max(max(src), amin)) for power. Digital silence
// gives 10*log10(amin) (-100 dB by default). -infinity for count == 0.
float peak_db(const float* src, size_t count, InputScale input_scale, double amin);

}  // namespace genre::image
