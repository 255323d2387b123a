// FLAC through libFLAC: the metadata iterator gives the blocks and where the
// frames begin; the stream decoder, seeking to the last sample STREAMINFO
// promises, checks the frames reach it (and that frame's CRC).
#include <FLAC/metadata.h>
#include <FLAC/stream_decoder.h>

#include <memory>

#include "digest/digest.h"
#include "tags/audio_bytes.h"
#include "tags/file_reader.h"
#include "tags/tag_error.h"

namespace genre::tags {
namespace {

struct IteratorDeleter {
  void operator()(FLAC__Metadata_SimpleIterator* it) const { FLAC__metadata_simple_iterator_delete(it); }
};
struct DecoderDeleter {
  void operator()(FLAC__StreamDecoder* d) const { FLAC__stream_decoder_delete(d); }
};

FLAC__StreamDecoderWriteStatus ignore_samples(const FLAC__StreamDecoder*, const FLAC__Frame*,
                                              const FLAC__int32* const[], void*) {
  return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

void note_error(const FLAC__StreamDecoder*, FLAC__StreamDecoderErrorStatus status, void* error) {
  *static_cast<const char**>(error) = FLAC__StreamDecoderErrorStatusString[status];
}

// Where the frames begin; feeds every block but the tags' to `d`.
std::uint64_t hash_metadata(FileReader& file, digest::Digest& d) {
  std::unique_ptr<FLAC__Metadata_SimpleIterator, IteratorDeleter> it(FLAC__metadata_simple_iterator_new());
  if (!it) throw file_error(file.path(), "out of memory reading its FLAC metadata");
  const auto failed = [&](const std::string& what) {
    const auto status = FLAC__metadata_simple_iterator_status(it.get());
    return file_error(file.path(), what + " (libFLAC: " + FLAC__Metadata_SimpleIteratorStatusString[status] + ")");
  };
  if (!FLAC__metadata_simple_iterator_init(it.get(), file.path().c_str(), true, false))
    throw failed("is truncated or damaged: libFLAC cannot read its metadata");
  std::uint64_t end = 0;
  do {
    const FLAC__MetadataType type = FLAC__metadata_simple_iterator_get_block_type(it.get());
    const auto offset = static_cast<std::uint64_t>(FLAC__metadata_simple_iterator_get_block_offset(it.get()));
    end = offset + 4 + FLAC__metadata_simple_iterator_get_block_length(it.get());
    if (end > file.size()) throw file_error(file.path(), "is truncated inside its FLAC metadata");
    if (type != FLAC__METADATA_TYPE_VORBIS_COMMENT && type != FLAC__METADATA_TYPE_PADDING &&
        type != FLAC__METADATA_TYPE_PICTURE) {
      const auto code = static_cast<std::uint8_t>(type);
      d.update(&code, 1);
      file.hash(offset + 4, end, d);
    }
  } while (FLAC__metadata_simple_iterator_next(it.get()));
  if (FLAC__metadata_simple_iterator_status(it.get()) != FLAC__METADATA_SIMPLE_ITERATOR_STATUS_OK)
    throw failed("is truncated or damaged inside its FLAC metadata");
  if (end == file.size()) throw file_error(file.path(), "is truncated: no FLAC audio frames after its metadata");
  return end;
}

void check_frames_reach_the_end(const std::string& path) {
  std::unique_ptr<FLAC__StreamDecoder, DecoderDeleter> decoder(FLAC__stream_decoder_new());
  if (!decoder) throw file_error(path, "out of memory decoding its FLAC frames");
  const char* error = nullptr;
  if (FLAC__stream_decoder_init_file(decoder.get(), path.c_str(), ignore_samples, nullptr, note_error, &error) !=
      FLAC__STREAM_DECODER_INIT_STATUS_OK)
    throw file_error(path, "libFLAC cannot open it");
  if (!FLAC__stream_decoder_process_until_end_of_metadata(decoder.get()))
    throw file_error(path, "is damaged: libFLAC cannot read its metadata");
  const FLAC__uint64 total = FLAC__stream_decoder_get_total_samples(decoder.get());
  // STREAMINFO may leave the count unknown (0): then every frame is decoded.
  const bool whole = total > 0 ? FLAC__stream_decoder_seek_absolute(decoder.get(), total - 1)
                               : FLAC__stream_decoder_process_until_end_of_stream(decoder.get());
  if (!whole || error)
    throw file_error(path, "is truncated or damaged: its FLAC frames do not reach the last sample" +
                               (total > 0 ? " (" + std::to_string(total) + ")" : std::string()) +
                               (error ? std::string(" (libFLAC: ") + error + ")" : std::string()));
}

}  // namespace

AudioBytes flac_audio_bytes(FileReader& file, bool check_whole) {
  digest::Digest d(digest::Algorithm::Sha256);
  AudioBytes audio;
  audio.ranges = {{hash_metadata(file, d), file.size()}};
  if (check_whole) check_frames_reach_the_end(file.path());
  audio.digest = d.finish_hex();
  return audio;
}

}  // namespace genre::tags
