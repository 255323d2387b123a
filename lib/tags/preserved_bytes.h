// The bytes that writing a genre must leave as they were, per format, as one
// SHA-256. Computed for the original and for the edited copy: they must match
// before the copy may replace the original.
//   MP3:  everything after the leading ID3v2 tag except ID3v1's genre byte
//   FLAC: the audio frames and every metadata block but the Vorbis comment,
//         pictures (compared as tags) and padding
//   Ogg:  every packet but the comment header, and the granule positions
//         of the pages that end audio packets
//   MP4:  every top-level atom but 'moov' (where the tags live) and free space
// Walking the file checks its structure too: a truncated or damaged file
// throws TagError saying where.
#pragma once

#include <string>

#include "tags/audio_format.h"

namespace genre::tags {

class FileReader;

std::string preserved_digest(AudioFormat format, FileReader& file);

std::string mp3_preserved_digest(FileReader& file);
std::string flac_preserved_digest(FileReader& file);
// `header_packets`: the codec's header count (Vorbis 3, Opus 2); the second is
// the comment header.
std::string ogg_preserved_digest(FileReader& file, int header_packets);
std::string mp4_preserved_digest(FileReader& file);

}  // namespace genre::tags
