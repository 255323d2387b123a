// TaggedFile::audio_digest (audio_digest.h): MP3 and MP4 through TagLib's own
// offsets, FLAC and Ogg through libFLAC and libogg.
#include <taglib/apefooter.h>
#include <taglib/apetag.h>
#include <taglib/mp4atom.h>
#include <taglib/mp4file.h>
#include <taglib/mpegfile.h>
#include <taglib/mpegheader.h>

#include <cstring>

#include "digest/digest.h"
#include "tags/audio_digest.h"
#include "tags/file_reader.h"
#include "tags/tag_error.h"
#include "tags/tagged_file.h"

namespace genre::tags {
namespace {

constexpr std::uint64_t kId3v1Size = 128;

// Walks the frames from TagLib's first one with TagLib's frame headers, as
// players do: junk between frames is skipped; a last frame that runs past
// the trailing tags means the file was cut.
std::string mp3_audio_digest(TagLib::MPEG::File& mpeg, FileReader& file, bool check_whole) {
  const std::uint64_t id3v1 = mpeg.hasID3v1Tag() ? kId3v1Size : 0;
  const std::uint64_t ape = mpeg.hasAPETag() ? mpeg.APETag()->footer()->completeTagSize() : 0;
  const std::uint64_t audio_end = file.size() - id3v1 - ape;
  const long first = mpeg.firstFrameOffset();
  if (first < 0 || static_cast<std::uint64_t>(first) >= audio_end)
    throw file_error(file.path(), mpeg.hasID3v2Tag() ? "has an ID3v2 tag but no MPEG audio frames after it"
                                                     : "has no MPEG audio frames");
  auto pos = static_cast<std::uint64_t>(first);
  while (check_whole && audio_end - pos >= 4) {
    const TagLib::MPEG::Header header(&mpeg, static_cast<long>(pos), false);
    const auto length = static_cast<std::uint64_t>(header.isValid() ? header.frameLength() : 0);
    if (length > 0) {
      if (length > audio_end - pos)
        throw file_error(file.path(), "is truncated: its last MPEG frame (at byte " + std::to_string(pos) + ") needs " +
                                          std::to_string(length) + " bytes but only " +
                                          std::to_string(audio_end - pos) + " remain");
      pos += length;
      continue;
    }
    const long next = mpeg.nextFrameOffset(static_cast<long>(pos) + 1);
    if (next < 0 || static_cast<std::uint64_t>(next) >= audio_end) break;
    pos = static_cast<std::uint64_t>(next);
  }
  // Less than an ID3v1 tag after the last frame, starting like one: the file
  // was cut inside its ID3v1 tag (so TagLib sees none).
  const std::uint64_t rest = audio_end - pos;
  if (check_whole && id3v1 == 0 && rest >= 3 && rest < kId3v1Size && std::memcmp(file.read(pos, 3), "TAG", 3) == 0)
    throw file_error(file.path(), "is truncated: its ID3v1 tag is cut off after " + std::to_string(rest) + " bytes");

  digest::Digest d(digest::Algorithm::Sha256);
  file.hash(static_cast<std::uint64_t>(first), audio_end, d);
  if (id3v1 > 0) file.hash(file.size() - kId3v1Size, file.size() - 1, d);  // all but the genre byte
  return d.finish_hex();
}

std::string mp4_audio_digest(TagLib::MP4::File& mp4, FileReader& file) {
  const TagLib::MP4::Atoms atoms(&mp4);
  digest::Digest d(digest::Algorithm::Sha256);
  std::uint64_t end = 0;
  bool mdat = false;
  for (const TagLib::MP4::Atom* atom : atoms.atoms) {
    const std::string name(atom->name.data(), atom->name.size());
    const auto offset = static_cast<std::uint64_t>(atom->offset), length = static_cast<std::uint64_t>(atom->length);
    // TagLib gives an atom it cannot size the length 0 and stops there.
    if (offset != end || length == 0)
      throw file_error(file.path(), "is damaged: no MP4 atom of a possible size at byte " + std::to_string(end));
    if (length > file.size() - offset)
      throw file_error(file.path(), "is truncated: its MP4 atom '" + name + "' needs " + std::to_string(length) +
                                        " bytes but only " + std::to_string(file.size() - offset) + " remain");
    end = offset + length;
    mdat = mdat || name == "mdat";
    if (name != "moov" && name != "free" && name != "skip" && name != "wide") {
      d.update(name.data(), name.size());
      file.hash(offset, end, d);
    }
  }
  if (end != file.size())
    throw file_error(file.path(), "is truncated: " + std::to_string(file.size() - end) +
                                      " stray bytes after the last MP4 atom");
  if (!mdat) throw file_error(file.path(), "has no MP4 'mdat' atom (no audio data)");
  return d.finish_hex();
}

}  // namespace

std::string TaggedFile::audio_digest(FileReader& file, bool check_whole) {
  switch (format_) {
    case AudioFormat::kMp3: return mp3_audio_digest(*static_cast<TagLib::MPEG::File*>(file_.get()), file, check_whole);
    case AudioFormat::kMp4: return mp4_audio_digest(*static_cast<TagLib::MP4::File*>(file_.get()), file);
    case AudioFormat::kFlac: return flac_audio_digest(file, check_whole);
    case AudioFormat::kOggVorbis: return ogg_audio_digest(file, 3);
    case AudioFormat::kOggOpus: return ogg_audio_digest(file, 2);
  }
  throw file_error(file.path(), "internal error: unknown format");
}

}  // namespace genre::tags
