#include "tags/audio_format.h"

#include <taglib/id3v2framefactory.h>
#include <taglib/mpegfile.h>
#include <taglib/tfilestream.h>

#include <algorithm>
#include <cstring>

#include "tags/file_reader.h"
#include "tags/id3v2_genre.h"
#include "tags/tag_error.h"

namespace genre::tags {
namespace {

constexpr std::uint64_t kFrameSearch = 1 << 20;
const char* const kSupported = "supported: MP3, Ogg Vorbis, Ogg Opus, FLAC, MP4/M4A";

struct Signature {
  std::size_t offset;
  const char* bytes;
  std::size_t length;
  const char* name;
};

// Formats people keep music in that lib/tags does not write, named in the error.
const Signature kUnsupported[] = {
    {8, "WAVE", 4, "WAV"},           {8, "AIFF", 4, "AIFF"},
    {8, "AIFC", 4, "AIFF-C"},        {0, "\x30\x26\xb2\x75\x8e\x66\xcf\x11", 8, "WMA/ASF"},
    {0, "wvpk", 4, "WavPack"},       {0, "MAC ", 4, "Monkey's Audio (APE)"},
    {0, "MPCK", 4, "Musepack"},      {0, "MP+", 3, "Musepack"},
    {0, "TTA1", 4, "TrueAudio"},     {0, "#!AMR", 5, "AMR"},
    {0, ".snd", 4, "Sun AU"},        {0, "\x1a\x45\xdf\xa3", 4, "Matroska/WebM"},
};

bool starts_with(const std::uint8_t* head, std::size_t head_length, const Signature& s) {
  return s.offset + s.length <= head_length && std::memcmp(head + s.offset, s.bytes, s.length) == 0;
}

bool looks_like_text(const std::uint8_t* head, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t c = head[i];
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return false;
    if (c == 0x7f) return false;
  }
  return true;
}

// TagLib's test for MPEG audio (two consecutive frame headers that agree)
// from `from` on, within the first MiB: a file of something else rarely
// passes it there by chance.
bool mpeg_frames_from(const std::string& path, std::uint64_t from) {
  TagLib::FileStream stream(path.c_str(), true);
  TagLib::MPEG::File mpeg(&stream, TagLib::ID3v2::FrameFactory::instance(), false);
  const long first = mpeg.isValid() ? mpeg.nextFrameOffset(static_cast<long>(from)) : -1;
  return first >= 0 && static_cast<std::uint64_t>(first) < from + kFrameSearch;
}

TagError unsupported(const std::string& path, const std::string& what) {
  return file_error(path, "unsupported format: " + what + " (" + kSupported + ")");
}

AudioFormat ogg_codec(FileReader& file) {
  // The first page holds exactly the codec's identification packet.
  if (file.size() < 27) throw file_error(file.path(), "is truncated: its first Ogg page is cut off");
  const std::uint8_t* page = file.read(0, 27);
  const std::uint64_t header = 27 + std::uint64_t(page[26]);
  if (file.size() < header + 8) throw file_error(file.path(), "is truncated: its first Ogg page is cut off");
  const std::uint8_t* packet = file.read(header, 8);
  if (std::memcmp(packet, "\x01vorbis", 7) == 0) return AudioFormat::kOggVorbis;
  if (std::memcmp(packet, "OpusHead", 8) == 0) return AudioFormat::kOggOpus;
  if (std::memcmp(packet, "\x7f" "FLAC", 5) == 0) throw unsupported(file.path(), "Ogg FLAC");
  if (std::memcmp(packet, "Speex   ", 8) == 0) throw unsupported(file.path(), "Ogg Speex");
  if (std::memcmp(packet, "\x80theora", 7) == 0) throw unsupported(file.path(), "Ogg Theora video");
  throw unsupported(file.path(), "an Ogg stream of an unknown codec");
}

}  // namespace

std::string format_name(AudioFormat format) {
  switch (format) {
    case AudioFormat::kMp3: return "MP3";
    case AudioFormat::kOggVorbis: return "Ogg Vorbis";
    case AudioFormat::kOggOpus: return "Ogg Opus";
    case AudioFormat::kFlac: return "FLAC";
    case AudioFormat::kMp4: return "MP4";
  }
  return "unknown";
}

AudioFormat sniff_format(FileReader& file) {
  const std::string& path = file.path();
  if (file.size() == 0) throw file_error(path, "is empty, not an audio file");

  // ID3v2 tags come in front of MP3s, and sometimes of FLAC files.
  const std::uint64_t after_tags = skip_id3v2_tags(file, 0);
  if (after_tags > 0) {
    if (file.size() - after_tags >= 4 && std::memcmp(file.read(after_tags, 4), "fLaC", 4) == 0)
      return AudioFormat::kFlac;
    if (mpeg_frames_from(path, after_tags)) return AudioFormat::kMp3;
    throw file_error(path, "has an ID3v2 tag but neither MPEG audio frames nor a FLAC stream after it");
  }

  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), 64));
  const std::uint8_t* head = file.read(0, n);
  if (n >= 4 && std::memcmp(head, "fLaC", 4) == 0) return AudioFormat::kFlac;
  if (n >= 4 && std::memcmp(head, "OggS", 4) == 0) return ogg_codec(file);
  if (n >= 8 && std::memcmp(head + 4, "ftyp", 4) == 0) return AudioFormat::kMp4;
  for (const Signature& s : kUnsupported)
    if (starts_with(head, n, s)) throw unsupported(path, s.name);
  if (n >= 2 && head[0] == 0xff && (head[1] & 0xf6) == 0xf0) throw unsupported(path, "raw AAC (ADTS)");

  if (mpeg_frames_from(path, 0)) return AudioFormat::kMp3;
  if (looks_like_text(head, n)) throw file_error(path, "is a text file, not audio");
  throw file_error(path, "is not a recognised audio file");
}

}  // namespace genre::tags
