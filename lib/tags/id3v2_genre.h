// The ID3v2 tag of an MP3 with a new genre, built frame by frame: every
// other frame keeps its exact bytes, in the file's own ID3v2 version (2.2,
// 2.3 or 2.4). Why not TagLib's MPEG::File::save: TagLib 1.13 saves v2.3 or
// v2.4 only (a v2.2 file would become another version), and it re-renders
// every frame through its v2.4 model, so frames' bytes (sizes, flags, text
// encodings) and order may change and a v2.3 date (TYER + TDAT) comes back
// as different frames: the promise that no other tag byte changes could
// not be kept.
#pragma once

#include <cstdint>
#include <string>

namespace genre::tags {

class FileReader;

struct Id3v2Rewrite {
  std::string tag;            // the new tag, header to padding (and footer)
  std::uint64_t replaces = 0; // bytes of the old tag it replaces at the start of the file (0: none)
  int version = 4;            // ID3v2 major version written: the file's own, 4 for a new tag
};

// Every TCON (v2.2: TCO) frame goes; one with `genre` is added after the
// other frames. The tag keeps its size when the new frame fits in its
// padding, so no audio byte moves; otherwise it gets 1 KiB of new padding.
// A v2.2/v2.3 tag stored unsynchronised is written plain, and an extended
// header (padding size, CRC, restrictions) is dropped, since both describe
// the old frames. Throws TagError for a damaged tag or v2.2 compression.
Id3v2Rewrite rewrite_id3v2_genre(FileReader& file, const std::string& genre);

// Size of the ID3v2 tag whose 10-byte header is at `p` (header, body and
// footer), or 0 when `p` is no ID3v2 header.
std::uint64_t id3v2_tag_size(const std::uint8_t* p);

// Offset just past the ID3v2 tags that start at `offset` (several may follow
// one another). Throws TagError when a tag runs past the end of the file.
std::uint64_t skip_id3v2_tags(FileReader& file, std::uint64_t offset);

}  // namespace genre::tags
