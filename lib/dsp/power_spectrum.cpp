#include "dsp/power_spectrum.h"

#include <fftw3.h>

#include <cmath>
#include <mutex>
#include <new>

namespace genre::dsp {

namespace {
// FFTW's planner is not thread-safe; execution of distinct plans is.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

PowerSpectrum::PowerSpectrum(int n_fft, const std::vector<float>& window, double power)
    : n_fft_(n_fft), power_(power), window_(window) {
  std::lock_guard<std::mutex> lock(planner_mutex());
  in_ = fftwf_alloc_real(n_fft_);
  auto* out = fftwf_alloc_complex(n_bins());
  out_ = out;
  if (!in_ || !out) throw std::bad_alloc();
  // ESTIMATE, not MEASURE: MEASURE costs ~150 ms per process and picks its
  // algorithm by timing, so two runs could differ in the last bits.
  plan_ = fftwf_plan_dft_r2c_1d(n_fft_, in_, out, FFTW_ESTIMATE);
  if (!plan_) throw std::bad_alloc();
}

PowerSpectrum::~PowerSpectrum() {
  std::lock_guard<std::mutex> lock(planner_mutex());
  if (plan_) fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
  fftwf_free(in_);
  fftwf_free(out_);
}

void PowerSpectrum::compute(const float* frame, float* result) {
  for (int i = 0; i < n_fft_; ++i) in_[i] = frame[i] * window_[i];
  fftwf_execute(static_cast<fftwf_plan>(plan_));
  const auto* bins = static_cast<const fftwf_complex*>(out_);
  const int n = n_bins();
  if (power_ == 2.0) {
    for (int k = 0; k < n; ++k) result[k] = bins[k][0] * bins[k][0] + bins[k][1] * bins[k][1];
  } else if (power_ == 1.0) {
    for (int k = 0; k < n; ++k) result[k] = std::hypot(bins[k][0], bins[k][1]);
  } else {
    const float p = float(power_);
    for (int k = 0; k < n; ++k) result[k] = std::pow(std::hypot(bins[k][0], bins[k][1]), p);
  }
}

}  // namespace genre::dsp
