#include "dsp/mel_filterbank.h"

#include <algorithm>

#include "dsp/mel_scale.h"

namespace genre::dsp {

MelFilterbank::MelFilterbank(const MelFilterbankParams& p)
    : n_mels_(p.n_mels), n_bins_(1 + p.n_fft / 2) {
  // FFT bin centre frequencies: linspace(0, sr/2, n_bins), as np.fft.rfftfreq.
  std::vector<double> fft_freqs(n_bins_);
  for (int k = 0; k < n_bins_; ++k) fft_freqs[k] = k * p.sample_rate / p.n_fft;

  // n_mels + 2 edges equally spaced on the mel scale, back in Hz.
  const double mel_lo = hz_to_mel(p.fmin, p.htk);
  const double mel_hi = hz_to_mel(p.fmax, p.htk);
  std::vector<double> edges(n_mels_ + 2);
  for (int i = 0; i < n_mels_ + 2; ++i) {
    // np.linspace: start + i * step, with the last point exact.
    const double mel = (i == n_mels_ + 1)
                           ? mel_hi
                           : mel_lo + i * ((mel_hi - mel_lo) / (n_mels_ + 1));
    edges[i] = mel_to_hz(mel, p.htk);
  }

  dense_.assign(size_t(n_mels_) * n_bins_, 0.0);
  for (int m = 0; m < n_mels_; ++m) {
    const double lower_width = edges[m + 1] - edges[m];
    const double upper_width = edges[m + 2] - edges[m + 1];
    const double enorm = p.slaney_norm ? 2.0 / (edges[m + 2] - edges[m]) : 1.0;
    double peak = 0.0;
    for (int k = 0; k < n_bins_; ++k) {
      const double lower = -(edges[m] - fft_freqs[k]) / lower_width;
      const double upper = (edges[m + 2] - fft_freqs[k]) / upper_width;
      const double w = std::max(0.0, std::min(lower, upper)) * enorm;
      dense_[size_t(m) * n_bins_ + k] = w;
      peak = std::max(peak, w);
    }
    if (peak <= 0.0 && edges[m] != 0.0) empty_filters_.push_back(m);
  }

  // Sparse copy in float32 (librosa casts the filterbank to float32 too).
  for (int m = 0; m < n_mels_; ++m) {
    const double* row = &dense_[size_t(m) * n_bins_];
    int first = 0;
    while (first < n_bins_ && row[first] == 0.0) ++first;
    int last = n_bins_ - 1;
    while (last >= first && row[last] == 0.0) --last;
    Band band{first, std::max(0, last - first + 1), weights_.size()};
    for (int k = first; k <= last; ++k) weights_.push_back(float(row[k]));
    bands_.push_back(band);
  }
}

std::vector<double> MelFilterbank::dense() const { return dense_; }

void MelFilterbank::apply(const float* spectrum, float* mel) const {
  for (int m = 0; m < n_mels_; ++m) {
    const Band& b = bands_[m];
    const float* w = &weights_[b.offset];
    const float* s = spectrum + b.first_bin;
    // Four partial sums break the add dependency chain (and let the
    // compiler use SIMD); a single accumulator made this the hot spot.
    float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f;
    int k = 0;
    for (; k + 4 <= b.length; k += 4) {
      a0 += w[k] * s[k];
      a1 += w[k + 1] * s[k + 1];
      a2 += w[k + 2] * s[k + 2];
      a3 += w[k + 3] * s[k + 3];
    }
    for (; k < b.length; ++k) a0 += w[k] * s[k];
    mel[m] = (a0 + a1) + (a2 + a3);
  }
}

}  // namespace genre::dsp
