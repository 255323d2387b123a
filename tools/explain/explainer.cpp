#include "explain/explainer.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "infer/infer_error.h"
#include "report/confusion_png.h"
#include "report/plot_canvas.h"
#include "report/saliency_png.h"
#include "window_meta.h"

namespace genre::tools {

namespace {

// The window meta's API, registered by the `genre` plugin, looked up by name as
// genreclassify does; 0 while that plugin is not loaded.
GType window_meta_api() {
  static GType api = 0;
  if (api == 0) api = g_type_from_name("GenreWindowMetaAPI");
  return api;
}

// The top of the colour bar: the map's 99.5th percentile, so a few extreme pixels
// do not wash out the rest (they are drawn at the top colour).
double robust_max(const std::vector<float>& v) {
  std::vector<float> sorted(v);
  if (sorted.empty()) return 0;
  const size_t k = std::min(sorted.size() - 1, size_t(0.995 * double(sorted.size())));
  std::nth_element(sorted.begin(), sorted.begin() + long(k), sorted.end());
  return sorted[k];
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g s", s);
  return buf;
}

}  // namespace

Explainer::Explainer(const ExplainOptions& options)
    : o_(options), geometry_(infer::image_geometry(options.preprocessing)),
      band_hz_(infer::mel_band_hz(options.preprocessing)) {
  const nlohmann::json& mel = o_.preprocessing.at("genre/melspec-params");
  mel_is_db_ = mel.value("output", "db") != "power";
  amin_ = mel.value("amin", 1e-10);
  if (band_hz_.size() != geometry_.n_mels)
    throw infer::InferError("the model's preprocessing records " + std::to_string(band_hz_.size()) +
                            " mel bands in melspec and " + std::to_string(geometry_.n_mels) + " in specresize");
  if (!(o_.frame_seconds > 0)) throw infer::InferError("the model's preprocessing records no mel frame rate");
}

Explainer::~Explainer() = default;

void Explainer::attach(GstElement* melspec, GstElement* specresize) {
  for (auto [element, probe] : {std::pair{melspec, &Explainer::on_mel}, std::pair{specresize, &Explainer::on_image}}) {
    GstPad* pad = gst_element_get_static_pad(element, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, probe, this, nullptr);
    gst_object_unref(pad);
  }
}

void Explainer::reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  mel_.clear();
  mel_pts_ = GST_CLOCK_TIME_NONE;
  windows_.clear();
}

GstPadProbeReturn Explainer::on_mel(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<Explainer*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  GstMapInfo map;
  if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ)) return GST_PAD_PROBE_OK;
  const auto* f = reinterpret_cast<const float*>(map.data);
  const size_t n = map.size / sizeof(float) / self->geometry_.n_mels * self->geometry_.n_mels;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    if (self->mel_.empty()) self->mel_pts_ = GST_BUFFER_PTS(buf);
    self->mel_.insert(self->mel_.end(), f, f + n);
  }
  gst_buffer_unmap(buf, &map);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn Explainer::on_image(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<Explainer*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  const GType api = window_meta_api();
  const auto* meta = buf && api ? reinterpret_cast<const GenreWindowMeta*>(gst_buffer_get_meta(buf, api)) : nullptr;
  GstMapInfo map;
  if (!meta || !GST_CLOCK_TIME_IS_VALID(meta->start) || !gst_buffer_map(buf, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  Window w;
  const auto* f = reinterpret_cast<const float*>(map.data);
  w.image.assign(f, f + map.size / sizeof(float));
  std::lock_guard<std::mutex> lock(self->mutex_);
  // Where the window starts among the captured frames: by the two elements' timestamps
  // (a DISCONT restarts specresize's clip, and its meta's times, mid-file), else by the meta.
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  const double start_s = GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(self->mel_pts_) && pts >= self->mel_pts_
                             ? double(pts - self->mel_pts_) / 1e9
                             : double(meta->start) / 1e9;
  w.start_frame = uint64_t(std::llround(start_s / self->o_.frame_seconds));
  w.window_frames = meta->window_frames;
  w.valid_frames = meta->valid_frames;
  w.level_db = meta->level_db;
  gst_buffer_unmap(buf, &map);
  self->windows_.push_back(std::move(w));
  return GST_PAD_PROBE_OK;
}

void Explainer::write(const std::string& png_path, const std::string& title, const infer::RankedClass& verdict) {
  std::lock_guard<std::mutex> lock(mutex_);  // the run has ended: the probes are done
  if (!model_) model_ = std::make_unique<infer::SaliencyModel>(o_.model, o_.threads);
  const std::vector<int64_t>& shape = model_->input_shape();
  const size_t floats = size_t(shape[0] * shape[1] * shape[2]);
  if (shape[1] != geometry_.height || shape[2] != geometry_.width)
    throw infer::InferError("the model's input shape does not match its recorded specresize image size");
  // The windows that counted towards the verdict: silent ones were left out of it.
  std::vector<const Window*> used;
  for (const Window& w : windows_)
    if (w.image.size() == floats && !(double(w.level_db) < o_.silence_floor)) used.push_back(&w);
  windows_used_ = used.size();
  if (used.empty()) throw infer::InferError("no window to explain (every window was silent)");
  const auto named = std::find(o_.classes.begin(), o_.classes.end(), verdict.name);
  if (named == o_.classes.end()) throw infer::InferError("the verdict '" + verdict.name + "' is not among the model's classes");
  const int64_t target = named - o_.classes.begin();
  infer::FrameSaliency frames(geometry_);
  for (size_t i = 0; i < used.size(); i += o_.batch) {
    std::vector<const float*> images;
    for (size_t j = i; j < std::min(used.size(), i + o_.batch); ++j) images.push_back(used[j]->image.data());
    const std::vector<float> maps = model_->saliency(images, target);
    const size_t plane = size_t(geometry_.height) * size_t(geometry_.width);
    for (size_t j = 0; j < images.size(); ++j) {
      const Window& w = *used[i + j];
      frames.add_window(maps.data() + j * plane, w.start_frame, w.window_frames, w.valid_frames);
    }
  }
  const int n_mels = int(geometry_.n_mels);
  const int shown = int(std::min<uint64_t>(frames.frames(), mel_.size() / geometry_.n_mels));
  if (shown == 0) throw infer::InferError("no mel frames were captured");
  // Band-major matrices of the frames both cover; the raw gradient is pixel noise at
  // this scale, so a Gaussian of one frame and one band smooths it for the eye.
  cv::Mat heat = cv::Mat(n_mels, int(frames.frames()), CV_32F, frames.mean().data()).colRange(0, shown).clone();
  cv::GaussianBlur(heat, heat, cv::Size(0, 0), 1.0);
  cv::Mat spectrogram = cv::Mat(shown, n_mels, CV_32F, mel_.data()).t();
  if (!mel_is_db_) {
    cv::max(spectrogram, amin_, spectrogram);
    cv::log(spectrogram, spectrogram);
    spectrogram *= 10.0 / std::log(10.0);
  }
  const std::vector<float> flat(heat.begin<float>(), heat.end<float>());
  const double top = robust_max(flat);
  report::HeatPanel panel{"", spectrogram, heat};
  report::SpectrogramAxes axes{band_hz_, 0.0, o_.frame_seconds};
  const report::HeatScale scale{1.0, "saliency (1 = the file's 99.5th percentile)"};
  if (top > 0) panel.heat = heat / top;
  double lo = 0, hi = 0;
  cv::minMaxLoc(spectrogram, &lo, &hi);
  const Window& first = *used.front();
  const double window_s = first.window_frames * o_.frame_seconds;
  uint64_t hop_frames = 0;  // the smallest step between windows (silent ones left gaps)
  for (size_t i = 1; i < used.size(); ++i)
    if (used[i]->start_frame > used[i - 1]->start_frame)
      hop_frames = std::min(hop_frames ? hop_frames : UINT64_MAX, used[i]->start_frame - used[i - 1]->start_frame);
  const double hop_s = double(hop_frames) * o_.frame_seconds;
  char score[32];
  std::snprintf(score, sizeof score, "%.1f%%", 100.0 * verdict.score);
  const std::string note =
      "Colour: gradient saliency of the " + verdict.name + " score, |d score / d input| per pixel of the model's "
      "input, averaged over the " + std::to_string(used.size()) + " window" + (used.size() == 1 ? "" : "s") + " (" +
      seconds_text(window_s) + (hop_s > 0 ? ", one every " + seconds_text(hop_s) : std::string()) +
      ") covering each frame, smoothed over 1 frame and 1 band. Grey: the log-mel spectrogram, " +
      std::to_string(int(std::lround(lo))) + " dB (dark) to " + std::to_string(int(std::lround(hi))) + " dB (light).";
  // A file name is one word to the title's wrapping: a very long one keeps its start and end.
  const std::string heading = report::plot::ellipsize_middle(title, 64) + ": " + verdict.name + " (" + score + ")";
  report::write_image(png_path, report::render_heat_figure(panel, axes, scale, heading, note).image);
}

}  // namespace genre::tools
