#include "tags/id3v2_genre.h"

#include <taglib/tstring.h>

#include <cstring>

#include "tags/file_reader.h"
#include "tags/tag_error.h"

namespace genre::tags {
namespace {

constexpr std::size_t kNewPadding = 1024;

std::uint32_t syncsafe(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 21) | (std::uint32_t(p[1]) << 14) | (std::uint32_t(p[2]) << 7) | p[3];
}

std::uint32_t plain_size(const std::uint8_t* p, int bytes) {
  std::uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

void put_syncsafe(std::string& out, std::uint32_t v) {
  for (int shift = 21; shift >= 0; shift -= 7) out += static_cast<char>((v >> shift) & 0x7f);
}

void put_plain(std::string& out, std::uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string remove_unsynchronisation(const std::string& body) {
  std::string out;
  out.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    out += body[i];
    if (static_cast<unsigned char>(body[i]) == 0xff && i + 1 < body.size() && body[i + 1] == 0) ++i;
  }
  return out;
}

bool frame_id_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Where frame data could continue: another frame ID, padding, or the end.
bool plausible_next(const std::string& body, std::size_t pos, std::size_t id_length) {
  if (pos == body.size()) return true;
  if (pos > body.size()) return false;
  if (body[pos] == 0) return true;
  if (pos + id_length > body.size()) return false;
  for (std::size_t i = 0; i < id_length; ++i)
    if (!frame_id_char(body[pos + i])) return false;
  return true;
}

// A text frame's body: encoding byte and text. ID3v2.4 has UTF-8; older
// versions Latin-1 where it can, else UTF-16 with a byte order mark.
std::string text_frame_body(const std::string& genre, int version) {
  const TagLib::String text(genre, TagLib::String::UTF8);
  if (text.isLatin1()) {
    const TagLib::ByteVector latin1 = text.data(TagLib::String::Latin1);
    bool ascii = true;
    for (char c : latin1) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (version < 4 || ascii) return std::string(1, '\0') + std::string(latin1.data(), latin1.size());
  }
  if (version == 4) return std::string(1, '\3') + genre;
  const TagLib::ByteVector utf16 = text.data(TagLib::String::UTF16);  // with its BOM
  return std::string(1, '\1') + std::string(utf16.data(), utf16.size());
}

std::string genre_frame(const std::string& genre, int version) {
  const std::string body = text_frame_body(genre, version);
  std::string frame;
  if (version == 2) {
    frame = "TCO";
    put_plain(frame, static_cast<std::uint32_t>(body.size()), 3);
  } else {
    frame = "TCON";
    if (version == 4) put_syncsafe(frame, static_cast<std::uint32_t>(body.size()));
    else put_plain(frame, static_cast<std::uint32_t>(body.size()), 4);
    frame += std::string(2, '\0');
  }
  return frame + body;
}

std::string tag_header(const char* magic, int version, std::uint8_t revision, std::uint8_t flags, std::size_t size) {
  std::string h(magic, 3);
  h += static_cast<char>(version);
  h += static_cast<char>(revision);
  h += static_cast<char>(flags);
  put_syncsafe(h, static_cast<std::uint32_t>(size));
  return h;
}

}  // namespace

std::uint64_t id3v2_tag_size(const std::uint8_t* p) {
  if (std::memcmp(p, "ID3", 3) != 0 || p[3] < 2 || p[3] > 4 || p[4] == 0xff) return 0;
  for (int i = 6; i < 10; ++i)
    if (p[i] & 0x80) return 0;
  const bool footer = p[3] == 4 && (p[5] & 0x10);
  return 10 + syncsafe(p + 6) + (footer ? 10 : 0);
}

std::uint64_t skip_id3v2_tags(FileReader& file, std::uint64_t offset) {
  while (file.size() - offset >= 10) {
    const std::uint64_t n = id3v2_tag_size(file.read(offset, 10));
    if (n == 0) break;
    if (n > file.size() - offset)
      throw file_error(file.path(), "is truncated: its ID3v2 tag at byte " + std::to_string(offset) + " is " +
                                        std::to_string(n) + " bytes but only " +
                                        std::to_string(file.size() - offset) + " remain");
    offset += n;
  }
  return offset;
}

Id3v2Rewrite rewrite_id3v2_genre(FileReader& file, const std::string& genre) {
  Id3v2Rewrite out;
  const std::uint64_t old_size = file.size() >= 10 ? id3v2_tag_size(file.read(0, 10)) : 0;
  if (old_size == 0) {  // no tag yet: a new ID3v2.4 one
    const std::string frames = genre_frame(genre, 4);
    out.tag = tag_header("ID3", 4, 0, 0, frames.size() + kNewPadding) + frames + std::string(kNewPadding, '\0');
    return out;
  }
  if (old_size > file.size())
    throw file_error(file.path(), "is truncated: its ID3v2 tag runs past the end of the file");

  const std::uint8_t* h = file.read(0, 10);
  const int version = h[3];
  const std::uint8_t revision = h[4];
  std::uint8_t flags = h[5];
  const std::size_t declared = syncsafe(h + 6);
  std::string body(reinterpret_cast<const char*>(file.read(10, declared)), declared);
  if (version == 2 && (flags & 0x40)) throw file_error(file.path(), "uses ID3v2.2 compression, which cannot be edited");
  if (version < 4 && (flags & 0x80)) {
    body = remove_unsynchronisation(body);
    flags &= static_cast<std::uint8_t>(~0x80);
  }
  std::size_t pos = 0;
  if (version > 2 && (flags & 0x40)) {
    if (body.size() < 4) throw file_error(file.path(), "is damaged: its ID3v2 extended header is cut off");
    const auto* p = reinterpret_cast<const std::uint8_t*>(body.data());
    pos = version == 3 ? 4 + std::size_t(plain_size(p, 4)) : std::size_t(syncsafe(p));
    if (pos > body.size()) throw file_error(file.path(), "is damaged: its ID3v2 extended header is too long");
    flags &= static_cast<std::uint8_t>(~0x40);
  }

  const std::size_t id_length = version == 2 ? 3 : 4, header_length = version == 2 ? 6 : 10;
  const char* genre_id = version == 2 ? "TCO" : "TCON";
  std::string frames;
  while (pos + header_length <= body.size() && body[pos] != 0) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(body.data() + pos);
    for (std::size_t i = 0; i < id_length; ++i)
      if (!frame_id_char(body[pos + i]))
        throw file_error(file.path(), "is damaged: bad ID3v2 frame ID at tag byte " + std::to_string(10 + pos));
    std::size_t size = version == 2 ? plain_size(p + 3, 3) : version == 3 ? plain_size(p + 4, 4) : syncsafe(p + 4);
    // iTunes wrote v2.4 sizes as plain integers; take the reading that lands on a frame.
    if (version == 4 && !plausible_next(body, pos + header_length + size, id_length) &&
        plausible_next(body, pos + header_length + plain_size(p + 4, 4), id_length))
      size = plain_size(p + 4, 4);
    if (pos + header_length + size > body.size())
      throw file_error(file.path(), "is damaged: an ID3v2 frame runs past the end of its tag");
    if (std::memcmp(body.data() + pos, genre_id, id_length) != 0) frames.append(body, pos, header_length + size);
    pos += header_length + size;
  }
  frames += genre_frame(genre, version);

  const bool footer = version == 4 && (flags & 0x10);
  std::size_t size = frames.size();
  if (!footer) size = frames.size() <= declared ? declared : frames.size() + kNewPadding;  // v2.4 footers forbid padding
  out.tag = tag_header("ID3", version, revision, flags, size) + frames + std::string(size - frames.size(), '\0');
  if (footer) out.tag += tag_header("3DI", version, revision, flags, size);
  out.replaces = old_size;
  out.version = version;
  return out;
}

}  // namespace genre::tags
