// FLAC: metadata blocks, then frames. A file cut anywhere fails either the
// block walk or the CRC-16 of its last frame.
#include <algorithm>
#include <cstring>
#include <optional>

#include "digest/digest.h"
#include "tags/checksums.h"
#include "tags/file_reader.h"
#include "tags/mpeg_audio.h"
#include "tags/preserved_bytes.h"
#include "tags/tag_error.h"

namespace genre::tags {
namespace {

enum BlockType { kStreamInfo = 0, kPadding = 1, kVorbisComment = 4, kPicture = 6, kInvalid = 127 };

// Largest frame the format allows (65535 samples x 8 channels x 32 bits, plus headers).
constexpr std::uint64_t kMaxFrameBytes = 2u << 20;

// Length of the frame header at `p` (sync code through CRC-8) when it is a
// valid one with a correct CRC-8; nullopt otherwise. `n` bytes are readable.
std::optional<std::size_t> frame_header_length(const std::uint8_t* p, std::size_t n) {
  if (n < 6 || p[0] != 0xff || (p[1] & 0xfe) != 0xf8) return std::nullopt;
  const int block_code = p[2] >> 4, rate_code = p[2] & 15;
  const int channels = p[3] >> 4, depth = (p[3] >> 1) & 7;
  if (block_code == 0 || rate_code == 15 || channels > 10 || depth == 3 || (p[3] & 1)) return std::nullopt;
  // The frame or sample number, UTF-8 style: the lead byte says how many follow.
  std::size_t len = 4;
  const std::uint8_t lead = p[4];
  int extra = 0;
  if (lead < 0x80) extra = 0;
  else if ((lead & 0xe0) == 0xc0) extra = 1;
  else if ((lead & 0xf0) == 0xe0) extra = 2;
  else if ((lead & 0xf8) == 0xf0) extra = 3;
  else if ((lead & 0xfc) == 0xf8) extra = 4;
  else if ((lead & 0xfe) == 0xfc) extra = 5;
  else if (lead == 0xfe) extra = 6;
  else return std::nullopt;
  len += 1 + static_cast<std::size_t>(extra);
  if (block_code == 6) len += 1;
  if (block_code == 7) len += 2;
  if (rate_code == 12) len += 1;
  if (rate_code == 13 || rate_code == 14) len += 2;
  if (len + 1 > n) return std::nullopt;
  for (int i = 0; i < extra; ++i)
    if ((p[5 + i] & 0xc0) != 0x80) return std::nullopt;
  if (flac_crc8(p, len) != p[len]) return std::nullopt;
  return len + 1;
}

// The coded frame or sample number of the frame header at `p` (valid per
// frame_header_length), and the number of samples the frame holds.
struct FramePosition {
  std::uint64_t number = 0;
  std::uint64_t samples = 0;
};

FramePosition frame_position(const std::uint8_t* p) {
  FramePosition pos;
  const std::uint8_t lead = p[4];
  int extra = 0;
  std::uint64_t value = lead;
  if (lead >= 0x80) {
    int mask = 0x40;
    while (lead & mask) {
      ++extra;
      mask >>= 1;
    }
    value = lead & static_cast<std::uint8_t>(mask - 1);
  }
  for (int i = 0; i < extra; ++i) value = (value << 6) | (p[5 + i] & 0x3f);
  pos.number = value;
  const std::uint8_t* after = p + 5 + extra;
  const int block_code = p[2] >> 4;
  if (block_code == 1) pos.samples = 192;
  else if (block_code <= 5) pos.samples = 576u << (block_code - 2);
  else if (block_code == 6) pos.samples = std::uint64_t(after[0]) + 1;
  else if (block_code == 7) pos.samples = ((std::uint64_t(after[0]) << 8) | after[1]) + 1;
  else pos.samples = 256u << (block_code - 8);
  return pos;
}

// The offset of the last frame when it is whole: for some frame header
// before the end, the CRC-16 of everything from it to the end matches the
// end's two bytes. nullopt when no such header is found.
std::optional<std::uint64_t> whole_last_frame(FileReader& file, std::uint64_t frames_begin, std::uint64_t frames_end,
                                              std::uint64_t max_frame) {
  const std::uint64_t span = std::min(frames_end - frames_begin, max_frame);
  if (span < 8) return std::nullopt;
  const std::uint64_t base = frames_end - span;
  const std::uint8_t* tail = file.read(base, static_cast<std::size_t>(span));
  const std::uint16_t stored = static_cast<std::uint16_t>((tail[span - 2] << 8) | tail[span - 1]);
  for (std::uint64_t i = span - 2; i-- > 0;) {
    if (tail[i] != 0xff) continue;
    if (!frame_header_length(tail + i, static_cast<std::size_t>(span - 2 - i))) continue;
    if (flac_crc16(tail + i, static_cast<std::size_t>(span - 2 - i)) == stored) return base + i;
  }
  return std::nullopt;
}

}  // namespace

std::string flac_preserved_digest(FileReader& file) {
  const std::string& path = file.path();
  const std::uint64_t size = file.size();
  std::uint64_t pos = skip_id3v2_tags(file, 0);
  if (size - pos < 4 || std::memcmp(file.read(pos, 4), "fLaC", 4) != 0)
    throw file_error(path, "is not a FLAC stream");
  pos += 4;

  digest::Digest d(digest::Algorithm::Sha256);
  std::uint64_t max_frame = 0, block_size = 0, total_samples = 0;
  for (int index = 0;; ++index) {
    if (size - pos < 4) throw file_error(path, "is truncated inside its FLAC metadata");
    const std::uint8_t* h = file.read(pos, 4);
    const bool last = h[0] & 0x80;
    const int type = h[0] & 0x7f;
    const std::uint64_t length = (std::uint64_t(h[1]) << 16) | (std::uint64_t(h[2]) << 8) | h[3];
    if (type == kInvalid || (index == 0) != (type == kStreamInfo) || (type == kStreamInfo && length != 34))
      throw file_error(path, "is damaged: bad FLAC metadata block " + std::to_string(index) + " (type " +
                                 std::to_string(type) + ")");
    if (length > size - pos - 4)
      throw file_error(path, "is truncated inside its FLAC metadata (block " + std::to_string(index) + ")");
    if (type == kStreamInfo) {
      const std::uint8_t* info = file.read(pos + 4, 34);
      block_size = (std::uint64_t(info[2]) << 8) | info[3];  // the maximum; fixed-size streams have one size
      max_frame = (std::uint64_t(info[7]) << 16) | (std::uint64_t(info[8]) << 8) | info[9];
      total_samples = ((std::uint64_t(info[13]) & 0x0f) << 32) | (std::uint64_t(info[14]) << 24) |
                      (std::uint64_t(info[15]) << 16) | (std::uint64_t(info[16]) << 8) | info[17];
    }
    if (type != kPadding && type != kVorbisComment && type != kPicture) {
      const std::uint8_t code = static_cast<std::uint8_t>(type);
      d.update(&code, 1);
      file.hash(pos + 4, pos + 4 + length, d);
    }
    pos += 4 + length;
    if (last) break;
  }

  // An ID3v1 tag is sometimes appended to FLAC files.
  std::uint64_t frames_end = size;
  if (size - pos >= 128 && std::memcmp(file.read(size - 128, 3), "TAG", 3) == 0 &&
      !whole_last_frame(file, pos, size, kMaxFrameBytes))
    frames_end = size - 128;
  if (frames_end == pos) throw file_error(path, "is truncated: no FLAC audio frames after its metadata");
  const std::uint8_t* sync = file.read(pos, std::min<std::uint64_t>(frames_end - pos, 16));
  if (!frame_header_length(sync, static_cast<std::size_t>(std::min<std::uint64_t>(frames_end - pos, 16))))
    throw file_error(path, "is damaged: no FLAC frame where the metadata ends (byte " + std::to_string(pos) + ")");
  const std::uint64_t search = max_frame > 0 ? max_frame + 16 : kMaxFrameBytes;
  const auto last = whole_last_frame(file, pos, frames_end, search);
  if (!last) throw file_error(path, "is truncated or damaged: its last FLAC frame fails its CRC-16 check");
  // A file cut exactly between two frames ends before STREAMINFO's sample count.
  const std::uint8_t* header = file.read(*last, static_cast<std::size_t>(std::min<std::uint64_t>(16, frames_end - *last)));
  const FramePosition at = frame_position(header);
  const bool variable_blocks = header[1] & 1;
  const std::uint64_t end_sample = (variable_blocks ? at.number : at.number * block_size) + at.samples;
  if (total_samples != 0 && end_sample != total_samples)
    throw file_error(path, "is truncated: its FLAC frames end at sample " + std::to_string(end_sample) + " of " +
                               std::to_string(total_samples));
  file.hash(pos, size, d);
  return d.finish_hex();
}

}  // namespace genre::tags
