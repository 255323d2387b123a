// The checksums the containers carry: FLAC's frame header CRC-8 and frame
// CRC-16, and the Ogg page CRC-32 (all MSB-first, initial value 0).
#pragma once

#include <cstddef>
#include <cstdint>

namespace genre::tags {

std::uint8_t flac_crc8(const std::uint8_t* data, std::size_t size);
std::uint16_t flac_crc16(const std::uint8_t* data, std::size_t size);
// Continues `crc` over `data`; a page's CRC is computed with its CRC field zeroed.
std::uint32_t ogg_crc32(std::uint32_t crc, const std::uint8_t* data, std::size_t size);

}  // namespace genre::tags
