#include "tags/preserved_bytes.h"

#include <cstring>

#include "digest/digest.h"
#include "tags/file_reader.h"
#include "tags/mpeg_audio.h"
#include "tags/tag_error.h"

namespace genre::tags {
namespace {

std::uint64_t be32(const std::uint8_t* p) {
  return (std::uint64_t(p[0]) << 24) | (std::uint64_t(p[1]) << 16) | (std::uint64_t(p[2]) << 8) | p[3];
}

bool printable_atom_type(const std::uint8_t* t) {
  for (int i = 0; i < 4; ++i)
    if ((t[i] < 0x20 || t[i] > 0x7e) && t[i] != 0xa9) return false;  // 0xa9: '©'
  return true;
}

}  // namespace

std::string preserved_digest(AudioFormat format, FileReader& file) {
  switch (format) {
    case AudioFormat::kMp3: return mp3_preserved_digest(file);
    case AudioFormat::kFlac: return flac_preserved_digest(file);
    case AudioFormat::kOggVorbis: return ogg_preserved_digest(file, 3);
    case AudioFormat::kOggOpus: return ogg_preserved_digest(file, 2);
    case AudioFormat::kMp4: return mp4_preserved_digest(file);
  }
  throw file_error(file.path(), "internal error: unknown format");
}

std::string mp3_preserved_digest(FileReader& file) {
  const Mp3Layout layout = scan_mp3(file);
  digest::Digest d(digest::Algorithm::Sha256);
  if (layout.id3v1_offset) {
    const std::uint64_t genre_byte = *layout.id3v1_offset + 127;
    file.hash(layout.first_tag_end, genre_byte, d);
    file.hash(genre_byte + 1, file.size(), d);
  } else {
    file.hash(layout.first_tag_end, file.size(), d);
  }
  return d.finish_hex();
}

std::string mp4_preserved_digest(FileReader& file) {
  digest::Digest d(digest::Algorithm::Sha256);
  const std::uint64_t size = file.size();
  bool moov = false, mdat = false;
  for (std::uint64_t pos = 0; pos < size;) {
    if (size - pos < 8)
      throw file_error(file.path(), "is truncated: " + std::to_string(size - pos) + " stray bytes after the last MP4 atom");
    const std::uint8_t* h = file.read(pos, 8);
    char type[5] = {char(h[4]), char(h[5]), char(h[6]), char(h[7]), 0};
    if (!printable_atom_type(h + 4))
      throw file_error(file.path(), "is damaged: no MP4 atom at byte " + std::to_string(pos));
    std::uint64_t atom = be32(h), header = 8;
    if (atom == 1) {
      if (size - pos < 16) throw file_error(file.path(), "is truncated inside an MP4 atom header");
      const std::uint8_t* large = file.read(pos + 8, 8);
      atom = (be32(large) << 32) | be32(large + 4);
      header = 16;
    } else if (atom == 0) {
      atom = size - pos;  // "to the end of the file"
    }
    if (atom < header)
      throw file_error(file.path(), "is damaged: MP4 atom '" + std::string(type) + "' at byte " +
                                        std::to_string(pos) + " has an impossible size");
    if (atom > size - pos)
      throw file_error(file.path(), "is truncated: its MP4 atom '" + std::string(type) + "' needs " +
                                        std::to_string(atom) + " bytes but only " + std::to_string(size - pos) +
                                        " remain");
    const std::string name(type, 4);
    moov = moov || name == "moov";
    mdat = mdat || name == "mdat";
    if (name != "moov" && name != "free" && name != "skip" && name != "wide") {
      d.update(name.data(), 4);
      file.hash(pos + header, pos + atom, d);
    }
    pos += atom;
  }
  if (!moov) throw file_error(file.path(), "is damaged or unfinished: it has no MP4 'moov' atom");
  if (!mdat) throw file_error(file.path(), "has no MP4 'mdat' atom (no audio data)");
  return d.finish_hex();
}

}  // namespace genre::tags
