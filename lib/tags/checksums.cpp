#include "tags/checksums.h"

#include <array>

namespace genre::tags {
namespace {

template <typename T, T kPoly>
std::array<T, 256> msb_first_table() {
  constexpr int kTopShift = 8 * sizeof(T) - 8;
  constexpr T kTopBit = T(T(1) << (8 * sizeof(T) - 1));
  std::array<T, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    T crc = static_cast<T>(static_cast<T>(i) << kTopShift);
    for (int bit = 0; bit < 8; ++bit) crc = static_cast<T>((crc & kTopBit) ? (crc << 1) ^ kPoly : crc << 1);
    table[i] = crc;
  }
  return table;
}

template <typename T>
T msb_first_update(const std::array<T, 256>& table, T crc, const std::uint8_t* data, std::size_t size) {
  constexpr int kTopShift = 8 * sizeof(T) - 8;
  for (std::size_t i = 0; i < size; ++i)
    crc = static_cast<T>((crc << 8) ^ table[((crc >> kTopShift) ^ data[i]) & 0xff]);
  return crc;
}

}  // namespace

std::uint8_t flac_crc8(const std::uint8_t* data, std::size_t size) {
  static const auto table = msb_first_table<std::uint8_t, 0x07>();
  return msb_first_update<std::uint8_t>(table, 0, data, size);
}

std::uint16_t flac_crc16(const std::uint8_t* data, std::size_t size) {
  static const auto table = msb_first_table<std::uint16_t, 0x8005>();
  return msb_first_update<std::uint16_t>(table, 0, data, size);
}

std::uint32_t ogg_crc32(std::uint32_t crc, const std::uint8_t* data, std::size_t size) {
  static const auto table = msb_first_table<std::uint32_t, 0x04c11db7>();
  return msb_first_update<std::uint32_t>(table, crc, data, size);
}

}  // namespace genre::tags
