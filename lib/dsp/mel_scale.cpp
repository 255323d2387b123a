#include "dsp/mel_scale.h"

#include <cmath>

namespace genre::dsp {

namespace {
// Slaney's Auditory Toolbox constants, as librosa uses them.
constexpr double kLinearStepHz = 200.0 / 3.0;
constexpr double kMinLogHz = 1000.0;
constexpr double kMinLogMel = kMinLogHz / kLinearStepHz;  // 15
const double kLogStep = std::log(6.4) / 27.0;
}  // namespace

double hz_to_mel(double hz, bool htk) {
  if (htk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz >= kMinLogHz) return kMinLogMel + std::log(hz / kMinLogHz) / kLogStep;
  return hz / kLinearStepHz;
}

double mel_to_hz(double mel, bool htk) {
  if (htk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel >= kMinLogMel) return kMinLogHz * std::exp(kLogStep * (mel - kMinLogMel));
  return mel * kLinearStepHz;
}

}  // namespace genre::dsp
