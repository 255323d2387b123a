// genre-classify --explain: what drove each file's verdict, as a PNG. Pad probes
// on melspec's and specresize's source pads keep the file's log-mel frames and
// the images the model was given; once the verdict is known, the gradient
// saliency of the verdict's score (lib/infer/saliency_model.h) is computed for
// every image that counted (silent windows did not), put back on the frames each
// window covers and averaged where windows overlap (lib/infer/saliency_frames.h),
// lightly smoothed, and drawn over the spectrogram (lib/report/saliency_png.h).
// One Explainer per file worker: its captures belong to the pipeline it watches.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "infer/pipeline_plan.h"
#include "infer/saliency_frames.h"
#include "infer/saliency_model.h"
#include "infer/verdict_tracker.h"

namespace genre::tools {

struct ExplainOptions {
  std::string model;          // the bundle
  nlohmann::json preprocessing;
  std::vector<std::string> classes;  // the bundle's target classes, in the order of its scores
  double frame_seconds = 0;   // one mel frame
  double silence_floor = -1000;  // windows below it were left out of the verdict, and are here
  int threads = 1;
  size_t batch = 8;           // images per saliency pass
};

class Explainer {
 public:
  explicit Explainer(const ExplainOptions& options);  // throws InferError on unusable preprocessing
  ~Explainer();

  // Adds the probes to a newly built pipeline's elements (the pipeline owns them).
  void attach(GstElement* melspec, GstElement* specresize);
  // Drops what the previous file left.
  void reset();
  // Writes `png_path` for the file just classified: `verdict` is its top class (found by
  // name: a verdict parsed from a `genre` message carries its rank, not its class index),
  // `title` names the file. Throws std::exception (InferError, write errors) with a one-line text.
  void write(const std::string& png_path, const std::string& title, const infer::RankedClass& verdict);

  // Windows the last write() explained.
  size_t windows_used() const { return windows_used_; }

 private:
  struct Window {
    std::vector<float> image;
    uint64_t start_frame = 0;
    uint32_t window_frames = 0, valid_frames = 0;
    float level_db = 0;
  };
  static GstPadProbeReturn on_mel(GstPad*, GstPadProbeInfo* info, gpointer self);
  static GstPadProbeReturn on_image(GstPad*, GstPadProbeInfo* info, gpointer self);

  ExplainOptions o_;
  infer::ImageGeometry geometry_;
  std::vector<double> band_hz_;
  bool mel_is_db_ = true;
  double amin_ = 1e-10;
  std::unique_ptr<infer::SaliencyModel> model_;  // loaded at the first write
  std::mutex mutex_;         // the probes run on the streaming thread
  std::vector<float> mel_;   // frame-major, n_mels floats per frame
  GstClockTime mel_pts_ = GST_CLOCK_TIME_NONE;  // of the first captured frame
  std::vector<Window> windows_;
  size_t windows_used_ = 0;
};

}  // namespace genre::tools
