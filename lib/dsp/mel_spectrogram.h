// One analysis frame (n_fft samples, already framed and padded) to one mel
// frame: window, FFT, |X|^power, mel filterbank, optionally dB. The per-frame
// algorithm of librosa.feature.melspectrogram (+ power_to_db without top_db).
#pragma once

#include <memory>
#include <vector>

#include "dsp/mel_filterbank.h"
#include "dsp/melspec_config.h"
#include "dsp/power_spectrum.h"

namespace genre::dsp {

class MelSpectrogram {
 public:
  // Validates the config (throws ConfigError naming the bad parameter).
  explicit MelSpectrogram(const MelSpectrogramConfig& config);

  const MelSpectrogramConfig& config() const { return config_; }
  int n_mels() const { return config_.n_mels; }
  const MelFilterbank& filterbank() const { return filterbank_; }

  // frame: n_fft samples; mel: n_mels values.
  void compute(const float* frame, float* mel);

 private:
  MelSpectrogramConfig config_;
  MelFilterbank filterbank_;
  PowerSpectrum spectrum_;
  std::vector<float> bins_;
  float db_offset_;  // 10*log10(max(amin, ref))
  float amin_;
};

}  // namespace genre::dsp
