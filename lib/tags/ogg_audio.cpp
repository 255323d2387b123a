// Ogg through libogg: pages found and CRC-checked by ogg_sync_pageout,
// packets reassembled (and page gaps caught) by ogg_stream_packetout. TagLib
// rewrites the pages of the comment header and renumbers the pages after
// them; the packets and the audio packets' granule positions stay.
#include <ogg/ogg.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "digest/digest.h"
#include "tags/audio_bytes.h"
#include "tags/file_reader.h"
#include "tags/tag_error.h"

namespace genre::tags {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

struct LogicalStream {
  LogicalStream() { ogg_stream_init(&state, 0); }
  ~LogicalStream() { ogg_stream_clear(&state); }
  LogicalStream(const LogicalStream&) = delete;
  LogicalStream& operator=(const LogicalStream&) = delete;

  ogg_stream_state state;
  digest::Digest digest{digest::Algorithm::Sha256};
  bool ended = false;
};

struct SyncState {
  SyncState() { ogg_sync_init(&state); }
  ~SyncState() { ogg_sync_clear(&state); }
  SyncState(const SyncState&) = delete;
  SyncState& operator=(const SyncState&) = delete;
  ogg_sync_state state;
};

}  // namespace

AudioBytes ogg_audio_bytes(FileReader& file, int header_packets) {
  const std::string& path = file.path();
  SyncState sync;
  std::map<int, std::unique_ptr<LogicalStream>> streams;
  std::vector<int> order;
  for (std::uint64_t pos = 0; pos < file.size();) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, file.size() - pos));
    std::copy_n(file.read(pos, n), n, reinterpret_cast<std::uint8_t*>(ogg_sync_buffer(&sync.state, long(n))));
    ogg_sync_wrote(&sync.state, long(n));
    pos += n;
    ogg_page page;
    for (int got; (got = ogg_sync_pageout(&sync.state, &page)) != 0;) {
      const std::string near = " (before byte " + std::to_string(pos) + ")";
      if (got < 0) throw file_error(path, "is damaged: bytes that are no Ogg page, or a page failing its CRC" + near);
      const int serial = ogg_page_serialno(&page);
      auto& stream = streams[serial];
      if (!stream) {
        if (!ogg_page_bos(&page)) throw file_error(path, "is damaged: an Ogg stream starts without its first page" + near);
        stream = std::make_unique<LogicalStream>();
        ogg_stream_reset_serialno(&stream->state, serial);
        order.push_back(serial);
      }
      if (ogg_stream_pagein(&stream->state, &page) != 0)
        throw file_error(path, "is damaged: an Ogg page does not fit its stream" + near);
      ogg_packet packet;
      for (int out; (out = ogg_stream_packetout(&stream->state, &packet)) != 0;) {
        if (out < 0) throw file_error(path, "is damaged: an Ogg page is missing" + near);
        if (packet.packetno == 1) continue;  // the comment header
        const std::uint64_t bytes = static_cast<std::uint64_t>(packet.bytes);
        stream->digest.update(&bytes, sizeof bytes);
        stream->digest.update(packet.packet, bytes);
        // Header packets' granules follow their pages, which TagLib may lay out anew.
        if (packet.packetno >= header_packets) stream->digest.update(&packet.granulepos, sizeof packet.granulepos);
      }
      stream->ended = stream->ended || ogg_page_eos(&page);
    }
  }
  if (sync.state.fill > sync.state.returned) throw file_error(path, "is truncated: its last Ogg page is cut off");
  if (order.empty()) throw file_error(path, "is empty: no Ogg pages");
  digest::Digest all(digest::Algorithm::Sha256);
  for (int serial : order) {
    LogicalStream& s = *streams.at(serial);
    if (!s.ended) throw file_error(path, "is truncated: its Ogg stream ends without its final page");
    if (s.state.packetno < header_packets) throw file_error(path, "is truncated: its Ogg stream has no complete headers");
    const std::string hex = s.digest.finish_hex();
    all.update(hex.data(), hex.size());
  }
  return {{}, all.finish_hex()};
}

}  // namespace genre::tags
