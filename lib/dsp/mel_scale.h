// Hz <-> mel conversions exactly as librosa.hz_to_mel / mel_to_hz: the Slaney
// scale (linear below 1 kHz, logarithmic above) by default, HTK on request.
#pragma once

namespace genre::dsp {

double hz_to_mel(double hz, bool htk);
double mel_to_hz(double mel, bool htk);

}  // namespace genre::dsp
