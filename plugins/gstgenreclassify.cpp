/**
 * SECTION:element-genreclassify
 *
 * Music genre predictions from the images of specresize, with a model bundle
 * written by genre-train (a TorchScript archive that carries its classes, its
 * input shape and the preprocessing it was trained on). An analyser like
 * `level`: buffers pass through unchanged, each classified window with a
 * GenreScoresMeta, so the element can sit anywhere after specresize.
 * |[
 * gst-launch-1.0 -m filesrc location=song.mp3 ! decodebin ! audioconvert ! audioresample ! \
 *     melspec sample-rate=22050 ! specresize window-frames=129 hop-frames=43 width=128 height=128 ! \
 *     genreclassify model=cnn.pt ! fakesink
 * ]|
 *
 * Per classified window a `genre` element message (like level's and
 * spectrum's): timestamp, stream-time, running-time, duration, window, the
 * top-k labels, scores and fma-ids (arrays), macrogenre and macrogenre-score,
 * the smoothed running verdict (verdict, verdict-score, verdict-macrogenre,
 * verdict-macrogenre-score, decoding, confident), skipped, silent=FALSE,
 * final=FALSE. At EOS a final `genre` message holds the whole-stream verdict (the mean of every
 * window's probabilities), final=TRUE, windows and silent-windows. A
 * GST_TAG_GENRE tag event goes downstream whenever the confident verdict
 * changes and at EOS. Applications read the message with genre::GenreMessage
 * (plugins/genre_message.h).
 *
 * Decoding (the `decoding` property; every message names it in a `decoding`
 * field): argmax, the default, gives the most probable genre and, apart, the
 * most probable macrogenre, which need not contain it. crm (conditional risk
 * minimisation) gives the genre of least expected distance in the bundle's
 * genre tree (edges between genres: siblings 2, other macrogenres the most),
 * argmin_j sum_i p_i d(i, j), and that genre's own macrogenre: macro and fine
 * verdicts always agree, and a wrong verdict tends to be a near miss. It
 * decodes the messages' verdict and verdict-macrogenre (running and
 * whole-stream) and the tags; labels, scores and macrogenre stay the
 * probability ranking, the GenreScoresMeta too, and the verdict's score is
 * its probability. A multi-label bundle (independent sigmoid scores, no
 * distribution over exclusive genres) refuses crm with an error; on a
 * macro-target bundle crm is the arg max.
 *
 * Silence is not a genre: a window whose loudest mel value (GenreWindowMeta
 * level_db, measured by specresize before any normalisation) is below
 * silence-floor is not classified; its message says silent=TRUE with empty
 * labels and verdict, and it is left out of both verdicts. A stream with only
 * silent windows ends with a final message with silent=TRUE, windows=0 and no
 * verdict (a missing microphone, a fallback source, digital silence).
 *
 * The caps (width:height:channels) must match the bundle's input shape, and
 * the sticky genre/melspec-params and genre/specresize-params events must
 * match the bundle's preprocessing in every parameter that changes an
 * image's content (specresize's hop-frames may differ); otherwise the element
 * posts an error naming the parameter.
 *
 * Inference runs in the streaming thread. With batch=N the element holds
 * windows until N have arrived and classifies them in one forward pass; EOS, a
 * new segment or caps, a gap and a drain query send a partial batch on, and a
 * FLUSH drops it. A FLUSH or a new segment restarts both verdicts; a DISCONT
 * restarts the running one.
 *
 * Live input: like any slow filter, genreclassify blocks its upstream while a
 * forward pass runs. To never block a live source, put a leaky queue in front
 * (as NNStreamer's tensor_filter pipelines do); when inference falls behind,
 * that queue drops the oldest windows, which are then never classified (no
 * message, no meta; the element counts them in `skipped` from the gaps in
 * GenreWindowMeta's window index):
 * |[
 * gst-launch-1.0 -e -m autoaudiosrc ! audioconvert ! audioresample ! melspec sample-rate=22050 ! \
 *     specresize window-frames=129 hop-frames=43 width=128 height=128 ! \
 *     queue leaky=downstream max-size-time=1000000000 max-size-buffers=0 max-size-bytes=0 ! \
 *     genreclassify model=cnn.pt ! fakesink sync=false
 * ]|
 * The leaky and max-delay properties of earlier versions are deprecated and
 * have no effect (a warning says so when leaky=true).
 *
 * Latency: the first window of a batch waits for batch - 1 more, one every
 * window interval (1 / the caps framerate): the element adds (batch - 1)
 * window intervals to the LATENCY query's min and max and posts a LATENCY
 * message when the window rate changes that. Forward-pass time is processing
 * time (the sinks' processing-deadline covers it).
 */
#include "gstgenreclassify.h"

#include <cmath>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "enum_type.h"
#include "genre_message.h"
#include "genreclassify_meta.h"
#include "infer/classifier.h"
#include "infer/preprocessing_check.h"
#include "infer/verdict_tracker.h"
#include "structure_json.h"
#include "tensor_caps.h"
#include "window_meta.h"

GST_DEBUG_CATEGORY_STATIC(gst_genre_classify_debug);
#define GST_CAT_DEFAULT gst_genre_classify_debug

using genre::GenreMessage;
using genre::infer::Classifier;
using genre::infer::ClassifierOptions;
using genre::infer::Decoding;
using genre::infer::Device;
using genre::infer::HeadProbabilities;
using genre::infer::InferError;
using genre::infer::Smoothing;
using genre::infer::TrackerOptions;
using genre::infer::VerdictTracker;
using genre::infer::WindowResult;

namespace {

constexpr guint kDefaultThreads = 1;
constexpr guint kDefaultTopK = 5;
constexpr guint kDefaultBatch = 1;
constexpr guint64 kDefaultMaxDelay = GST_SECOND;  // the deprecated max-delay's

// Properties, guarded by the object lock.
struct Settings {
  std::string model;
  Device device = Device::Auto;
  guint threads = kDefaultThreads;
  TrackerOptions tracker;
  bool post_messages = true;
  bool emit_tags = true;
  guint batch = kDefaultBatch;
  bool leaky = false;                    // deprecated, no effect
  guint64 max_delay = kDefaultMaxDelay;  // deprecated, no effect
};

// The loaded model and what it was loaded with; reloaded in start() only when
// those settings changed, so a pipeline reused through READY keeps it.
struct LoadedModel {
  std::string path;
  Device device = Device::Auto;
  guint threads = 0;
  guint batch = 0;
  std::unique_ptr<Classifier> classifier;
};

// A window, or a serialized event that came after a window still held, in arrival order.
struct Held {
  GstMiniObject* object = nullptr;
  bool released = false;  // classified (an event: every window before it was)
  bool silent = false;    // below silence-floor: not classified
  HeadProbabilities probs;
};

// The streaming thread's state (also touched in start/stop and at FLUSH_STOP, when no buffer flows).
struct Stream {
  std::unique_ptr<VerdictTracker> tracker;
  std::deque<Held> held;
  guint unclassified = 0;  // windows in `held` waiting for their batch
  bool failed = false;     // a forward pass failed: windows are refused until a flush or a restart
  guint64 windows = 0;     // since start: the window number without GenreWindowMeta
  std::optional<guint64> next_index;  // the GenreWindowMeta index expected next
  GstClockTime first_pts = GST_CLOCK_TIME_NONE;
  GstClockTime last_end = GST_CLOCK_TIME_NONE;

  void restart() {
    if (tracker) tracker->reset();
    next_index.reset();
    first_pts = last_end = GST_CLOCK_TIME_NONE;
  }
  void drop_held() {
    for (Held& h : held) gst_mini_object_unref(h.object);
    held.clear();
    unclassified = 0;
  }
  // A flush drops what is held but sticky events (tags, params; never segment or EOS, which
  // drain): they still describe the stream and go on after the FLUSH_STOP, as queue keeps them.
  std::vector<GstEvent*> drop_held_but_sticky() {
    std::vector<GstEvent*> sticky;
    for (Held& h : held) {
      if (GST_IS_EVENT(h.object) && GST_EVENT_IS_STICKY(GST_EVENT(h.object)))
        sticky.push_back(GST_EVENT(h.object));
      else
        gst_mini_object_unref(h.object);
    }
    held.clear();
    unclassified = 0;
    return sticky;
  }
};

}  // namespace

struct _GstGenreClassify {
  GstBaseTransform parent;
  Settings* settings;
  // Under the object lock (the LATENCY query and the skipped property read them from any thread):
  GstClockTime window_interval;  // 1 / the caps framerate (sliding windows), else NONE
  guint64 skipped;               // windows lost in front of the element since start
  LoadedModel* model;            // set in start(), used by the streaming thread
  Stream* stream;
};

G_DEFINE_TYPE(GstGenreClassify, gst_genre_classify, GST_TYPE_BASE_TRANSFORM)
GST_ELEMENT_REGISTER_DEFINE(genreclassify, "genreclassify", GST_RANK_NONE, GST_TYPE_GENRE_CLASSIFY)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_DEVICE,
  PROP_THREADS,
  PROP_TOP_K,
  PROP_SMOOTHING,
  PROP_EMA_ALPHA,
  PROP_MIN_CONFIDENCE,
  PROP_SILENCE_FLOOR,
  PROP_DECODING,
  PROP_POST_MESSAGES,
  PROP_EMIT_TAGS,
  PROP_BATCH,
  PROP_LEAKY,
  PROP_MAX_DELAY,
  PROP_SKIPPED,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK,
    GST_PAD_ALWAYS, GST_STATIC_CAPS(genre::kTensorTemplateCaps));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC,
    GST_PAD_ALWAYS, GST_STATIC_CAPS(genre::kTensorTemplateCaps));

GENRE_DEFINE_ENUM_TYPE(genreclassify_device_get_type, "GstGenreClassifyDevice",
    {int(Device::Cpu), "The CPU", "cpu"},
    {int(Device::Cuda), "A CUDA GPU (error when this LibTorch build or machine has none)", "cuda"},
    {int(Device::Auto), "CUDA when available, else the CPU", "auto"})
GENRE_DEFINE_ENUM_TYPE(genreclassify_smoothing_get_type, "GstGenreClassifySmoothing",
    {int(Smoothing::None), "The verdict is the latest window's", "none"},
    {int(Smoothing::Mean), "Running mean of every window since the last reset", "mean"},
    {int(Smoothing::Ema), "Exponential moving average with ema-alpha", "ema"})
GENRE_DEFINE_ENUM_TYPE(genreclassify_decoding_get_type, "GstGenreClassifyDecoding",
    {int(Decoding::Argmax), "The most probable genre; the macrogenre verdict is the most probable macrogenre",
     "argmax"},
    {int(Decoding::Crm), "Conditional risk minimisation: the genre of least expected distance in the bundle's "
     "genre tree, and its own macrogenre (single-label bundles only)", "crm"})

// ---- helpers ---------------------------------------------------------------------

static Settings snapshot(GstGenreClassify* self) {
  GST_OBJECT_LOCK(self);
  Settings s = *self->settings;
  GST_OBJECT_UNLOCK(self);
  return s;
}

static const genre::infer::ModelDescription& description(GstGenreClassify* self) {
  return self->model->classifier->description();
}

static GstPad* src_pad(GstGenreClassify* self) { return GST_BASE_TRANSFORM_SRC_PAD(self); }

// The window's GenreWindowMeta, from the `genre` plugin, its API looked up by name:
// this library does not register a second copy. Null while that plugin is not loaded.
static GenreWindowMeta* window_meta(GstBuffer* buf) {
  static GType api = 0;
  if (api == 0) api = g_type_from_name("GenreWindowMetaAPI");
  return api ? reinterpret_cast<GenreWindowMeta*>(gst_buffer_get_meta(buf, api)) : nullptr;
}

static guint64 skipped_count(GstGenreClassify* self) {
  GST_OBJECT_LOCK(self);
  const guint64 n = self->skipped;
  GST_OBJECT_UNLOCK(self);
  return n;
}

static void post(GstGenreClassify* self, const GenreMessage& m) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), m.to_structure()));
}

// ---- model ---------------------------------------------------------------------------

static bool ensure_model(GstGenreClassify* self, const Settings& s) {
  LoadedModel& m = *self->model;
  if (m.classifier && m.path == s.model && m.device == s.device && m.threads == s.threads && m.batch == s.batch)
    return true;
  m.classifier.reset();
  if (s.model.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No model bundle set"),
        ("set the model property to a bundle (model.pt) written by genre-train"));
    return false;
  }
  if (s.device == Device::Cuda && !genre::infer::cuda_available()) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("device=cuda, but CUDA is not available"),
        ("this LibTorch build has no CUDA support or no GPU is visible; use device=cpu or device=auto"));
    return false;
  }
  ClassifierOptions options;
  options.model_path = s.model;
  options.device = s.device;
  options.threads = int(s.threads);
  options.warmup_batch = s.batch;
  try {
    m.classifier = std::make_unique<Classifier>(options);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Could not load the model bundle: %s", e.what()),
        ("model=%s", s.model.c_str()));
    return false;
  }
  m.path = s.model;
  m.device = s.device;
  m.threads = s.threads;
  m.batch = s.batch;
  GST_INFO_OBJECT(self, "loaded %s (%s, %s, %s)", s.model.c_str(), description(self).model.c_str(),
                  genre::infer::to_string(m.classifier->device()), genre::infer::to_string(m.classifier->optimization()));
  return true;
}

// The longest this element holds a window, which it adds to the LATENCY
// query's min and max (as GstAggregator and GstAudioDecoder add theirs): the
// first window of a batch waits for batch - 1 more, one per window interval
// (whole-clip images have no window rate, and no live timing to keep). The
// forward pass itself is processing time, left to the sinks'
// processing-deadline. Called with the object lock held.
static GstClockTime own_latency_locked(GstGenreClassify* self) {
  const guint batch = self->settings->batch;
  if (batch <= 1 || !GST_CLOCK_TIME_IS_VALID(self->window_interval)) return 0;
  return GstClockTime(batch - 1) * self->window_interval;
}

// ---- checks at caps and params time ----------------------------------------------------

static bool check_caps(GstGenreClassify* self, GstCaps* caps) {
  genre::TensorInfo info;
  std::string error;
  if (!genre::tensor_caps_parse(caps, &info, &error)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("genreclassify takes specresize's images: %s", error.c_str()),
        ("put specresize in front of genreclassify"));
    return false;
  }
  const auto& shape = description(self).input_shape;  // [C, H, W]
  const genre::TensorDims want{guint(shape[2]), guint(shape[1]), guint(shape[0]), 1};
  if (info.dims != want) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
        ("The images are %s (width:height:channels:batch), but the model takes %s",
         genre::tensor_dims_to_string(info.dims).c_str(), genre::tensor_dims_to_string(want).c_str()),
        ("set specresize width=%u height=%u channels=%u (the bundle's input shape [C, H, W] = [%u, %u, %u])",
         want[0], want[1], want[2], want[2], want[1], want[0]));
    return false;
  }
  // The window rate sets the batching delay: tell the pipeline when that changes our latency.
  const GstClockTime interval = info.fps_n > 0 ? gst_util_uint64_scale_int(GST_SECOND, info.fps_d, info.fps_n)
                                                : GST_CLOCK_TIME_NONE;
  GST_OBJECT_LOCK(self);
  const GstClockTime before = own_latency_locked(self);
  self->window_interval = interval;
  const bool changed = own_latency_locked(self) != before;
  GST_OBJECT_UNLOCK(self);
  if (changed) gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  return true;
}

static bool check_params(GstGenreClassify* self, const GstStructure* s) {
  const std::string name = gst_structure_get_name(s);
  const std::string mismatch =
      genre::infer::check_preprocessing(name, genre::structure_to_json(s), description(self).preprocessing);
  if (mismatch.empty()) return true;
  GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("The spectrograms are not made the way the model's were: %s",
      mismatch.c_str()), ("model=%s; its preprocessing is in the bundle's genre/bundle.json", description(self).path.c_str()));
  return false;
}

static bool is_params_event(GstEvent* event) {
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY) return false;
  const GstStructure* s = gst_event_get_structure(event);
  return s && g_str_has_prefix(gst_structure_get_name(s), "genre/") &&
         g_str_has_suffix(gst_structure_get_name(s), "-params");
}

// ---- classifying held windows ------------------------------------------------------------

// Classifies every held window still waiting in one forward pass and releases
// everything held. The pass always has `batch` images (the last one repeated),
// the shape the model was warmed up on: a new shape would make TorchScript
// profile and optimise again.
static GstFlowReturn classify_held(GstGenreClassify* self) {
  Stream& st = *self->stream;
  const Settings s = snapshot(self);
  try {
    st.tracker->set_options(s.tracker);
  } catch (const InferError& e) {  // decoding=crm set on a multi-label bundle while playing
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("%s", e.what()), (nullptr));
    return GST_FLOW_ERROR;
  }
  const size_t floats = description(self).image_floats();
  std::vector<GstMapInfo> maps;
  std::vector<GstBuffer*> mapped;
  std::vector<Held*> classified;
  std::vector<const float*> images;
  GstFlowReturn ret = GST_FLOW_OK;
  for (Held& h : st.held) {
    if (h.released || GST_IS_EVENT(h.object)) continue;
    GstBuffer* buf = GST_BUFFER(h.object);
    const GenreWindowMeta* wm = window_meta(buf);
    h.silent = st.tracker->is_silent(wm ? double(wm->level_db) : NAN);
    if (h.silent) continue;
    GstMapInfo map;
    if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
      GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map an image buffer"), (nullptr));
      ret = GST_FLOW_ERROR;
      break;
    }
    maps.push_back(map);
    mapped.push_back(buf);
    if (map.size != floats * sizeof(float)) {
      GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("An image buffer holds %" G_GSIZE_FORMAT " bytes, the model's "
          "input is %" G_GSIZE_FORMAT " floats", map.size, floats), (nullptr));
      ret = GST_FLOW_ERROR;
      break;
    }
    classified.push_back(&h);
    images.push_back(reinterpret_cast<const float*>(map.data));
  }
  if (ret == GST_FLOW_OK && !images.empty()) {
    while (images.size() < self->model->batch) images.push_back(images.back());
    try {
      std::vector<HeadProbabilities> probs = self->model->classifier->classify(images);
      for (size_t i = 0; i < classified.size(); ++i) classified[i]->probs = std::move(probs[i]);
    } catch (const std::exception& e) {
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Inference failed: %s", e.what()), (nullptr));
      ret = GST_FLOW_ERROR;
    }
  }
  for (size_t i = 0; i < maps.size(); ++i) gst_buffer_unmap(mapped[i], &maps[i]);
  if (ret != GST_FLOW_OK) return ret;
  for (Held& h : st.held) h.released = true;
  st.unclassified = 0;
  return GST_FLOW_OK;
}

// After an error (posted already): nothing held survives, and windows are refused until a flush.
static GstFlowReturn fail(GstGenreClassify* self, GstFlowReturn ret) {
  self->stream->drop_held();
  self->stream->failed = true;
  return ret;
}

// ---- releasing windows ---------------------------------------------------------------------

static GstEvent* genre_tag_event(const std::string& genre) {
  GstTagList* tags = gst_tag_list_new(GST_TAG_GENRE, genre.c_str(), nullptr);
  gst_tag_list_set_scope(tags, GST_TAG_SCOPE_STREAM);
  return gst_event_new_tag(tags);
}

static genre::MessageTimes times_at(GstGenreClassify* self, GstClockTime pts) {
  const GstSegment& segment = GST_BASE_TRANSFORM(self)->segment;
  genre::MessageTimes t;
  t.timestamp = pts;
  if (GST_CLOCK_TIME_IS_VALID(pts) && segment.format == GST_FORMAT_TIME) {
    t.stream_time = gst_segment_to_stream_time(&segment, GST_FORMAT_TIME, pts);
    t.running_time = gst_segment_to_running_time(&segment, GST_FORMAT_TIME, pts);
  }
  return t;
}

// The window's index in its clip (GenreWindowMeta), else its number in the stream. A
// gap in a clip's indices is windows lost in front of the element (a leaky queue
// dropped them): counted in `skipped`, and the running verdict restarts as at a DISCONT.
static guint64 window_index(GstGenreClassify* self, GstBuffer* buf) {
  Stream& st = *self->stream;
  const guint64 number = st.windows++;
  const GenreWindowMeta* wm = window_meta(buf);
  if (!wm) return number;
  if (st.next_index && wm->window_index > *st.next_index) {
    st.tracker->reset_running();
    GST_OBJECT_LOCK(self);
    self->skipped += wm->window_index - *st.next_index;
    GST_OBJECT_UNLOCK(self);
  }
  st.next_index = wm->window_index + 1;
  return wm->window_index;
}

// One released window on its way out: verdict, meta, message, tag.
static GstFlowReturn finish_window(GstGenreClassify* self, const Settings& s, Held& h, GstBuffer** out) {
  Stream& st = *self->stream;
  GstBuffer* buf = GST_BUFFER(h.object);
  if (GST_BUFFER_IS_DISCONT(buf)) st.tracker->reset_running();
  const guint64 window = window_index(self, buf);
  genre::MessageTimes t = times_at(self, GST_BUFFER_PTS(buf));
  t.duration = GST_BUFFER_DURATION(buf);
  if (!GST_CLOCK_TIME_IS_VALID(st.first_pts)) st.first_pts = t.timestamp;
  if (GST_CLOCK_TIME_IS_VALID(t.timestamp) && GST_CLOCK_TIME_IS_VALID(t.duration)) st.last_end = t.timestamp + t.duration;
  if (h.silent) {
    st.tracker->add_silent();
    if (s.post_messages)
      post(self, GenreMessage::for_silent_window(t, window, skipped_count(self), st.tracker->options().decoding));
    *out = buf;
    return GST_FLOW_OK;
  }
  WindowResult r;
  try {
    r = st.tracker->add(h.probs);
  } catch (const std::exception& e) {  // nothing may escape a streaming thread
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not score a window: %s", e.what()), (nullptr));
    gst_buffer_unref(buf);
    return fail(self, GST_FLOW_ERROR);
  }
  buf = gst_buffer_make_writable(buf);
  const genre::infer::RankedClass& best = r.top.front();
  gst_buffer_add_genre_scores_meta(buf, window, r.target.data(), guint(r.target.size()), r.macro_scores.data(),
      guint(r.macro_scores.size()), best.index, best.name.c_str(), r.macro ? r.macro->index : -1,
      r.macro ? r.macro->name.c_str() : nullptr);
  if (s.post_messages) post(self, GenreMessage::for_window(r, t, window, skipped_count(self)));
  if (s.emit_tags && r.verdict_changed) gst_pad_push_event(src_pad(self), genre_tag_event(r.verdict.name));
  *out = buf;
  return GST_FLOW_OK;
}

// Sends the released events at the front downstream and gives the next released
// window in `out` (null when nothing released is left).
static GstFlowReturn next_output(GstGenreClassify* self, GstBuffer** out) {
  Stream& st = *self->stream;
  *out = nullptr;
  const Settings s = snapshot(self);
  while (!st.held.empty() && st.held.front().released) {
    Held h = std::move(st.held.front());
    st.held.pop_front();
    if (GST_IS_EVENT(h.object)) {
      gst_pad_push_event(src_pad(self), GST_EVENT(h.object));
      continue;
    }
    return finish_window(self, s, h, out);
  }
  return GST_FLOW_OK;
}

// EOS, a new segment, caps or a gap, a serialized query: the partial batch goes now.
static GstFlowReturn drain(GstGenreClassify* self) {
  Stream& st = *self->stream;
  GstFlowReturn ret = st.unclassified > 0 ? classify_held(self) : GST_FLOW_OK;
  if (ret != GST_FLOW_OK) return fail(self, ret);
  while (ret == GST_FLOW_OK) {
    GstBuffer* out = nullptr;
    ret = next_output(self, &out);
    if (!out) break;
    ret = gst_pad_push(src_pad(self), out);
  }
  if (ret != GST_FLOW_OK) st.drop_held();
  return ret;
}

// The stream ends: the whole-stream verdict as a message and a tag.
static void finish_stream(GstGenreClassify* self) {
  const Settings s = snapshot(self);
  Stream& st = *self->stream;
  const auto verdict = st.tracker->stream_verdict();
  const guint64 silent = st.tracker->silent_windows();
  if (!verdict && silent == 0) return;
  genre::MessageTimes t = times_at(self, st.first_pts);
  if (GST_CLOCK_TIME_IS_VALID(st.first_pts) && GST_CLOCK_TIME_IS_VALID(st.last_end) && st.last_end >= st.first_pts)
    t.duration = st.last_end - st.first_pts;
  if (s.post_messages)
    post(self, verdict ? GenreMessage::for_stream(*verdict, t, skipped_count(self))
                       : GenreMessage::for_silent_stream(silent, t, skipped_count(self),
                                                         st.tracker->options().decoding));
  if (s.emit_tags && verdict && verdict->confident)
    gst_pad_push_event(src_pad(self), genre_tag_event(verdict->verdict.name));
}

// ---- GstBaseTransform ------------------------------------------------------------------------

static gboolean set_caps(GstBaseTransform* trans, GstCaps* incaps, GstCaps*) {
  return check_caps(GST_GENRE_CLASSIFY(trans), incaps);
}

// Takes the buffer the default (negotiation, QoS) leaves in queued_buf and holds it for its batch.
static GstFlowReturn submit_input_buffer(GstBaseTransform* trans, gboolean is_discont, GstBuffer* input) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(trans);
  if (self->stream->failed) {
    gst_buffer_unref(input);
    return GST_FLOW_ERROR;
  }
  const GstFlowReturn ret =
      GST_BASE_TRANSFORM_CLASS(gst_genre_classify_parent_class)->submit_input_buffer(trans, is_discont, input);
  if (ret != GST_FLOW_OK || !trans->queued_buf) return ret;
  Held h;
  h.object = GST_MINI_OBJECT(trans->queued_buf);
  trans->queued_buf = nullptr;
  self->stream->held.push_back(std::move(h));
  ++self->stream->unclassified;
  return GST_FLOW_OK;
}

// Called after each submitted window until it gives no buffer: a full batch is classified, then its windows go.
static GstFlowReturn generate_output(GstBaseTransform* trans, GstBuffer** outbuf) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(trans);
  *outbuf = nullptr;
  if (self->stream->unclassified >= self->model->batch) {
    const GstFlowReturn ret = classify_held(self);
    if (ret != GST_FLOW_OK) return fail(self, ret);
  }
  return next_output(self, outbuf);
}

static gboolean sink_event(GstBaseTransform* trans, GstEvent* event) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(trans);
  Stream& st = *self->stream;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_FLUSH_STOP: {
      const std::vector<GstEvent*> sticky = st.drop_held_but_sticky();
      st.failed = false;
      st.restart();
      const gboolean ok = GST_BASE_TRANSFORM_CLASS(gst_genre_classify_parent_class)->sink_event(trans, event);
      for (GstEvent* e : sticky) gst_pad_push_event(src_pad(self), e);
      return ok;
    }
    case GST_EVENT_EOS:
      drain(self);  // an error has been posted, the stream still ends
      finish_stream(self);
      break;
    case GST_EVENT_STREAM_START:
    case GST_EVENT_SEGMENT:
      drain(self);
      st.restart();
      break;
    case GST_EVENT_CAPS:
    case GST_EVENT_GAP:
    case GST_EVENT_SEGMENT_DONE:
      drain(self);
      break;
    default:
      if (is_params_event(event) && !check_params(self, gst_event_get_structure(event))) {
        gst_event_unref(event);
        return FALSE;
      }
      // Others (upstream's tags, params) keep their place after the windows held: they do not cut a batch.
      if (GST_EVENT_IS_SERIALIZED(event) && !st.held.empty()) {
        Held h;
        h.object = GST_MINI_OBJECT(event);
        st.held.push_back(std::move(h));
        return TRUE;
      }
      break;
  }
  return GST_BASE_TRANSFORM_CLASS(gst_genre_classify_parent_class)->sink_event(trans, event);
}

static gboolean query(GstBaseTransform* trans, GstPadDirection direction, GstQuery* query) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(trans);
  // A serialized query (drain, allocation) answers for everything before it: the held windows go first.
  if (direction == GST_PAD_SINK && GST_QUERY_IS_SERIALIZED(query) && drain(self) != GST_FLOW_OK) return FALSE;
  if (!GST_BASE_TRANSFORM_CLASS(gst_genre_classify_parent_class)->query(trans, direction, query)) return FALSE;
  if (direction != GST_PAD_SRC || GST_QUERY_TYPE(query) != GST_QUERY_LATENCY) return TRUE;
  gboolean live = FALSE;
  GstClockTime min = 0, max = GST_CLOCK_TIME_NONE;
  gst_query_parse_latency(query, &live, &min, &max);
  GST_OBJECT_LOCK(self);
  const GstClockTime own = own_latency_locked(self);
  GST_OBJECT_UNLOCK(self);
  GST_DEBUG_OBJECT(self, "upstream latency min %" GST_TIME_FORMAT " max %" GST_TIME_FORMAT ", own %" GST_TIME_FORMAT,
                   GST_TIME_ARGS(min), GST_TIME_ARGS(max), GST_TIME_ARGS(own));
  min += own;
  if (GST_CLOCK_TIME_IS_VALID(max)) max += own;
  gst_query_set_latency(query, live, min, max);
  return TRUE;
}

static gboolean start(GstBaseTransform* trans) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(trans);
  const Settings s = snapshot(self);
  if (!ensure_model(self, s)) return FALSE;
  Stream& st = *self->stream;
  try {
    st.tracker = std::make_unique<VerdictTracker>(description(self), s.tracker);
  } catch (const InferError& e) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("%s", e.what()), (nullptr));
    return FALSE;
  }
  st.windows = 0;
  st.failed = false;
  st.restart();
  GST_OBJECT_LOCK(self);
  self->skipped = 0;
  GST_OBJECT_UNLOCK(self);
  if (s.leaky)
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS, ("genreclassify's leaky property is deprecated and has no effect"),
        ("to never block a live source, put queue leaky=downstream max-size-time=%" G_GUINT64_FORMAT
         " max-size-buffers=0 max-size-bytes=0 in front of genreclassify: it drops the windows inference cannot keep "
         "up with", s.max_delay));
  return TRUE;
}

static gboolean stop(GstBaseTransform* trans) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(trans);
  self->stream->drop_held();
  self->stream->tracker.reset();
  GST_OBJECT_LOCK(self);
  self->window_interval = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

// ---- GObject / GstElement ------------------------------------------------------------------

static GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  const GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_genre_classify_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) GST_GENRE_CLASSIFY(element)->model->classifier.reset();
  return ret;
}

static void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(object);
  GST_OBJECT_LOCK(self);
  Settings& s = *self->settings;
  switch (id) {
    case PROP_MODEL: s.model = g_value_get_string(value) ? g_value_get_string(value) : ""; break;
    case PROP_DEVICE: s.device = Device(g_value_get_enum(value)); break;
    case PROP_THREADS: s.threads = g_value_get_uint(value); break;
    case PROP_TOP_K: s.tracker.top_k = int(g_value_get_uint(value)); break;
    case PROP_SMOOTHING: s.tracker.smoothing = Smoothing(g_value_get_enum(value)); break;
    case PROP_EMA_ALPHA: s.tracker.ema_alpha = g_value_get_double(value); break;
    case PROP_MIN_CONFIDENCE: s.tracker.min_confidence = g_value_get_double(value); break;
    case PROP_SILENCE_FLOOR: s.tracker.silence_floor_db = g_value_get_double(value); break;
    case PROP_DECODING: s.tracker.decoding = Decoding(g_value_get_enum(value)); break;
    case PROP_POST_MESSAGES: s.post_messages = g_value_get_boolean(value); break;
    case PROP_EMIT_TAGS: s.emit_tags = g_value_get_boolean(value); break;
    case PROP_BATCH: s.batch = g_value_get_uint(value); break;
    case PROP_LEAKY: s.leaky = g_value_get_boolean(value); break;
    case PROP_MAX_DELAY: s.max_delay = g_value_get_uint64(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(object);
  GST_OBJECT_LOCK(self);
  const Settings& s = *self->settings;
  switch (id) {
    case PROP_MODEL: g_value_set_string(value, s.model.c_str()); break;
    case PROP_DEVICE: g_value_set_enum(value, int(s.device)); break;
    case PROP_THREADS: g_value_set_uint(value, s.threads); break;
    case PROP_TOP_K: g_value_set_uint(value, guint(s.tracker.top_k)); break;
    case PROP_SMOOTHING: g_value_set_enum(value, int(s.tracker.smoothing)); break;
    case PROP_EMA_ALPHA: g_value_set_double(value, s.tracker.ema_alpha); break;
    case PROP_MIN_CONFIDENCE: g_value_set_double(value, s.tracker.min_confidence); break;
    case PROP_SILENCE_FLOOR: g_value_set_double(value, s.tracker.silence_floor_db); break;
    case PROP_DECODING: g_value_set_enum(value, int(s.tracker.decoding)); break;
    case PROP_POST_MESSAGES: g_value_set_boolean(value, s.post_messages); break;
    case PROP_EMIT_TAGS: g_value_set_boolean(value, s.emit_tags); break;
    case PROP_BATCH: g_value_set_uint(value, s.batch); break;
    case PROP_LEAKY: g_value_set_boolean(value, s.leaky); break;
    case PROP_MAX_DELAY: g_value_set_uint64(value, s.max_delay); break;
    case PROP_SKIPPED: g_value_set_uint64(value, self->skipped); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void finalize(GObject* object) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(object);
  self->stream->drop_held();
  delete self->stream;
  delete self->model;
  delete self->settings;
  G_OBJECT_CLASS(gst_genre_classify_parent_class)->finalize(object);
}

static void gst_genre_classify_init(GstGenreClassify* self) {
  self->settings = new Settings();
  self->model = new LoadedModel();
  self->stream = new Stream();
  self->window_interval = GST_CLOCK_TIME_NONE;
  self->skipped = 0;
  // An analyser: buffers go out as they came in (the meta aside), and allocation queries go upstream.
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_genre_classify_class_init(GstGenreClassifyClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(change_state);
  trans_class->set_caps = GST_DEBUG_FUNCPTR(set_caps);
  trans_class->submit_input_buffer = GST_DEBUG_FUNCPTR(submit_input_buffer);
  trans_class->generate_output = GST_DEBUG_FUNCPTR(generate_output);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(sink_event);
  trans_class->query = GST_DEBUG_FUNCPTR(query);
  trans_class->start = GST_DEBUG_FUNCPTR(start);
  trans_class->stop = GST_DEBUG_FUNCPTR(stop);

  const auto ready = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto playing = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto deprecated = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_DEPRECATED);
  const TrackerOptions dt;
  g_object_class_install_property(gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model", "Path of the model bundle (model.pt, written by genre-train): a "
          "TorchScript archive with its classes, input shape and preprocessing; loaded at READY->PAUSED "
          "(again only when model, device, threads or batch changed)", "", ready));
  g_object_class_install_property(gobject_class, PROP_DEVICE,
      g_param_spec_enum("device", "Device", "Where inference runs; cuda needs a CUDA build of LibTorch "
          "(meson -Dlibtorch=...) and a GPU",
          genreclassify_device_get_type(), int(Device::Auto), ready));
  g_object_class_install_property(gobject_class, PROP_THREADS,
      g_param_spec_uint("threads", "Threads", "LibTorch intra-op threads of the streaming thread's forward passes "
          "(0 = LibTorch's default); LibTorch shares its thread pool across the process",
          0, 1024, kDefaultThreads, ready));
  g_object_class_install_property(gobject_class, PROP_TOP_K,
      g_param_spec_uint("top-k", "Top k", "Classes listed per message, best first (fewer when the model has fewer)",
          1, 100000, kDefaultTopK, playing));
  g_object_class_install_property(gobject_class, PROP_SMOOTHING,
      g_param_spec_enum("smoothing", "Smoothing", "How the running verdict follows the windows; a change "
          "restarts it", genreclassify_smoothing_get_type(), int(dt.smoothing), playing));
  g_object_class_install_property(gobject_class, PROP_EMA_ALPHA,
      g_param_spec_double("ema-alpha", "EMA alpha", "smoothing=ema: weight of the newest window "
          "(s = alpha * p + (1 - alpha) * s); 1 = no smoothing", 0.001, 1.0, dt.ema_alpha, playing));
  g_object_class_install_property(gobject_class, PROP_MIN_CONFIDENCE,
      g_param_spec_double("min-confidence", "Minimum confidence", "A verdict scoring below this is uncertain: "
          "messages say confident=false and no genre tag is sent", 0.0, 1.0, dt.min_confidence, playing));
  g_object_class_install_property(gobject_class, PROP_SILENCE_FLOOR,
      g_param_spec_double("silence-floor", "Silence floor", "A window whose loudest mel value is below this "
          "(dB of mel power, ref 1.0, as specresize measures it before any normalisation; digital silence is "
          "-100, white noise 80 dB below full scale about -59, a full-scale tone about +40) holds no signal: "
          "silence is not a genre. "
          "Its message says silent=true with no labels or verdict, it is not classified and it is left out of "
          "the running and whole-stream verdicts; -1000 = never silent",
          -1000.0, 0.0, dt.silence_floor_db, playing));
  g_object_class_install_property(gobject_class, PROP_DECODING,
      g_param_spec_enum("decoding", "Decoding", "How verdicts are made from the probabilities: argmax (the most "
          "probable genre and, apart, the most probable macrogenre) or crm (the genre of least expected distance "
          "in the bundle's genre tree and its own macrogenre, so both levels agree; a multi-label bundle refuses "
          "it with an error). Decodes the messages' verdict and verdict-macrogenre (running and whole-stream) and "
          "the tags; labels, scores and macrogenre stay the probability ranking; messages name it in their decoding "
          "field", genreclassify_decoding_get_type(), int(dt.decoding), playing));
  g_object_class_install_property(gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages", "Post a `genre` element message per classified "
          "window and one with the whole-stream verdict at EOS", TRUE, playing));
  g_object_class_install_property(gobject_class, PROP_EMIT_TAGS,
      g_param_spec_boolean("emit-tags", "Emit tags", "Send a genre tag event downstream when the confident "
          "verdict changes and at EOS", TRUE, playing));
  g_object_class_install_property(gobject_class, PROP_BATCH,
      g_param_spec_uint("batch", "Batch", "Windows per forward pass (a short pass is padded to this shape, the "
          "one the model was warmed up on): windows are held until this many have arrived, or EOS, a new "
          "segment or caps, a gap or a drain query sends them on; adds batch - 1 window intervals to the latency",
          1, 1024, kDefaultBatch, ready));
  g_object_class_install_property(gobject_class, PROP_LEAKY,
      g_param_spec_boolean("leaky", "Leaky", "Deprecated, no effect (a warning at start when true): to never "
          "block a live source put queue leaky=downstream max-size-time=1000000000 max-size-buffers=0 "
          "max-size-bytes=0 in front of genreclassify; the windows it drops are counted in `skipped`",
          FALSE, deprecated));
  g_object_class_install_property(gobject_class, PROP_MAX_DELAY,
      g_param_spec_uint64("max-delay", "Maximum delay", "Deprecated, no effect: the leaky queue's max-size-time "
          "(ns) in front of genreclassify bounds how long a window waits", 0, G_MAXUINT64, kDefaultMaxDelay,
          deprecated));
  g_object_class_install_property(gobject_class, PROP_SKIPPED,
      g_param_spec_uint64("skipped", "Skipped", "Windows lost in front of the element since it started (a leaky "
          "queue dropped them): gaps in specresize's window indices", 0, G_MAXUINT64, 0,
          GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "Music genre classifier", "Filter/Analyzer/Audio",
      "Classifies specresize's spectrogram images with a LibTorch model bundle: a `genre` message per window "
      "(top-k labels, macrogenre, smoothed verdict), the whole-stream verdict at EOS, genre tags and a "
      "GenreScoresMeta on each buffer, which otherwise passes through unchanged. Live: put "
      "queue leaky=downstream max-size-time=1000000000 in front, so late windows are dropped, not waited for",
      "gst-genre developers");

  gst_type_mark_as_plugin_api(genreclassify_device_get_type(), GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(genreclassify_smoothing_get_type(), GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(genreclassify_decoding_get_type(), GstPluginAPIFlags(0));
  GST_DEBUG_CATEGORY_INIT(gst_genre_classify_debug, "genreclassify", 0, "music genre classification");
}
