// |FFT(window * frame)|^power of one frame, with FFTW's real-to-complex
// transform in single precision.
#pragma once

#include <vector>

#include "dsp/window.h"

namespace genre::dsp {

class PowerSpectrum {
 public:
  PowerSpectrum(int n_fft, const std::vector<float>& window, double power);
  ~PowerSpectrum();
  PowerSpectrum(const PowerSpectrum&) = delete;
  PowerSpectrum& operator=(const PowerSpectrum&) = delete;

  int n_bins() const { return n_fft_ / 2 + 1; }

  // frame: n_fft samples; out: n_bins values.
  void compute(const float* frame, float* out);

 private:
  int n_fft_;
  double power_;
  std::vector<float> window_;
  float* in_ = nullptr;   // fftwf_malloc'd, SIMD-aligned
  void* out_ = nullptr;   // fftwf_complex[n_bins]
  void* plan_ = nullptr;  // fftwf_plan
};

}  // namespace genre::dsp
