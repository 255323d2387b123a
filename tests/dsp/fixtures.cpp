#include "fixtures.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <stdexcept>

namespace genre::test {

namespace {
std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

uint32_t le32(const std::string& s, size_t at) {
  uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}
}  // namespace

NpyArray read_npy_f64(const std::filesystem::path& path) {
  const std::string bytes = slurp(path);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw std::runtime_error(path.string() + ": not an .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, header_at;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    header_at = 10;
  } else {
    header_len = le32(bytes, 8);
    header_at = 12;
  }
  const std::string header = bytes.substr(header_at, header_len);
  const std::string compact = std::regex_replace(header, std::regex(R"(\s+)"), "");
  if (compact.find("'descr':'<f8'") == std::string::npos)
    throw std::runtime_error(path.string() + ": expected little-endian float64");
  // librosa's fixtures are saved in Fortran order despite the data README.
  const bool fortran = compact.find("'fortran_order':True") != std::string::npos;
  std::smatch m;
  if (!std::regex_search(compact, m, std::regex(R"('shape':\(([^)]*)\))")))
    throw std::runtime_error(path.string() + ": no shape in header");
  NpyArray out;
  size_t count = 1;
  const std::string dims = m[1];
  const std::regex number(R"(\d+)");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) {
    out.shape.push_back(std::stoul(it->str()));
    count *= out.shape.back();
  }
  const size_t data_at = header_at + header_len;
  if (bytes.size() - data_at != count * sizeof(double))
    throw std::runtime_error(path.string() + ": data size does not match the shape");
  std::vector<double> raw(count);
  std::memcpy(raw.data(), bytes.data() + data_at, count * sizeof(double));
  if (!fortran || out.shape.size() < 2) {
    out.data = std::move(raw);
    return out;
  }
  if (out.shape.size() != 2) throw std::runtime_error(path.string() + ": Fortran order beyond 2-D");
  const size_t rows = out.shape[0], cols = out.shape[1];
  out.data.resize(count);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) out.data[r * cols + c] = raw[c * rows + r];
  return out;
}

Wav read_wav_pcm16(const std::filesystem::path& path) {
  const std::string bytes = slurp(path);
  if (bytes.size() < 12 || bytes.compare(0, 4, "RIFF") != 0 || bytes.compare(8, 4, "WAVE") != 0)
    throw std::runtime_error(path.string() + ": not a RIFF/WAVE file");
  Wav wav;
  int bits = 0;
  for (size_t at = 12; at + 8 <= bytes.size();) {
    const std::string id = bytes.substr(at, 4);
    const size_t size = le32(bytes, at + 4);
    const size_t body = at + 8;
    if (body + size > bytes.size()) throw std::runtime_error(path.string() + ": truncated chunk");
    if (id == "fmt ") {
      uint16_t format, channels, bits_per_sample;
      std::memcpy(&format, bytes.data() + body, 2);
      std::memcpy(&channels, bytes.data() + body + 2, 2);
      std::memcpy(&bits_per_sample, bytes.data() + body + 14, 2);
      if (format != 1) throw std::runtime_error(path.string() + ": not PCM");
      wav.channels = channels;
      wav.sample_rate = int(le32(bytes, body + 4));
      bits = bits_per_sample;
    } else if (id == "data") {
      if (bits != 16 || wav.channels < 1) throw std::runtime_error(path.string() + ": expected PCM16");
      const size_t frames = size / (2 * size_t(wav.channels));
      wav.mono.resize(frames);
      for (size_t f = 0; f < frames; ++f) {
        double sum = 0;
        for (int c = 0; c < wav.channels; ++c) {
          int16_t v;
          std::memcpy(&v, bytes.data() + body + 2 * (f * wav.channels + c), 2);
          sum += v / 32768.0;
        }
        wav.mono[f] = float(sum / wav.channels);
      }
      return wav;
    }
    at = body + size + (size & 1);
  }
  throw std::runtime_error(path.string() + ": no data chunk");
}

}  // namespace genre::test
