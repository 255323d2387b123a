// MPEG audio (MP1/MP2/MP3) framing and the tags around it: ID3v2 in front,
// APE, Lyrics3 and ID3v1 behind.
#pragma once

#include <cstdint>
#include <optional>

namespace genre::tags {

class FileReader;

struct MpegFrameHeader {
  int version = 0;  // 1 (MPEG-1), 2 (MPEG-2) or 25 (MPEG-2.5)
  int layer = 0;    // 1, 2 or 3
  int sample_rate = 0;
  // Whole frame in bytes; 0 for free-format streams, whose length the header
  // does not give.
  std::uint32_t frame_length = 0;
};

// The 4 bytes at `p` as an MPEG audio frame header; nullopt when they are not one.
std::optional<MpegFrameHeader> parse_mpeg_header(const std::uint8_t* p);

// Size of the ID3v2 tag whose 10-byte header is at `p` (header, body and
// footer), or 0 when `p` is no ID3v2 header.
std::uint64_t id3v2_tag_size(const std::uint8_t* p);

// Offset just past the ID3v2 tags that start at `offset` (several may follow
// one another). Throws TagError when a tag runs past the end of the file.
std::uint64_t skip_id3v2_tags(FileReader& file, std::uint64_t offset);

// The first offset in [from, from + search) where a run of MPEG frames starts
// (three frames that follow one another with one layout, or fewer that end
// exactly at `end`); nullopt when there is none.
std::optional<std::uint64_t> find_mpeg_frames(FileReader& file, std::uint64_t from, std::uint64_t search,
                                              std::uint64_t end);

struct Mp3Layout {
  std::uint64_t first_tag_end = 0;  // end of the leading ID3v2 tag TagLib rewrites (0 if none)
  std::uint64_t first_frame = 0;
  std::uint64_t audio_end = 0;      // where the trailing tags (APE, Lyrics3, ID3v1) begin
  std::optional<std::uint64_t> id3v1_offset;
  std::uint64_t frames = 0;
};

// Walks every frame. Throws TagError when there are no frames or the last
// frame is cut off (a truncated file). Junk between or after frames is
// skipped, as players do.
Mp3Layout scan_mp3(FileReader& file);

}  // namespace genre::tags
