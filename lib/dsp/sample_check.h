// Audio samples a spectrogram cannot be computed from: NaN, Inf, or amplitudes so large
// that their power overflows float (1e38 squared is Inf) and the frames turn into NaN.
// melspec refuses them where they appear instead of writing NaN images.
#pragma once

#include <cstddef>

namespace genre::dsp {

// The largest |sample| accepted: 1e6, 120 dB above full scale (decoders and audioconvert
// give [-1, 1]); beyond it the power of an n_fft = 2048 frame can overflow float.
constexpr float kMaxSampleMagnitude = 1e6f;

// Index of the first sample in `x[0..n)` that is NaN, +-Inf or larger in magnitude than
// kMaxSampleMagnitude; n when every sample is usable.
std::size_t first_unusable_sample(const float* x, std::size_t n);

}  // namespace genre::dsp
