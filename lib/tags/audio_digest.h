// The audio a genre edit must leave as it was, as one SHA-256 per file,
// found with the container libraries: computed for the original and for the
// edited copy, the two must match before the copy may replace the original.
//   MP3:  the MPEG frames (TagLib's frame offsets and headers) and whatever
//         lies between them and the trailing tags, plus ID3v1 but its genre byte
//   FLAC: the audio frames and every metadata block but the Vorbis comment,
//         pictures (compared as tags) and padding (libFLAC's metadata iterator)
//   Ogg:  every packet but the comment header, and the granule positions of
//         the audio packets (libogg: pages, their CRCs, packets)
//   MP4:  every top-level atom but 'moov' (where the tags live) and free
//         space (TagLib's atom list)
// With `check_whole`, reading the audio checks it is whole: a truncated or damaged file throws
// TagError saying so (MP3: the last frame runs past the end; FLAC: libFLAC
// cannot seek to the last sample STREAMINFO promises; Ogg: a page is cut off,
// fails its CRC or a stream has no final page; MP4: an atom runs past the end).
// A copy whose digest equals a whole original's is as whole: write_genre
// checks the original only (the MP3 frame walk and libFLAC's seek).
#pragma once

#include <string>

namespace genre::tags {

class FileReader;

// The MP3 and MP4 digests need TagLib's view of the file: TaggedFile::audio_digest.
std::string flac_audio_digest(FileReader& file, bool check_whole);
// `header_packets`: the codec's header count (Vorbis 3, Opus 2); the second is
// the comment header, the one a tag edit rewrites.
std::string ogg_audio_digest(FileReader& file, int header_packets);

}  // namespace genre::tags
