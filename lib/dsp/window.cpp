#include "dsp/window.h"

#include <cmath>

namespace genre::dsp {

std::vector<float> make_window(WindowType type, int win_length, int n_fft) {
  std::vector<float> out(n_fft, 0.f);
  const int offset = (n_fft - win_length) / 2;  // pad_center's left padding
  const double two_pi = 2.0 * M_PI;
  for (int n = 0; n < win_length; ++n) {
    double w = 1.0;
    switch (type) {
      case WindowType::Hann: w = 0.5 - 0.5 * std::cos(two_pi * n / win_length); break;
      case WindowType::Hamming: w = 0.54 - 0.46 * std::cos(two_pi * n / win_length); break;
      case WindowType::Rectangular: w = 1.0; break;
    }
    out[offset + n] = float(w);
  }
  return out;
}

}  // namespace genre::dsp
