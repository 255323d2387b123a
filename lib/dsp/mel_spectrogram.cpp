#include "dsp/mel_spectrogram.h"

#include "dsp/decibels.h"

#include <algorithm>
#include <cmath>

namespace genre::dsp {

namespace {
const MelSpectrogramConfig& validated(const MelSpectrogramConfig& c) {
  c.validate_without_filterbank();
  return c;
}
}  // namespace

MelSpectrogram::MelSpectrogram(const MelSpectrogramConfig& config)
    : config_(validated(config)),
      filterbank_(config_.filterbank_params()),
      spectrum_(config_.n_fft,
                make_window(config_.window, config_.effective_win_length(), config_.n_fft),
                config_.power),
      bins_(spectrum_.n_bins()),
      db_offset_(float(10.0 * std::log10(std::max(config_.amin, config_.ref)))),
      amin_(float(config_.amin)) {
  config_.check_filterbank(filterbank_);
}

void MelSpectrogram::compute(const float* frame, float* mel) {
  spectrum_.compute(frame, bins_.data());
  filterbank_.apply(bins_.data(), mel);
  if (config_.output == MelOutput::Decibel) {
    for (int m = 0; m < config_.n_mels; ++m)
      mel[m] = power_to_decibels(std::max(mel[m], amin_)) - db_offset_;
  }
}

}  // namespace genre::dsp
