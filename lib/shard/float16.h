// IEEE 754 binary16 <-> binary32 conversion. float_to_half rounds to nearest,
// ties to even, keeps subnormals, infinities and NaN payloads exactly as
// numpy's astype(float16) does, so shards written here match numpy bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace genre::shard {

std::uint16_t float_to_half(float value);
float half_to_float(std::uint16_t bits);

// Bulk conversions (vectorised with F16C where the CPU has it; the results are
// identical to the scalar functions above).
void floats_to_halves(const float* in, std::uint16_t* out, std::size_t count);
void halves_to_floats(const std::uint16_t* in, float* out, std::size_t count);

}  // namespace genre::shard
