#include "dsp/melspec_config.h"

#include <sstream>

#include "dsp/mel_filterbank.h"

namespace genre::dsp {

namespace {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream s;
  (s << ... << args);
  return s.str();
}
}  // namespace

void MelSpectrogramConfig::validate_rate_independent() const {
  if (n_fft < 2 || n_fft > kMaxNFft)
    throw ConfigError("n-fft", concat("n-fft must be between 2 and ", kMaxNFft, ", got ", n_fft));
  if (hop_length < 1 || hop_length > kMaxHopLength)
    throw ConfigError("hop-length",
                      concat("hop-length must be between 1 and ", kMaxHopLength, ", got ", hop_length));
  if (win_length < 0 || win_length > n_fft)
    throw ConfigError("win-length", concat("win-length (", win_length,
                                           ") must be between 1 and n-fft (", n_fft,
                                           "), or 0 for n-fft"));
  if (!(power > 0.0)) throw ConfigError("power", concat("power must be positive, got ", power));
  if (n_mels < 1 || n_mels > kMaxNMels)
    throw ConfigError("n-mels", concat("n-mels must be between 1 and ", kMaxNMels, ", got ", n_mels));
  if (!(fmin >= 0.0)) throw ConfigError("fmin", concat("fmin must not be negative, got ", fmin));
  if (!(fmax >= 0.0)) throw ConfigError("fmax", concat("fmax must not be negative, got ", fmax));
  if (fmax != 0.0 && fmin >= fmax)
    throw ConfigError("fmin", concat("fmin (", fmin, " Hz) must be below fmax (", fmax, " Hz)"));
  // The dB conversion runs in float32: amin must be a normal float.
  if (!(amin >= 1.1754944e-38))
    throw ConfigError("amin", concat("amin must be at least 1.2e-38 (float32's smallest normal), got ", amin));
  if (!(ref > 0.0)) throw ConfigError("ref", concat("ref must be positive, got ", ref));
}

MelFilterbankParams MelSpectrogramConfig::filterbank_params() const {
  return {double(sample_rate), n_fft, n_mels, fmin, effective_fmax(), htk, norm == MelNorm::Slaney};
}

void MelSpectrogramConfig::validate() const {
  validate_without_filterbank();
  check_filterbank(MelFilterbank(filterbank_params()));
}

void MelSpectrogramConfig::validate_without_filterbank() const {
  validate_rate_independent();
  if (sample_rate < 1)
    throw ConfigError("sample-rate", concat("sample-rate must be positive, got ", sample_rate));
  const double nyquist = sample_rate / 2.0;
  if (effective_fmax() > nyquist)
    throw ConfigError("fmax", concat("fmax (", fmax, " Hz) exceeds half the sample rate (",
                                     nyquist, " Hz at ", sample_rate,
                                     " Hz); lower fmax or use 0 for rate/2"));
  if (fmin >= effective_fmax())
    throw ConfigError("fmin", concat("fmin (", fmin, " Hz) must be below fmax (",
                                     effective_fmax(), " Hz)"));
}

void MelSpectrogramConfig::check_filterbank(const MelFilterbank& bank) const {
  if (!bank.empty_filters().empty())
    throw ConfigError("n-mels",
                      concat("n-mels (", n_mels, ") is too large for n-fft (", n_fft, ") at ",
                             sample_rate, " Hz between ", fmin, " and ", effective_fmax(),
                             " Hz: ", bank.empty_filters().size(),
                             " mel filters would be empty; lower n-mels or raise n-fft"));
}

}  // namespace genre::dsp
