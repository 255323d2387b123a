// Ogg: a sequence of CRC-checked pages carrying packets of one or more
// logical streams. TagLib rewrites the pages holding the comment header
// (renumbering the pages after them); the packets and the audio pages'
// granule positions stay.
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "digest/digest.h"
#include "tags/checksums.h"
#include "tags/file_reader.h"
#include "tags/preserved_bytes.h"
#include "tags/tag_error.h"

namespace genre::tags {
namespace {

struct LogicalStream {
  std::unique_ptr<digest::Digest> digest = std::make_unique<digest::Digest>(digest::Algorithm::Sha256);
  std::uint32_t next_sequence = 0;
  std::uint64_t packets = 0;        // completed so far
  std::uint64_t packet_bytes = 0;   // of the packet in progress
  int header_packets = 0;           // leading packets whose pages TagLib may rewrite
  bool ended = false;
};

std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[3]) << 24);
}

}  // namespace

std::string ogg_preserved_digest(FileReader& file, int header_packets) {
  const std::string& path = file.path();
  const std::uint64_t size = file.size();
  std::map<std::uint32_t, LogicalStream> streams;
  std::vector<std::uint32_t> order;

  for (std::uint64_t pos = 0; pos < size;) {
    const std::string where = " at byte " + std::to_string(pos);
    if (size - pos < 27) throw file_error(path, "is truncated: Ogg page" + where + " is cut off");
    const std::uint8_t* h = file.read(pos, 27);
    if (std::memcmp(h, "OggS", 4) != 0 || h[4] != 0) throw file_error(path, "is damaged: no Ogg page" + where);
    const std::uint8_t flags = h[5];
    std::uint8_t granule[8];
    std::memcpy(granule, h + 6, 8);
    const std::uint32_t serial = le32(h + 14), sequence = le32(h + 18), stored_crc = le32(h + 22);
    const std::size_t segments = h[26];
    if (size - pos < 27 + segments) throw file_error(path, "is truncated: Ogg page" + where + " is cut off");
    const std::uint8_t* lacing_bytes = file.read(pos + 27, segments);
    const std::vector<std::uint8_t> lacing(lacing_bytes, lacing_bytes + segments);
    std::uint64_t body = 0;
    for (std::uint8_t l : lacing) body += l;
    const std::uint64_t page = 27 + segments + body;
    if (size - pos < page) throw file_error(path, "is truncated: Ogg page" + where + " is cut off");

    const std::uint8_t* page_bytes = file.read(pos, static_cast<std::size_t>(page));
    std::vector<std::uint8_t> bytes(page_bytes, page_bytes + page);
    std::memset(bytes.data() + 22, 0, 4);
    if (ogg_crc32(0, bytes.data(), bytes.size()) != stored_crc)
      throw file_error(path, "is damaged: Ogg page" + where + " fails its CRC check");

    auto found = streams.find(serial);
    if (flags & 0x02) {  // beginning of stream
      if (found != streams.end()) throw file_error(path, "is damaged: Ogg stream restarts" + where);
      found = streams.emplace(serial, LogicalStream{}).first;
      found->second.header_packets = order.empty() ? header_packets : 0;
      order.push_back(serial);
    } else if (found == streams.end()) {
      throw file_error(path, "is damaged: Ogg page" + where + " belongs to no stream that began");
    }
    LogicalStream& s = found->second;
    if (s.ended) throw file_error(path, "is damaged: Ogg page" + where + " after its stream's last page");
    if (sequence != s.next_sequence) throw file_error(path, "is damaged: an Ogg page is missing before byte " + std::to_string(pos));
    s.next_sequence = sequence + 1;

    const std::uint8_t* data = bytes.data() + 27 + segments;
    bool completed = false;
    for (std::uint8_t l : lacing) {
      // The comment header (the stream's second packet) is what gets rewritten.
      const bool comment = s.header_packets > 0 && s.packets == 1;
      if (!comment) s.digest->update(data, l);
      data += l;
      s.packet_bytes += l;
      if (l < 255) {
        if (!comment) s.digest->update(&s.packet_bytes, sizeof s.packet_bytes);
        s.packet_bytes = 0;
        ++s.packets;
        completed = true;
      }
    }
    if (completed && s.packets > static_cast<std::uint64_t>(s.header_packets)) {
      s.digest->update(&s.packets, sizeof s.packets);
      s.digest->update(granule, sizeof granule);
    }
    if (flags & 0x04) s.ended = true;
    pos += page;
  }

  if (order.empty()) throw file_error(path, "is empty: no Ogg pages");
  digest::Digest all(digest::Algorithm::Sha256);
  for (std::uint32_t serial : order) {
    LogicalStream& s = streams.at(serial);
    if (!s.ended) throw file_error(path, "is truncated: its Ogg stream ends without its final page");
    if (s.packets < static_cast<std::uint64_t>(s.header_packets))
      throw file_error(path, "is truncated: its Ogg stream has no complete headers");
    const std::string hex = s.digest->finish_hex();
    all.update(hex.data(), hex.size());
  }
  return all.finish_hex();
}

}  // namespace genre::tags
