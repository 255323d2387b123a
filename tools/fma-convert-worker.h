// One conversion worker: owns ONE reused GStreamer pipeline (pipeline/runner.h)
//   filesrc ! decodebin ! <middle> ! datasetsink
// and converts tracks one after the other by setting it to READY,
// re-pointing filesrc and the sink (key, labels, split) and playing it to
// EOS. The sink keeps its open shard across tracks and finalizes it at NULL.
#pragma once

#include "fma/conversion.h"
#include "pipeline/runner.h"

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace fma_convert {

// Benchmark baselines: decode into fakesink, either to exactly the PCM the
// default conversion feeds melspec, or with `audioconvert ! audioresample`
// left to negotiate passthrough (fakesink takes anything); or the whole
// conversion pipeline ending in fakesink instead of datasetsink.
enum class DecodeOnly { kOff, kMelspecPcm, kPassthrough, kNoSink };

// The default middle part: mono 22050 Hz, log-mel, one 224x224 image per clip.
extern const char* const kDefaultMiddle;

struct WorkerConfig {
  std::string out_dir;
  std::string taxonomy_path;
  std::string middle = kDefaultMiddle;
  std::string sink_properties;  // extra "name=value" pairs for datasetsink (e.g. dtype=float32)
  std::string audio_dir;
  double min_duration_s = 0;
  double track_timeout_s = 300;
  bool multi_label = false;
  // Benchmark baselines instead of a conversion (see DecodeOnly).
  DecodeOnly decode_only = DecodeOnly::kOff;
  const std::map<std::string, std::string>* checksums = nullptr;  // relative path -> sha1
};

enum class Outcome { kConverted, kFailed, kFatal };

struct TrackResult {
  Outcome outcome = Outcome::kConverted;
  std::string reason;  // failure category
  std::string detail;
  // Samples the sink skipped because their key was already in --out (a resumed
  // track's windows written before; otherwise another source's samples).
  std::uint64_t duplicates_skipped = 0;
};

class ConvertWorker {
 public:
  // Throws std::runtime_error when the pipeline cannot be built (bad --pipeline,
  // missing element).
  explicit ConvertWorker(const WorkerConfig& config);
  ~ConvertWorker();
  ConvertWorker(const ConvertWorker&) = delete;
  ConvertWorker& operator=(const ConvertWorker&) = delete;

  // The sink takes the item's split; a change of split finalizes its open shard.
  TrackResult convert(const genre::fma::WorkItem& item);
  // Sets the pipeline to NULL so the sink finalizes its shard; returns the
  // sink's error, if any.
  std::string finish();

 private:
  static void on_have_type(GstElement* typefind, guint probability, GstCaps* caps, gpointer self);
  std::string found_type();
  TrackResult not_audio_or(TrackResult failure);
  static GstPadProbeReturn on_middle_input(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  TrackResult precheck(const genre::fma::WorkItem& item) const;
  bool source_is(const std::string& path) const;
  void configure_sink();
  void build(GstBin* pipeline);

  WorkerConfig config_;
  // Owned by the runner's pipeline.
  GstElement* src_ = nullptr;
  GstElement* decode_ = nullptr;
  GstElement* middle_ = nullptr;
  GstElement* sink_ = nullptr;
  // Written by the streaming thread (probe), read after EOS by the worker.
  std::atomic<guint64> frames_{0};
  std::atomic<int> rate_{0};
  std::atomic<bool> too_short_{false};
  // What decodebin's typefind found in the current file ("" before it has).
  std::mutex type_mu_;
  std::string found_type_;
  // Last: destroyed first, so the pipeline's threads stop before what they use goes.
  genre::tools::PipelineRunner runner_;
};

}  // namespace fma_convert
