// Analysis windows as scipy.signal.get_window(..., fftbins=True) builds them
// (periodic), centred and zero-padded to n_fft like librosa.util.pad_center.
#pragma once

#include <vector>

namespace genre::dsp {

enum class WindowType { Hann, Hamming, Rectangular };

std::vector<float> make_window(WindowType type, int win_length, int n_fft);

}  // namespace genre::dsp
