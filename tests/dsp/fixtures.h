// Readers for librosa's reference fixtures (test-only): float64 .npy arrays
// and 16-bit PCM WAV files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace genre::test {

struct NpyArray {
  std::vector<size_t> shape;
  std::vector<double> data;  // C order
};

// Reads a little-endian float64 .npy file (C or 2-D Fortran order) into C
// order; throws on anything else.
NpyArray read_npy_f64(const std::filesystem::path& path);

struct Wav {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> mono;  // mean of the channels of int16/32768
};

// Reads a PCM16 WAV file; throws on anything else.
Wav read_wav_pcm16(const std::filesystem::path& path);

}  // namespace genre::test
