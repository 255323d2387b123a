// TaggedFile::audio_bytes (audio_bytes.h): MP3 and MP4 through TagLib's own
// offsets, FLAC and Ogg through libFLAC and libogg; and their comparison.
#include <taglib/apefooter.h>
#include <taglib/apetag.h>
#include <taglib/mp4atom.h>
#include <taglib/mp4file.h>
#include <taglib/mpegfile.h>
#include <taglib/mpegheader.h>

#include <algorithm>
#include <cstring>

#include "tags/audio_bytes.h"
#include "tags/file_reader.h"
#include "tags/tag_error.h"
#include "tags/tagged_file.h"

namespace genre::tags {
namespace {

constexpr std::uint64_t kId3v1Size = 128;

// Walks the frames from TagLib's first one with TagLib's frame headers, as
// players do: junk between frames is skipped; a last frame that runs past
// the trailing tags means the file was cut.
AudioBytes mp3_audio_bytes(TagLib::MPEG::File& mpeg, FileReader& file, bool check_whole) {
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

  AudioBytes audio;
  audio.ranges = {{static_cast<std::uint64_t>(first), audio_end}};
  if (id3v1 > 0) audio.ranges.emplace_back(file.size() - kId3v1Size, file.size() - 1);  // all but the genre byte
  return audio;
}

AudioBytes mp4_audio_bytes(TagLib::MP4::File& mp4, FileReader& file) {
  const TagLib::MP4::Atoms atoms(&mp4);
  AudioBytes audio;
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
    if (name != "moov" && name != "free" && name != "skip" && name != "wide") audio.ranges.emplace_back(offset, end);
  }
  if (end != file.size())
    throw file_error(file.path(), "is truncated: " + std::to_string(file.size() - end) +
                                      " stray bytes after the last MP4 atom");
  if (!mdat) throw file_error(file.path(), "has no MP4 'mdat' atom (no audio data)");
  return audio;
}

}  // namespace

AudioBytes TaggedFile::audio_bytes(FileReader& file, bool check_whole) {
  switch (format_) {
    case AudioFormat::kMp3: return mp3_audio_bytes(*static_cast<TagLib::MPEG::File*>(file_.get()), file, check_whole);
    case AudioFormat::kMp4: return mp4_audio_bytes(*static_cast<TagLib::MP4::File*>(file_.get()), file);
    case AudioFormat::kFlac: return flac_audio_bytes(file, check_whole);
    case AudioFormat::kOggVorbis: return ogg_audio_bytes(file, 3);
    case AudioFormat::kOggOpus: return ogg_audio_bytes(file, 2);
  }
  throw file_error(file.path(), "internal error: unknown format");
}

bool same_audio(FileReader& a, const AudioBytes& x, FileReader& b, const AudioBytes& y) {
  if (x.digest != y.digest) return false;
  const auto total = [](const AudioBytes& s) {
    std::uint64_t n = 0;
    for (const auto& [begin, end] : s.ranges) n += end - begin;
    return n;
  };
  if (total(x) != total(y)) return false;
  constexpr std::uint64_t kChunk = 1 << 20;  // FileReader's window
  std::size_t i = 0, j = 0;
  std::uint64_t at_a = 0, at_b = 0;  // offsets into the current ranges
  while (i < x.ranges.size() && j < y.ranges.size()) {
    const auto [begin_a, end_a] = x.ranges[i];
    const auto [begin_b, end_b] = y.ranges[j];
    const std::uint64_t n = std::min({end_a - begin_a - at_a, end_b - begin_b - at_b, kChunk});
    const auto size = static_cast<std::size_t>(n);
    if (size > 0 && std::memcmp(a.read(begin_a + at_a, size), b.read(begin_b + at_b, size), size) != 0) return false;
    if ((at_a += n) == end_a - begin_a) ++i, at_a = 0;
    if ((at_b += n) == end_b - begin_b) ++j, at_b = 0;
  }
  return true;
}

}  // namespace genre::tags
