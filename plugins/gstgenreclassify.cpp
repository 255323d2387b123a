/**
 * SECTION:element-genreclassify
 *
 * Music genre predictions from the images of specresize, with a model bundle
 * written by genre-train (a TorchScript archive that carries its classes, its
 * input shape and the preprocessing it was trained on). Buffers pass through
 * unchanged, each classified window with a GenreScoresMeta, so the element
 * can sit anywhere after specresize.
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
 * verdict-macrogenre-score, confident), skipped, silent=FALSE, final=FALSE. At
 * EOS a final `genre` message holds the whole-stream verdict (the mean of every
 * window's probabilities), final=TRUE, windows and silent-windows. A
 * GST_TAG_GENRE tag event goes downstream whenever the confident verdict
 * changes and at EOS.
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
 * Inference runs on the element's own thread behind a queue. leaky=false
 * (offline) blocks upstream while `batch` windows wait, and classifies full
 * batches. leaky=true (live) never blocks upstream and never waits for a batch
 * to fill: a window that has waited longer than max-delay when inference gets
 * to it passes unclassified, counted in `skipped`, so latency never builds
 * (bursts, such as the several windows one melspec buffer completes, are not
 * skipped while inference keeps up). A FLUSH or a new segment
 * restarts both verdicts; a DISCONT restarts the running one.
 *
 * Latency: the element adds what it may hold a window to the LATENCY query's
 * min and max: max-delay with leaky=true, and (batch - 1) window intervals
 * (1 / the caps framerate) with leaky=false; it posts a LATENCY message when
 * the window rate changes that. Forward-pass time is processing time (the
 * sinks' processing-deadline covers it).
 */
#include "gstgenreclassify.h"

#include <cmath>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "enum_type.h"
#include "genreclassify_message.h"
#include "genreclassify_meta.h"
#include "infer/classifier.h"
#include "infer/preprocessing_check.h"
#include "infer/verdict_tracker.h"
#include "structure_json.h"
#include "tensor_caps.h"
#include "window_meta.h"

GST_DEBUG_CATEGORY_STATIC(gst_genre_classify_debug);
#define GST_CAT_DEFAULT gst_genre_classify_debug

using genre::infer::Classifier;
using genre::infer::ClassifierOptions;
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
constexpr guint64 kDefaultMaxDelay = GST_SECOND;
// leaky=true: windows held at most, whatever max-delay says (a forward pass stuck for long must not fill memory).
constexpr guint kLeakyMaxPending = 64;

// Properties, guarded by the object lock.
struct Settings {
  std::string model;
  Device device = Device::Auto;
  guint threads = kDefaultThreads;
  TrackerOptions tracker;
  bool post_messages = true;
  bool emit_tags = true;
  guint batch = kDefaultBatch;
  bool leaky = false;
  guint64 max_delay = kDefaultMaxDelay;
};

// The loaded model and what it was loaded with; reloaded at READY->PAUSED only
// when those settings changed, so a pipeline reused through READY keeps it.
struct LoadedModel {
  std::string path;
  Device device = Device::Auto;
  guint threads = 0;
  guint batch = 0;
  std::unique_ptr<Classifier> classifier;
};

// A buffer or a serialized event on its way to the inference thread.
struct Item {
  GstMiniObject* object;
  bool skip;          // a buffer let through unclassified (leaky)
  gint64 queued_at;   // g_get_monotonic_time() when it arrived
};

// Between the upstream streaming thread and the inference task: `lock` guards
// every field, `cond` signals any change.
struct Queue {
  GMutex lock;
  GCond cond;
  std::deque<Item> items;
  guint pending = 0;        // buffers in `items` still to classify
  guint batch = kDefaultBatch;
  bool leaky = false;
  gint64 max_delay_us = gint64(kDefaultMaxDelay / GST_USECOND);
  bool busy = false;        // the task is working on items it took
  guint drains = 0;         // serialized queries waiting for the queue to empty
  GstFlowReturn srcresult = GST_FLOW_FLUSHING;  // OK while running
  guint64 skipped = 0;
  GstClockTime window_interval = GST_CLOCK_TIME_NONE;  // 1 / the caps framerate (sliding windows)
};

// The inference task's own state (also touched at state changes and flushes,
// when the task is stopped or paused).
struct Worker {
  std::unique_ptr<VerdictTracker> tracker;
  GstSegment segment;
  guint64 windows = 0;  // classified since start: the window number without GenreWindowMeta
  GstClockTime first_pts = GST_CLOCK_TIME_NONE;
  GstClockTime last_end = GST_CLOCK_TIME_NONE;

  void restart() {
    if (tracker) tracker->reset();
    first_pts = last_end = GST_CLOCK_TIME_NONE;
  }
};

}  // namespace

struct _GstGenreClassify {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  Settings* settings;
  LoadedModel* model;  // set at READY->PAUSED, read by both streaming threads
  Queue* queue;
  Worker* worker;
};

G_DEFINE_TYPE(GstGenreClassify, gst_genre_classify, GST_TYPE_ELEMENT)
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

// The GenreWindowMeta API registered by the `genre` plugin, looked up by name:
// this library does not register a second copy. 0 while that plugin is not loaded.
static GType window_meta_api() {
  static GType api = 0;
  if (api == 0) api = g_type_from_name("GenreWindowMetaAPI");
  return api;
}

// Unrefs everything queued; with `keep_sticky`, sticky events other than
// segment and EOS stay (a flush must not lose caps and params downstream has not seen).
static void drop_items(Queue& q, bool keep_sticky) {
  std::deque<Item> kept;
  for (Item& it : q.items) {
    if (keep_sticky && GST_IS_EVENT(it.object)) {
      GstEvent* ev = GST_EVENT(it.object);
      if (GST_EVENT_IS_STICKY(ev) && GST_EVENT_TYPE(ev) != GST_EVENT_SEGMENT && GST_EVENT_TYPE(ev) != GST_EVENT_EOS) {
        kept.push_back(it);
        continue;
      }
    }
    gst_mini_object_unref(it.object);
  }
  q.items.swap(kept);
  q.pending = 0;
}

static void set_srcresult(GstGenreClassify* self, GstFlowReturn ret) {
  Queue& q = *self->queue;
  g_mutex_lock(&q.lock);
  q.srcresult = ret;
  g_cond_broadcast(&q.cond);
  g_mutex_unlock(&q.lock);
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

// The longest this element holds a window before it goes downstream, which
// it adds to the LATENCY query's min and max (as GstAggregator and
// GstAudioDecoder add theirs): leaky=true, max-delay (a window that waited
// that long passes unclassified); leaky=false, the batching delay, batch - 1
// window intervals (from the caps framerate; whole-clip images have none, and
// no live timing to keep). The forward pass itself is processing time, left to
// the sinks' processing-deadline.
static GstClockTime own_latency(const Queue& q) {
  if (q.leaky) return GstClockTime(q.max_delay_us) * GST_USECOND;
  if (q.batch <= 1 || !GST_CLOCK_TIME_IS_VALID(q.window_interval)) return 0;
  return GstClockTime(q.batch - 1) * q.window_interval;
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
  Queue& q = *self->queue;
  g_mutex_lock(&q.lock);
  const GstClockTime before = own_latency(q);
  q.window_interval = interval;
  const bool changed = own_latency(q) != before;
  g_mutex_unlock(&q.lock);
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

// ---- the inference task ------------------------------------------------------------------

static GenreScoresMeta* add_scores_meta(GstBuffer* buf, guint64 window, const WindowResult& r) {
  const genre::infer::RankedClass& best = r.top.front();
  return gst_buffer_add_genre_scores_meta(buf, window, r.target.data(), guint(r.target.size()),
      r.macro_scores.data(), guint(r.macro_scores.size()), best.index, best.name.c_str(),
      r.macro ? r.macro->index : -1, r.macro ? r.macro->name.c_str() : nullptr);
}

static GstEvent* genre_tag_event(const std::string& genre) {
  GstTagList* tags = gst_tag_list_new(GST_TAG_GENRE, genre.c_str(), nullptr);
  gst_tag_list_set_scope(tags, GST_TAG_SCOPE_STREAM);
  return gst_event_new_tag(tags);
}

static genre::MessageTimes window_times(const Worker& w, GstBuffer* buf) {
  genre::MessageTimes t;
  t.timestamp = GST_BUFFER_PTS(buf);
  t.duration = GST_BUFFER_DURATION(buf);
  if (GST_CLOCK_TIME_IS_VALID(t.timestamp) && w.segment.format == GST_FORMAT_TIME) {
    t.stream_time = gst_segment_to_stream_time(&w.segment, GST_FORMAT_TIME, t.timestamp);
    t.running_time = gst_segment_to_running_time(&w.segment, GST_FORMAT_TIME, t.timestamp);
  }
  return t;
}

static guint64 skipped_count(GstGenreClassify* self) {
  g_mutex_lock(&self->queue->lock);
  const guint64 n = self->queue->skipped;
  g_mutex_unlock(&self->queue->lock);
  return n;
}

// The loudness specresize measured for the window (GenreWindowMeta level_db); NAN when unknown.
static double window_level_db(GstBuffer* buf) {
  const GType api = window_meta_api();
  if (!api) return NAN;
  auto* wm = reinterpret_cast<GenreWindowMeta*>(gst_buffer_get_meta(buf, api));
  return wm ? double(wm->level_db) : NAN;
}

static guint64 window_index(Worker& w, GstBuffer* buf) {
  guint64 window = w.windows++;
  const GType api = window_meta_api();
  if (api)
    if (auto* wm = reinterpret_cast<GenreWindowMeta*>(gst_buffer_get_meta(buf, api))) window = wm->window_index;
  return window;
}

// A window without signal: counted, announced as silent, passed on without scores.
static GstFlowReturn pass_silent_window(GstGenreClassify* self, const Settings& s, GstBuffer* buf) {
  Worker& w = *self->worker;
  w.tracker->add_silent();
  const guint64 window = window_index(w, buf);
  const genre::MessageTimes t = window_times(w, buf);
  if (!GST_CLOCK_TIME_IS_VALID(w.first_pts)) w.first_pts = t.timestamp;
  if (GST_CLOCK_TIME_IS_VALID(t.timestamp) && GST_CLOCK_TIME_IS_VALID(t.duration)) w.last_end = t.timestamp + t.duration;
  if (s.post_messages) {
    GstStructure* st = genre::silent_window_message_structure(t, window, skipped_count(self));
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), st));
  }
  return gst_pad_push(self->srcpad, buf);
}

// One window through: verdict, meta, message, tag, push. `probs` is null for a skipped
// window; `silent` marks one below silence-floor (not classified).
static GstFlowReturn pass_window(GstGenreClassify* self, const Settings& s, GstBuffer* buf,
                                 const HeadProbabilities* probs, bool silent) {
  Worker& w = *self->worker;
  if (GST_BUFFER_IS_DISCONT(buf)) w.tracker->reset_running();
  if (silent) return pass_silent_window(self, s, buf);
  if (!probs) return gst_pad_push(self->srcpad, buf);

  WindowResult r;
  try {
    r = w.tracker->add(*probs);
  } catch (const std::exception& e) {  // nothing may escape a streaming thread
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not score a window: %s", e.what()), (nullptr));
    gst_buffer_unref(buf);
    return GST_FLOW_ERROR;
  }
  const guint64 window = window_index(w, buf);
  buf = gst_buffer_make_writable(buf);
  add_scores_meta(buf, window, r);

  const genre::MessageTimes t = window_times(w, buf);
  if (!GST_CLOCK_TIME_IS_VALID(w.first_pts)) w.first_pts = t.timestamp;
  if (GST_CLOCK_TIME_IS_VALID(t.timestamp) && GST_CLOCK_TIME_IS_VALID(t.duration)) w.last_end = t.timestamp + t.duration;
  if (s.post_messages) {
    GstStructure* st = genre::window_message_structure(r, t, window, skipped_count(self));
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), st));
  }
  if (s.emit_tags && r.verdict_changed) gst_pad_push_event(self->srcpad, genre_tag_event(r.verdict.name));
  return gst_pad_push(self->srcpad, buf);
}

// The stream ends: the whole-stream verdict as a message and a tag.
static void finish_stream(GstGenreClassify* self, const Settings& s) {
  Worker& w = *self->worker;
  const auto verdict = w.tracker->stream_verdict();
  const guint64 silent = w.tracker->silent_windows();
  if (!verdict && silent == 0) return;
  genre::MessageTimes t;
  t.timestamp = w.first_pts;
  if (GST_CLOCK_TIME_IS_VALID(w.first_pts) && w.segment.format == GST_FORMAT_TIME) {
    t.stream_time = gst_segment_to_stream_time(&w.segment, GST_FORMAT_TIME, w.first_pts);
    t.running_time = gst_segment_to_running_time(&w.segment, GST_FORMAT_TIME, w.first_pts);
  }
  if (GST_CLOCK_TIME_IS_VALID(w.first_pts) && GST_CLOCK_TIME_IS_VALID(w.last_end) && w.last_end >= w.first_pts)
    t.duration = w.last_end - w.first_pts;
  if (s.post_messages) {
    GstStructure* st = verdict ? genre::final_message_structure(*verdict, t, skipped_count(self))
                               : genre::silent_final_message_structure(silent, t, skipped_count(self));
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), st));
  }
  if (s.emit_tags && verdict && verdict->confident) gst_pad_push_event(self->srcpad, genre_tag_event(verdict->top.front().name));
}

static GstFlowReturn pass_event(GstGenreClassify* self, const Settings& s, GstEvent* event) {
  Worker& w = *self->worker;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment(event, &w.segment);
      w.restart();
      break;
    case GST_EVENT_STREAM_START:
      w.restart();
      break;
    case GST_EVENT_EOS:
      finish_stream(self, s);
      gst_pad_push_event(self->srcpad, event);
      return GST_FLOW_EOS;
    default:
      break;
  }
  gst_pad_push_event(self->srcpad, event);
  return GST_FLOW_OK;
}

// Classifies the buffers of `run` (all but skipped ones) in one forward pass,
// then lets every item of the run through in order. The pass always has
// `batch` images (the last one repeated), the shape the model was warmed up
// on: a new shape would make TorchScript profile and optimise again.
static GstFlowReturn pass_run(GstGenreClassify* self, const Settings& s, guint batch, std::vector<Item>& run) {
  const size_t floats = description(self).image_floats();
  std::vector<GstMapInfo> maps;
  std::vector<GstBuffer*> mapped;
  std::vector<const float*> images;
  GstFlowReturn ret = GST_FLOW_OK;
  std::vector<bool> silent(run.size(), false);  // windows without signal: not classified
  for (size_t i = 0; i < run.size(); ++i) {
    const Item& it = run[i];
    if (it.skip || GST_IS_EVENT(it.object)) continue;
    GstBuffer* buf = GST_BUFFER(it.object);
    silent[i] = self->worker->tracker->is_silent(window_level_db(buf));
    if (silent[i]) continue;
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
    images.push_back(reinterpret_cast<const float*>(map.data));
  }
  std::vector<HeadProbabilities> probs;
  if (ret == GST_FLOW_OK && !images.empty()) {
    const size_t real = images.size();
    while (images.size() < batch) images.push_back(images.back());
    try {
      probs = self->model->classifier->classify(images);
      probs.resize(real);
    } catch (const std::exception& e) {
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Inference failed: %s", e.what()), (nullptr));
      ret = GST_FLOW_ERROR;
    }
  }
  for (size_t i = 0; i < maps.size(); ++i) gst_buffer_unmap(mapped[i], &maps[i]);

  size_t next = 0;
  for (size_t i = 0; i < run.size(); ++i) {
    Item& it = run[i];
    GstMiniObject* object = it.object;
    it.object = nullptr;
    if (ret != GST_FLOW_OK) {
      gst_mini_object_unref(object);
      continue;
    }
    if (GST_IS_EVENT(object))
      ret = pass_event(self, s, GST_EVENT(object));
    else
      ret = pass_window(self, s, GST_BUFFER(object), it.skip || silent[i] ? nullptr : &probs[next++], silent[i]);
  }
  return ret;
}

static bool is_eos(const Item& it) {
  return GST_IS_EVENT(it.object) && GST_EVENT_TYPE(GST_EVENT(it.object)) == GST_EVENT_EOS;
}

// Whether the queue's front is ready to go: an event or a skipped buffer
// (alone), or a run of `batch` buffers to classify with the events between
// them; fewer when EOS follows or a query waits for the queue to drain, and any
// number when leaky (live windows never wait for a batch to fill). Events do
// not end a batch: upstream's tag events (bitrates) would cut it into pieces.
static bool front_ready(const Queue& q) {
  if (q.items.empty()) return false;
  const Item& front = q.items.front();
  if (GST_IS_EVENT(front.object) || front.skip || q.leaky || q.drains > 0) return true;
  guint count = 0;
  for (const Item& it : q.items) {
    if (is_eos(it)) return true;
    if (!GST_IS_EVENT(it.object) && !it.skip && ++count >= q.batch) return true;
  }
  return false;
}

// leaky: windows that waited longer than max-delay are let through unclassified.
static void skip_late(Queue& q, gint64 now) {
  for (Item& it : q.items) {
    if (it.skip || GST_IS_EVENT(it.object) || now - it.queued_at <= q.max_delay_us) continue;
    it.skip = true;
    --q.pending;
    ++q.skipped;
  }
}

// Takes what front_ready found: one event or skipped buffer, or a run up to
// its `batch`-th buffer to classify (never past EOS).
static std::vector<Item> take_front(Queue& q) {
  if (q.leaky) skip_late(q, g_get_monotonic_time());
  std::vector<Item> run;
  const Item& front = q.items.front();
  if (GST_IS_EVENT(front.object) || front.skip) {
    run.push_back(front);
    q.items.pop_front();
    return run;
  }
  guint count = 0;
  while (!q.items.empty() && count < q.batch && !is_eos(q.items.front())) {
    const Item it = q.items.front();
    q.items.pop_front();
    run.push_back(it);
    if (!GST_IS_EVENT(it.object) && !it.skip) ++count;
  }
  q.pending -= count;
  return run;
}

static void task_paused(GstGenreClassify* self, GstFlowReturn ret) {
  set_srcresult(self, ret);
  gst_pad_pause_task(self->srcpad);
  if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
    // As queue does: the error upstream would only see as a return value.
    GST_ELEMENT_FLOW_ERROR(self, ret);
    gst_pad_push_event(self->srcpad, gst_event_new_eos());
  }
}

static void task_loop(gpointer data) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(data);
  Queue& q = *self->queue;
  const Settings s = snapshot(self);
  g_mutex_lock(&q.lock);
  while (q.srcresult == GST_FLOW_OK && !front_ready(q)) g_cond_wait(&q.cond, &q.lock);
  if (q.srcresult != GST_FLOW_OK) {
    const GstFlowReturn ret = q.srcresult;
    g_mutex_unlock(&q.lock);
    gst_pad_pause_task(self->srcpad);
    GST_DEBUG_OBJECT(self, "task paused: %s", gst_flow_get_name(ret));
    return;
  }
  std::vector<Item> run = take_front(q);
  const guint batch = q.batch;
  q.busy = true;
  g_cond_broadcast(&q.cond);  // room for a blocked chain
  g_mutex_unlock(&q.lock);

  try {
    self->worker->tracker->set_options(s.tracker);
  } catch (const InferError& e) {
    GST_WARNING_OBJECT(self, "%s", e.what());  // ranges of the properties keep this from happening
  }
  const GstFlowReturn ret = pass_run(self, s, batch, run);

  g_mutex_lock(&q.lock);
  q.busy = false;
  g_cond_broadcast(&q.cond);
  g_mutex_unlock(&q.lock);
  if (ret != GST_FLOW_OK) task_paused(self, ret);
}

// ---- pads ------------------------------------------------------------------------------

static GstFlowReturn sink_chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(parent);
  Queue& q = *self->queue;
  g_mutex_lock(&q.lock);
  bool skip = false;
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  if (q.leaky) {
    skip = q.pending >= kLeakyMaxPending;
    if (skip) ++q.skipped;
  } else {
    while (q.srcresult == GST_FLOW_OK && q.pending >= q.batch) g_cond_wait(&q.cond, &q.lock);
  }
  const GstFlowReturn ret = q.srcresult;
  if (ret != GST_FLOW_OK) {
    g_mutex_unlock(&q.lock);
    gst_buffer_unref(buf);
    return ret;
  }
  q.items.push_back({GST_MINI_OBJECT(buf), skip, g_get_monotonic_time()});
  if (!skip) ++q.pending;
  g_cond_broadcast(&q.cond);
  g_mutex_unlock(&q.lock);
  if (skip) GST_LOG_OBJECT(self, "%u windows wait: window at %" GST_TIME_FORMAT " skipped", kLeakyMaxPending,
                           GST_TIME_ARGS(pts));
  return GST_FLOW_OK;
}

static gboolean enqueue_event(GstGenreClassify* self, GstEvent* event) {
  Queue& q = *self->queue;
  g_mutex_lock(&q.lock);
  if (q.srcresult != GST_FLOW_OK) {
    g_mutex_unlock(&q.lock);
    gst_event_unref(event);
    return FALSE;
  }
  q.items.push_back({GST_MINI_OBJECT(event), false, g_get_monotonic_time()});
  g_cond_broadcast(&q.cond);
  g_mutex_unlock(&q.lock);
  return TRUE;
}

static gboolean sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(parent);
  Queue& q = *self->queue;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_FLUSH_START: {
      set_srcresult(self, GST_FLOW_FLUSHING);
      const gboolean ok = gst_pad_push_event(self->srcpad, event);  // unblocks a push in the task
      gst_pad_pause_task(self->srcpad);
      return ok;
    }
    case GST_EVENT_FLUSH_STOP: {
      g_mutex_lock(&q.lock);
      drop_items(q, true);
      q.srcresult = GST_FLOW_OK;
      g_mutex_unlock(&q.lock);
      self->worker->restart();  // the task is paused
      gst_segment_init(&self->worker->segment, GST_FORMAT_TIME);
      const gboolean ok = gst_pad_push_event(self->srcpad, event);
      gst_pad_start_task(self->srcpad, task_loop, self, nullptr);
      return ok;
    }
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      if (!check_caps(self, caps)) {
        gst_event_unref(event);
        return FALSE;
      }
      return enqueue_event(self, event);
    }
    default:
      break;
  }
  if (is_params_event(event) && !check_params(self, gst_event_get_structure(event))) {
    gst_event_unref(event);
    return FALSE;
  }
  if (GST_EVENT_IS_SERIALIZED(event)) return enqueue_event(self, event);
  return gst_pad_event_default(pad, parent, event);
}

// Serialized queries (drain, allocation) wait until everything before them has gone downstream.
static gboolean sink_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(parent);
  if (GST_QUERY_IS_SERIALIZED(query)) {
    Queue& q = *self->queue;
    g_mutex_lock(&q.lock);
    ++q.drains;
    g_cond_broadcast(&q.cond);  // a partial batch goes now
    while (q.srcresult == GST_FLOW_OK && (!q.items.empty() || q.busy)) g_cond_wait(&q.cond, &q.lock);
    --q.drains;
    const bool running = q.srcresult == GST_FLOW_OK;
    g_mutex_unlock(&q.lock);
    if (!running) return FALSE;
  }
  return gst_pad_query_default(pad, parent, query);
}

static gboolean src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(parent);
  if (GST_QUERY_TYPE(query) != GST_QUERY_LATENCY) return gst_pad_query_default(pad, parent, query);
  if (!gst_pad_peer_query(self->sinkpad, query)) return FALSE;
  gboolean live = FALSE;
  GstClockTime min = 0, max = GST_CLOCK_TIME_NONE;
  gst_query_parse_latency(query, &live, &min, &max);
  g_mutex_lock(&self->queue->lock);
  const GstClockTime own = own_latency(*self->queue);
  g_mutex_unlock(&self->queue->lock);
  GST_DEBUG_OBJECT(self, "upstream latency min %" GST_TIME_FORMAT " max %" GST_TIME_FORMAT ", own %" GST_TIME_FORMAT,
                   GST_TIME_ARGS(min), GST_TIME_ARGS(max), GST_TIME_ARGS(own));
  min += own;
  if (GST_CLOCK_TIME_IS_VALID(max)) max += own;
  gst_query_set_latency(query, live, min, max);
  return TRUE;
}

static gboolean src_activate_mode(GstPad* pad, GstObject* parent, GstPadMode mode, gboolean active) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(parent);
  if (mode != GST_PAD_MODE_PUSH) return FALSE;
  if (active) {
    set_srcresult(self, GST_FLOW_OK);
    return gst_pad_start_task(pad, task_loop, self, nullptr);
  }
  set_srcresult(self, GST_FLOW_FLUSHING);
  const gboolean ok = gst_pad_stop_task(pad);
  g_mutex_lock(&self->queue->lock);
  drop_items(*self->queue, false);
  g_mutex_unlock(&self->queue->lock);
  return ok;
}

static gboolean sink_activate_mode(GstPad*, GstObject* parent, GstPadMode mode, gboolean active) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(parent);
  if (mode != GST_PAD_MODE_PUSH) return FALSE;
  if (!active) set_srcresult(self, GST_FLOW_FLUSHING);  // wakes a chain waiting for room
  return TRUE;
}

// ---- GObject / GstElement ------------------------------------------------------------------

static GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    const Settings s = snapshot(self);
    if (!ensure_model(self, s)) return GST_STATE_CHANGE_FAILURE;
    Worker& w = *self->worker;
    try {
      w.tracker = std::make_unique<VerdictTracker>(description(self), s.tracker);
    } catch (const InferError& e) {
      GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("%s", e.what()), (nullptr));
      return GST_STATE_CHANGE_FAILURE;
    }
    w.windows = 0;
    w.restart();
    gst_segment_init(&w.segment, GST_FORMAT_TIME);
    Queue& q = *self->queue;
    g_mutex_lock(&q.lock);
    q.batch = s.batch;
    q.leaky = s.leaky;
    q.max_delay_us = gint64(s.max_delay / GST_USECOND);
    q.skipped = 0;
    g_mutex_unlock(&q.lock);
  }
  const GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_genre_classify_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) self->worker->tracker.reset();
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) self->model->classifier.reset();
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
  if (id == PROP_SKIPPED) {
    g_value_set_uint64(value, skipped_count(self));
    return;
  }
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
    case PROP_POST_MESSAGES: g_value_set_boolean(value, s.post_messages); break;
    case PROP_EMIT_TAGS: g_value_set_boolean(value, s.emit_tags); break;
    case PROP_BATCH: g_value_set_uint(value, s.batch); break;
    case PROP_LEAKY: g_value_set_boolean(value, s.leaky); break;
    case PROP_MAX_DELAY: g_value_set_uint64(value, s.max_delay); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void finalize(GObject* object) {
  GstGenreClassify* self = GST_GENRE_CLASSIFY(object);
  drop_items(*self->queue, false);
  g_mutex_clear(&self->queue->lock);
  g_cond_clear(&self->queue->cond);
  delete self->queue;
  delete self->worker;
  delete self->model;
  delete self->settings;
  G_OBJECT_CLASS(gst_genre_classify_parent_class)->finalize(object);
}

static void gst_genre_classify_init(GstGenreClassify* self) {
  self->settings = new Settings();
  self->model = new LoadedModel();
  self->queue = new Queue();
  g_mutex_init(&self->queue->lock);
  g_cond_init(&self->queue->cond);
  self->worker = new Worker();
  gst_segment_init(&self->worker->segment, GST_FORMAT_TIME);

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(sink_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(sink_event));
  gst_pad_set_query_function(self->sinkpad, GST_DEBUG_FUNCPTR(sink_query));
  gst_pad_set_activatemode_function(self->sinkpad, GST_DEBUG_FUNCPTR(sink_activate_mode));
  GST_PAD_SET_PROXY_CAPS(self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_activatemode_function(self->srcpad, GST_DEBUG_FUNCPTR(src_activate_mode));
  gst_pad_set_query_function(self->srcpad, GST_DEBUG_FUNCPTR(src_query));
  GST_PAD_SET_PROXY_CAPS(self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_genre_classify_class_init(GstGenreClassifyClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(change_state);

  const auto ready = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto playing = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
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
      g_param_spec_uint("threads", "Threads", "LibTorch intra-op threads of the inference thread "
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
  g_object_class_install_property(gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages", "Post a `genre` element message per classified "
          "window and one with the whole-stream verdict at EOS", TRUE, playing));
  g_object_class_install_property(gobject_class, PROP_EMIT_TAGS,
      g_param_spec_boolean("emit-tags", "Emit tags", "Send a genre tag event downstream when the confident "
          "verdict changes and at EOS", TRUE, playing));
  g_object_class_install_property(gobject_class, PROP_BATCH,
      g_param_spec_uint("batch", "Batch", "Windows per forward pass (a short pass is padded to this shape, the "
          "one the model was warmed up on). leaky=false: windows wait until the batch is full (or EOS), and "
          "upstream blocks while a batch waits; leaky=true: up to this many waiting windows go in one pass, none "
          "waits for more",
          1, 1024, kDefaultBatch, ready));
  g_object_class_install_property(gobject_class, PROP_LEAKY,
      g_param_spec_boolean("leaky", "Leaky", "Live: never block upstream; when inference falls behind, windows "
          "that waited longer than max-delay pass unclassified (counted in `skipped`) instead of building latency",
          FALSE, ready));
  g_object_class_install_property(gobject_class, PROP_MAX_DELAY,
      g_param_spec_uint64("max-delay", "Maximum delay", "leaky=true: the longest a window may wait for inference "
          "(ns) before it is skipped; at most 64 windows wait in any case", 0, G_MAXUINT64, kDefaultMaxDelay, ready));
  g_object_class_install_property(gobject_class, PROP_SKIPPED,
      g_param_spec_uint64("skipped", "Skipped", "Windows let through unclassified since the element started "
          "(leaky=true only)", 0, G_MAXUINT64, 0, GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "Music genre classifier", "Filter/Analyzer/Audio",
      "Classifies specresize's spectrogram images with a LibTorch model bundle: a `genre` message per window "
      "(top-k labels, macrogenre, smoothed verdict), the whole-stream verdict at EOS, genre tags and a "
      "GenreScoresMeta on each buffer, which otherwise passes through unchanged",
      "gst-genre developers");

  gst_type_mark_as_plugin_api(genreclassify_device_get_type(), GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(genreclassify_smoothing_get_type(), GstPluginAPIFlags(0));
  GST_DEBUG_CATEGORY_INIT(gst_genre_classify_debug, "genreclassify", 0, "music genre classification");
}
