// The GStreamer-free half of fma-convert: which tracks a job converts (cluster
// sharding, --limit, resume), checksum lists, failure records, the summary
// JSON and the progress line.
#pragma once

#include "fma/dataset_plan.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace genre::fma {

// Six-digit sample key of a track, like its file name: 2 -> "000002".
std::string track_key(int track_id);

// The job (0-based index of count) a track belongs to: splitmix64(track id) % count.
// Stable whatever the metadata order or the other tracks.
int job_of_track(int track_id, int job_count);
// The same for any plan track: splitmix64(job_hash) % count (FMA: job_hash = id).
int job_of_hash(uint64_t job_hash, int job_count);

struct WorkItem {
  std::string key;    // sample key (FMA: track_key(id))
  std::string id;     // failures.csv's track_id (FMA: the decimal id)
  std::string rel_path;  // relative to the audio root (checksum lists)
  std::string path;   // audio file
  std::string split;
  std::string fine;   // class names
  std::vector<std::string> fine_all;
  std::vector<int> fine_all_index;  // the same as class indices, primary first
  std::string macro;  // empty when the track has no macrogenre
  std::string meta;   // JSON object added to each sample's .json: relative_path, artist, album (where known)
};

// Tracks of this job in conversion order: by split (train, val, test) then id,
// so each worker's sink changes split at most twice. `limit` (0 = none) keeps
// the first K of the job's tracks in ascending id before ordering.
std::vector<WorkItem> select_work(const DatasetPlan& plan, const std::string& audio_dir, int job_index,
                                  int job_count, size_t limit);

// Resume: which tracks are already complete in the finalized shards. A track
// with a whole-clip sample (key == track key) is complete. A windowed track
// (keys "<track>_w<n>") is complete when none of its windows is the last
// sample of a shard: a clip cut by a shard rollover may continue in a shard
// that was lost, so such tracks are redone and the sink skips the windows it
// already has. Input: (sample key, track key, shard name) in in-shard order.
struct PresentSample {
  std::string key, track, shard;
};
std::set<std::string> complete_tracks(const std::vector<PresentSample>& samples_in_shard_order);

// sha1sum format: "<40 hex>  <path>" (or " *<path>"), path relative to the
// audio directory (a leading "./" is ignored). Throws naming file and line.
std::map<std::string, std::string> load_checksums(const std::string& path);

struct Failure {
  std::string track_id;  // WorkItem::id
  std::string path;
  std::string reason;  // a category: missing, zero-byte, checksum, not-audio, undecodable, no-audio, too-short,
                       // timeout
  std::string detail;  // human-readable message
};

// Whether a file GStreamer's typefind calls `media_type` (the caps name: "text/html",
// "audio/mpeg", "application/ogg") can hold audio: audio/*, video/* containers and the
// application/* containers and tags that carry audio. An empty (unknown) type may hold
// audio. A file of any other type is reported as not-audio, not as undecodable.
bool media_type_may_hold_audio(const std::string& media_type);

// failures.csv: track_id,path,reason,detail (RFC 4180 quoting), replaced atomically
// (lib/base); throws FileError naming the file.
void write_failures_csv(const std::vector<Failure>& failures, const std::string& path);
// failures.csv order: numeric ids by value (FMA), others by text.
bool failure_order(const Failure& a, const Failure& b);
std::vector<Failure> read_failures_csv(const std::string& path);

struct RunCounts {
  size_t planned = 0;        // this job's tracks
  size_t skipped_done = 0;   // complete before this run (resume)
  size_t converted = 0;      // tracks that reached EOS and were committed
  size_t failed = 0;
  std::map<std::string, size_t> converted_by_split;
  std::map<std::string, std::map<std::string, size_t>> converted_by_split_class;  // split -> fine name -> n
};

// "  120/8000 tracks  14.2 tracks/s  ETA 9m12s  failures 3"
std::string progress_line(size_t done, size_t total, double elapsed_s, double rate_per_s, size_t failures);
std::string format_duration(double seconds);

// Exit status of fma-convert, documented in --help and pipelines/fma.md.
constexpr int kExitOk = 0;
constexpr int kExitTrackFailures = 1;  // the run finished; some tracks are in failures.csv
constexpr int kExitUsage = 2;          // bad command line
constexpr int kExitFatal = 3;          // unreadable metadata, missing elements, unwritable output...
constexpr int kExitIncomplete = 4;     // --merge: planned tracks neither converted nor failed

}  // namespace genre::fma
