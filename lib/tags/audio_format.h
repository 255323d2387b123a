// The audio formats whose genre tag lib/tags writes, identified from the
// file's content: extensions lie, and TagLib's FileRef trusts them.
#pragma once

#include <string>

namespace genre::tags {

class FileReader;

enum class AudioFormat { kMp3, kOggVorbis, kOggOpus, kFlac, kMp4 };

// "MP3", "Ogg Vorbis", "Ogg Opus", "FLAC", "MP4".
std::string format_name(AudioFormat format);

// Identifies the container and codec from the leading bytes. Throws TagError
// for an empty file, a text file, a known but unsupported format (named, e.g.
// "WAV") and anything unrecognised.
AudioFormat sniff_format(FileReader& file);

}  // namespace genre::tags
