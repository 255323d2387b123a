// A mel filterbank built exactly as librosa.filters.mel (triangles between
// mel-spaced edges, optional Slaney area normalisation), stored sparsely: each
// filter is non-zero only over a few FFT bins, which makes applying it ~60x
// cheaper than the dense [n_mels x (1 + n_fft/2)] product.
#pragma once

#include <cstddef>
#include <vector>

namespace genre::dsp {

struct MelFilterbankParams {
  double sample_rate = 22050.0;
  int n_fft = 2048;
  int n_mels = 128;
  double fmin = 0.0;
  double fmax = 11025.0;  // already resolved: no 0 = "half the rate" here
  bool htk = false;
  bool slaney_norm = true;
};

class MelFilterbank {
 public:
  explicit MelFilterbank(const MelFilterbankParams& params);

  int n_mels() const { return n_mels_; }
  int n_bins() const { return n_bins_; }

  // Indices of filters that are all zero although their lower edge is above
  // 0 Hz (librosa warns "Empty filters detected" for these).
  const std::vector<int>& empty_filters() const { return empty_filters_; }

  // Dense row-major [n_mels][n_bins] copy, for tests and inspection.
  std::vector<double> dense() const;

  // mel[m] = sum_k weights[m][k] * spectrum[k]; spectrum has n_bins values.
  void apply(const float* spectrum, float* mel) const;

 private:
  struct Band {
    int first_bin;
    int length;
    size_t offset;  // into weights_
  };
  int n_mels_;
  int n_bins_;
  std::vector<Band> bands_;
  std::vector<float> weights_;
  std::vector<double> dense_;  // float64 weights, as librosa computes before its float32 cast
  std::vector<int> empty_filters_;
};

}  // namespace genre::dsp
