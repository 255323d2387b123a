// NumPy .npy (format 1.0 written; 1.0-3.0 read), little-endian float16,
// float32 and float64 in C order. The header is byte-identical to what
// numpy.save writes, so shards round-trip through Python unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace genre::shard {

enum class Dtype { kFloat16, kFloat32, kFloat64 };

std::size_t dtype_size(Dtype d);
const char* dtype_name(Dtype d);   // "float16", ...
const char* dtype_descr(Dtype d);  // "<f2", ...
// "float16"/"float32"/"float64"; throws ShardError for anything else.
Dtype dtype_from_name(const std::string& name);

// The header (magic, version, length, dict, padding) for an array of this
// dtype and shape; the raw little-endian data follows it.
std::string npy_header(Dtype dtype, const std::vector<std::uint64_t>& shape);

struct NpyView {
  Dtype dtype = Dtype::kFloat32;
  std::vector<std::uint64_t> shape;
  const std::uint8_t* data = nullptr;  // points into the parsed buffer
  std::uint64_t data_size = 0;          // bytes, = element_count * dtype_size
  std::size_t header_size = 0;
  std::uint64_t element_count() const;
};

// Parses a whole .npy file held in memory. Throws ShardError naming `origin`
// for a bad magic, unknown version, truncated or malformed header, unknown or
// big-endian dtype, Fortran order, or a data size that disagrees with the shape.
NpyView parse_npy(const std::uint8_t* data, std::size_t size, const std::string& origin);

// Converts the array's elements to float32 (count = element_count()).
void npy_to_float32(const NpyView& view, float* out);

}  // namespace genre::shard
