// Parameters of a (log-)mel spectrogram, named and defaulted as librosa's
// feature.melspectrogram / power_to_db, plus the checks that reject
// combinations librosa would reject or silently get wrong.
#pragma once

#include <stdexcept>
#include <string>

#include "dsp/mel_filterbank.h"
#include "dsp/window.h"

namespace genre::dsp {

enum class PadMode { Constant, Reflect };
enum class MelNorm { Slaney, None };
enum class MelOutput { Power, Decibel };

// An invalid parameter. property() is its name as the element and the tools
// spell it ("hop-length"), so the message can point the user at it.
class ConfigError : public std::invalid_argument {
 public:
  ConfigError(std::string property, const std::string& message)
      : std::invalid_argument(message), property_(std::move(property)) {}
  const std::string& property() const { return property_; }

 private:
  std::string property_;
};

struct MelSpectrogramConfig {
  // Upper limits validate() enforces (the element's properties take any value up
  // to G_MAXINT and report a larger one as an error naming the property and the limit).
  static constexpr int kMaxNFft = 1 << 20;
  static constexpr int kMaxHopLength = 1 << 20;
  static constexpr int kMaxNMels = 4096;

  int sample_rate = 22050;
  int n_fft = 2048;
  int hop_length = 512;
  int win_length = 0;  // 0 = n_fft
  WindowType window = WindowType::Hann;
  bool center = true;
  PadMode pad_mode = PadMode::Constant;  // librosa's default since 0.9
  double power = 2.0;
  int n_mels = 128;
  double fmin = 0.0;
  double fmax = 0.0;  // 0 = sample_rate / 2
  bool htk = false;
  MelNorm norm = MelNorm::Slaney;
  MelOutput output = MelOutput::Decibel;
  double ref = 1.0;
  double amin = 1e-10;

  int effective_win_length() const { return win_length == 0 ? n_fft : win_length; }
  double effective_fmax() const { return fmax == 0.0 ? sample_rate / 2.0 : fmax; }

  // Checks that need no sample rate; throws ConfigError.
  void validate_rate_independent() const;
  // Every check but empty mel filters, which need the filterbank built.
  void validate_without_filterbank() const;
  // Throws if the filterbank these parameters build has empty filters.
  void check_filterbank(const MelFilterbank& bank) const;
  // Every check (builds a filterbank).
  void validate() const;
  // The filterbank these parameters describe (no validation).
  MelFilterbankParams filterbank_params() const;
};

}  // namespace genre::dsp
