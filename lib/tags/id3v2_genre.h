// The ID3v2 tag of an MP3 with a new genre, built frame by frame: every
// other frame keeps its exact bytes, in any ID3v2 version (2.2, 2.3, 2.4).
// TagLib 1.13 re-renders every frame through its v2.4 model instead, which
// turns a v2.3 file's dates and duplicate frames into different frames.
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

}  // namespace genre::tags
