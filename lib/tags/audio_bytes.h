// The audio a genre edit must leave as it was, found with the container
// libraries: byte ranges of the file and a digest of what is compared parsed.
// Taken for the original and for the edited copy, the two must match before
// the copy may replace the original.
//   MP3:  the MPEG frames (TagLib's frame offsets and headers) and whatever
//         lies between them and the trailing tags, plus ID3v1 but its genre byte
//   FLAC: the audio frames, and every metadata block but the Vorbis comment,
//         pictures (compared as tags) and padding (libFLAC's metadata
//         iterator; digested)
//   Ogg:  every packet but the comment header, and the granule positions of
//         the audio packets (libogg: pages, their CRCs, packets; digested)
//   MP4:  every top-level atom but 'moov' (where the tags live) and free
//         space (TagLib's atom list)
// With `check_whole`, finding the audio checks it is whole: a truncated or
// damaged file throws TagError saying so (MP3: the last frame runs past the
// end; FLAC: libFLAC cannot seek to the last sample STREAMINFO promises;
// Ogg: a page is cut off, fails its CRC or a stream has no final page; MP4:
// an atom runs past the end). A copy whose audio equals a whole original's
// is as whole: write_genre checks the original only.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace genre::tags {

class FileReader;

struct AudioBytes {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // [begin, end), in order
  std::string digest;                                            // SHA-256 hex, "" for none
};

// True when `x` (of the file `a` reads) and `y` (of `b`) have the same digest
// and their ranges, read in order, hold the same bytes: compared directly,
// which costs a fraction of hashing them.
bool same_audio(FileReader& a, const AudioBytes& x, FileReader& b, const AudioBytes& y);

// MP3 and MP4 need TagLib's view of the file: TaggedFile::audio_bytes.
AudioBytes flac_audio_bytes(FileReader& file, bool check_whole);
// `header_packets`: the codec's header count (Vorbis 3, Opus 2); the second is
// the comment header, the one a tag edit rewrites.
AudioBytes ogg_audio_bytes(FileReader& file, int header_packets);

}  // namespace genre::tags
