// Streaming framer around MelSpectrogram: feed a signal in chunks of any size
// and get exactly the frames librosa computes on the whole signal, including
// the centre padding at both ends (center=True yields 1 + len // hop frames).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dsp/mel_spectrogram.h"

namespace genre::dsp {

class MelSpectrogramStream {
 public:
  explicit MelSpectrogramStream(const MelSpectrogramConfig& config);

  const MelSpectrogramConfig& config() const { return mel_.config(); }
  int n_mels() const { return mel_.n_mels(); }

  // Appends every frame these samples complete to `frames` (n_mels floats
  // each, frame-major). Returns the number of frames appended.
  size_t push(const float* samples, size_t count, std::vector<float>& frames);

  // End of the signal: end padding, the remaining frames, then ready for a
  // new signal whose frame grid starts afresh.
  size_t finish(std::vector<float>& frames);

  // Forgets the current signal without emitting anything (flush).
  void reset();

  uint64_t samples_in_signal() const { return samples_; }
  uint64_t frames_in_signal() const { return frames_; }

 private:
  void start_signal();
  void append(const float* samples, size_t count);
  void remember_tail(const float* samples, size_t count);
  size_t emit(std::vector<float>& frames);

  MelSpectrogram mel_;
  const int n_fft_;
  const int hop_;
  const int pad_;  // centre padding on each side, n_fft / 2 (0 without centring)
  const bool reflect_;

  std::vector<float> buf_;  // padded signal from the next frame's start on
  uint64_t skip_ = 0;       // padded samples to drop first (when hop > n_fft)
  bool started_ = false;    // left padding is in place
  std::vector<float> head_;  // reflect mode: the first samples, until pad + 1 are known
  std::vector<float> tail_;  // reflect mode: the last pad + 1 samples seen
  uint64_t samples_ = 0;
  uint64_t frames_ = 0;
};

// numpy.pad(mode='reflect') for a signal too short to reflect once
// (len <= pad): the whole padded signal, pad samples on each side.
std::vector<float> reflect_pad(const std::vector<float>& signal, int pad);

}  // namespace genre::dsp
