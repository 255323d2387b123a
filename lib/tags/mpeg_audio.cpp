#include "tags/mpeg_audio.h"

#include <algorithm>
#include <cstring>

#include "tags/file_reader.h"
#include "tags/tag_error.h"

namespace genre::tags {
namespace {

// kbit/s by bitrate index 1..14, for MPEG-1 layers I-III and MPEG-2/2.5 layer I, II/III.
constexpr int kBitrates[5][14] = {
    {32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
    {32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
    {32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},
    {32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
    {8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
};
constexpr int kSampleRates[3] = {44100, 48000, 32000};

// How far past the ID3v2 tags (or a lost sync) the first frame may be:
// some taggers leave zero padding beyond the tag's declared size.
constexpr std::uint64_t kFirstFrameSearch = 1 << 20;

bool same_stream(const MpegFrameHeader& a, const MpegFrameHeader& b) {
  return a.version == b.version && a.layer == b.layer && a.sample_rate == b.sample_rate;
}

// Three frames that follow one another, or fewer that end exactly at `end`.
bool frames_chain_from(FileReader& file, std::uint64_t pos, std::uint64_t end) {
  const auto first = parse_mpeg_header(file.read(pos, 4));
  if (!first || first->frame_length == 0) return false;  // free format cannot be followed
  MpegFrameHeader h = *first;
  for (int count = 1;; ++count) {
    if (h.frame_length > end - pos) return false;
    pos += h.frame_length;
    if (count == 3 || pos == end) return true;
    if (end - pos < 4) return false;
    const auto next = parse_mpeg_header(file.read(pos, 4));
    if (!next || next->frame_length == 0 || !same_stream(*next, *first)) return false;
    h = *next;
  }
}

bool has_bytes_at(FileReader& file, std::uint64_t offset, const char* bytes, std::size_t n) {
  return offset + n <= file.size() && std::memcmp(file.read(offset, n), bytes, n) == 0;
}

// Where the tags behind the audio begin: ID3v1 last, APE and Lyrics3v2 before it.
std::uint64_t trailing_tags_start(FileReader& file, std::uint64_t begin, std::optional<std::uint64_t>* id3v1) {
  std::uint64_t end = file.size();
  if (end - begin >= 128 && has_bytes_at(file, end - 128, "TAG", 3)) {
    *id3v1 = end - 128;
    end -= 128;
  }
  for (int tags = 0; tags < 2; ++tags) {
    if (end - begin >= 32 && has_bytes_at(file, end - 32, "APETAGEX", 8)) {
      const std::uint8_t* f = file.read(end - 32, 32);
      const std::uint64_t body = f[12] | (f[13] << 8) | (f[14] << 16) | (std::uint64_t(f[15]) << 24);
      const std::uint64_t with_header = body + ((f[23] & 0x80) ? 32 : 0);
      if (with_header <= end - begin) {
        end -= with_header;
        continue;
      }
    }
    if (end - begin >= 15 && has_bytes_at(file, end - 9, "LYRICS200", 9)) {
      const std::uint8_t* d = file.read(end - 15, 6);
      std::uint64_t body = 0;
      bool digits = true;
      for (int i = 0; i < 6; ++i) {
        digits = digits && d[i] >= '0' && d[i] <= '9';
        body = body * 10 + static_cast<std::uint64_t>(d[i] - '0');
      }
      if (digits && body + 15 <= end - begin) {
        end -= body + 15;
        continue;
      }
    }
    break;
  }
  return end;
}

}  // namespace

std::optional<MpegFrameHeader> parse_mpeg_header(const std::uint8_t* p) {
  if (p[0] != 0xff || (p[1] & 0xe0) != 0xe0) return std::nullopt;
  const int version_bits = (p[1] >> 3) & 3, layer_bits = (p[1] >> 1) & 3;
  const int bitrate_index = p[2] >> 4, rate_index = (p[2] >> 2) & 3, padding = (p[2] >> 1) & 1;
  if (version_bits == 1 || layer_bits == 0 || bitrate_index == 15 || rate_index == 3 || (p[3] & 3) == 2)
    return std::nullopt;
  MpegFrameHeader h;
  h.version = version_bits == 3 ? 1 : version_bits == 2 ? 2 : 25;
  h.layer = 4 - layer_bits;
  h.sample_rate = kSampleRates[rate_index] / (h.version == 1 ? 1 : h.version == 2 ? 2 : 4);
  if (bitrate_index == 0) return h;
  const int table = h.version == 1 ? h.layer - 1 : (h.layer == 1 ? 3 : 4);
  const std::uint32_t bits_per_s = static_cast<std::uint32_t>(kBitrates[table][bitrate_index - 1]) * 1000;
  const std::uint32_t rate = static_cast<std::uint32_t>(h.sample_rate);
  if (h.layer == 1)
    h.frame_length = (12 * bits_per_s / rate + static_cast<std::uint32_t>(padding)) * 4;
  else
    h.frame_length = ((h.layer == 3 && h.version != 1) ? 72 : 144) * bits_per_s / rate +
                     static_cast<std::uint32_t>(padding);
  return h;
}

std::uint64_t id3v2_tag_size(const std::uint8_t* p) {
  if (std::memcmp(p, "ID3", 3) != 0 || p[3] < 2 || p[3] > 4 || p[4] == 0xff) return 0;
  std::uint64_t body = 0;
  for (int i = 6; i < 10; ++i) {
    if (p[i] & 0x80) return 0;
    body = (body << 7) | p[i];
  }
  const bool footer = p[3] == 4 && (p[5] & 0x10);
  return 10 + body + (footer ? 10 : 0);
}

std::uint64_t skip_id3v2_tags(FileReader& file, std::uint64_t offset) {
  while (file.size() - offset >= 10) {
    const std::uint64_t n = id3v2_tag_size(file.read(offset, 10));
    if (n == 0) break;
    if (n > file.size() - offset)
      throw file_error(file.path(), "is truncated: its ID3v2 tag at byte " + std::to_string(offset) + " is " +
                                        std::to_string(n) + " bytes but only " +
                                        std::to_string(file.size() - offset) + " remain");
    offset += n;
  }
  return offset;
}

std::optional<std::uint64_t> find_mpeg_frames(FileReader& file, std::uint64_t from, std::uint64_t search,
                                              std::uint64_t end) {
  const std::uint64_t last = std::min(end, from + std::min(search, end - std::min(end, from)));
  std::uint64_t pos = from;
  while (last >= 4 && pos <= last - 4) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(last - pos, 1 << 16));
    const std::uint8_t* chunk = file.read(pos, n);
    const void* hit = std::memchr(chunk, 0xff, n);
    if (!hit) {
      pos += n;
      continue;
    }
    pos += static_cast<std::uint64_t>(static_cast<const std::uint8_t*>(hit) - chunk);
    if (pos <= last - 4 && frames_chain_from(file, pos, end)) return pos;
    ++pos;
  }
  return std::nullopt;
}

Mp3Layout scan_mp3(FileReader& file) {
  Mp3Layout layout;
  const std::uint64_t tags_end = skip_id3v2_tags(file, 0);
  if (tags_end > 0) layout.first_tag_end = id3v2_tag_size(file.read(0, 10));
  layout.audio_end = trailing_tags_start(file, tags_end, &layout.id3v1_offset);
  const auto first = find_mpeg_frames(file, tags_end, kFirstFrameSearch, layout.audio_end);
  if (!first)
    throw file_error(file.path(), tags_end > 0 ? "has an ID3v2 tag but no MPEG audio frames after it"
                                               : "has no MPEG audio frames");
  layout.first_frame = *first;
  std::uint64_t pos = *first;
  while (layout.audio_end - pos >= 4) {
    const auto h = parse_mpeg_header(file.read(pos, 4));
    if (h && h->frame_length > 0) {
      if (h->frame_length > layout.audio_end - pos)
        throw file_error(file.path(), "is truncated: its last MPEG frame (at byte " + std::to_string(pos) +
                                          ") needs " + std::to_string(h->frame_length) + " bytes but only " +
                                          std::to_string(layout.audio_end - pos) + " remain");
      pos += h->frame_length;
      ++layout.frames;
      continue;
    }
    // Lost sync: junk inside or after the stream. Players skip it; so do we.
    const auto next = find_mpeg_frames(file, pos + 1, layout.audio_end, layout.audio_end);
    if (!next) break;
    pos = *next;
  }
  // Less than an ID3v1 tag after the last frame, starting like one: the file
  // was cut inside its ID3v1 tag.
  const std::uint64_t rest = layout.audio_end - pos;
  if (rest >= 3 && rest < 128 && std::memcmp(file.read(pos, 3), "TAG", 3) == 0)
    throw file_error(file.path(), "is truncated: its ID3v1 tag is cut off after " + std::to_string(rest) + " bytes");
  return layout;
}

}  // namespace genre::tags
