/**
 * SECTION:element-specresize
 *
 * Turns the frame stream of melspec into the fixed-size images a model
 * takes: one image per clip (window-frames=0, for dataset conversion) or one
 * per sliding window (live classification). Each output buffer is one float32
 * tensor, dimensions width:height:channels:1 (a PyTorch NCHW tensor, N = 1):
 * rows are mel bins (row 0 = mel bin 0 unless low-freq-at=bottom), columns
 * are time.
 *
 * Per window, in this order: dB on the full-resolution window (librosa
 * power_to_db with db-ref and top-db; re-applied when the input is already
 * dB), short windows padded with the window's dB floor or repeated, resize,
 * colour map (min-max to [0,1] first), normalisation.
 * |[
 * gst-launch-1.0 filesrc location=clip.mp3 ! decodebin ! audioconvert ! audioresample ! \
 *     melspec sample-rate=22050 ! specresize channels=3 colormap=viridis normalization=imagenet ! fakesink
 * ]|
 *
 * Timestamps: PTS = the window's first frame, DURATION = the window length,
 * OFFSET = the window index within the clip; a GenreWindowMeta carries the
 * index and the time range relative to the clip start. A clip ends at EOS, at
 * a new segment, at a DISCONT buffer, or when melspec's n-mels, scale or frame
 * rate changes; FLUSH drops it.
 */
#include "gstspecresize.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "elements.h"
#include "image/frame_windower.h"
#include "image/specresize_parameters.h"
#include "image/spectrogram_renderer.h"
#include "parameter_properties.h"
#include "tensor_caps.h"
#include "window_meta.h"

GST_DEBUG_CATEGORY_STATIC(gst_specresize_debug);
#define GST_CAT_DEFAULT gst_specresize_debug

using genre::image::FrameWindower;
using genre::image::ImageConfig;
using genre::image::InputScale;
using genre::image::InputScaleChoice;
using genre::image::specresize_parameters;
using genre::image::SpectrogramRenderer;
using genre::image::Window;
using genre::image::WindowConfig;

namespace {

// Properties, guarded by the object lock; copied when the element starts and
// when caps arrive.
using Settings = genre::image::SpecresizeSettings;

// Streaming state, touched only from the streaming thread (and at state
// changes, when streaming has stopped).
struct State {
  bool configured = false;
  guint n_mels = 0;
  InputScale scale = InputScale::Db;
  gint frame_rate_n = 0, frame_rate_d = 1;  // frames per second from the caps; 0/1 unknown
  guint64 frame_num = 0, frame_den = 0;     // one frame lasts frame_num/frame_den ns; 0 = unknown
  WindowConfig window;
  ImageConfig image;
  std::unique_ptr<FrameWindower> windower;
  std::unique_ptr<SpectrogramRenderer> renderer;
  GstClockTime clip_pts = GST_CLOCK_TIME_NONE;  // PTS of the clip's first frame
  bool discont = true;                           // mark the next output buffer
  std::vector<GstBuffer*> ready;                 // rendered, not yet pushed

  GstClockTime frame_time(guint64 frame) const {
    return frame_den ? gst_util_uint64_scale(frame, frame_num, frame_den) : GST_CLOCK_TIME_NONE;
  }
};

}  // namespace

struct _GstSpecresize {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  Settings* settings;
  State* state;
  GstClockTime window_latency;  // object lock; what a sliding window adds to the latency
};

G_DEFINE_TYPE(GstSpecresize, gst_specresize, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(specresize, "specresize", GST_RANK_NONE, GST_TYPE_SPECRESIZE)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK,
    GST_PAD_ALWAYS, GST_STATIC_CAPS(genre::kTensorTemplateCaps));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC,
    GST_PAD_ALWAYS, GST_STATIC_CAPS(genre::kTensorTemplateCaps));

// ---- configuration -----------------------------------------------------------

static void post_settings_error(GstSpecresize* self, const char* what) {
  GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("Invalid specresize properties: %s", what), (nullptr));
}

static bool resolve_settings(GstSpecresize* self, WindowConfig* window, ImageConfig* image,
                             InputScaleChoice* scale) {
  GST_OBJECT_LOCK(self);
  const Settings settings = *self->settings;
  GST_OBJECT_UNLOCK(self);
  try {
    settings.resolve(window, image);
  } catch (const std::invalid_argument& e) {
    post_settings_error(self, e.what());
    return false;
  }
  *scale = settings.input_scale;
  return true;
}

// Every setting in effect travels downstream as a sticky event, after caps and
// before the first image, so sinks (datasetsink) can record them.
static GstEvent* params_event(const State& st) {
  return genre::table_params_event(specresize_parameters(), genre::image::SpecresizeInEffect{st.window, st.image, st.n_mels});
}

// ---- windows -> buffers --------------------------------------------------------

static void render_window(GstSpecresize* self, const Window& w) {
  State& st = *self->state;
  const gsize bytes = st.renderer->output_floats() * sizeof(float);
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, bytes, nullptr);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  st.renderer->render(w, st.n_mels, reinterpret_cast<float*>(map.data));
  gst_buffer_unmap(buf, &map);

  const GstClockTime start = st.frame_time(w.start_frame);
  const GstClockTime end = st.frame_time(w.start_frame + w.window_frames);
  GST_BUFFER_PTS(buf) = GST_CLOCK_TIME_IS_VALID(st.clip_pts) && GST_CLOCK_TIME_IS_VALID(start)
                            ? st.clip_pts + start : GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION(buf) = GST_CLOCK_TIME_IS_VALID(start) ? end - start : GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET(buf) = w.index;
  GST_BUFFER_OFFSET_END(buf) = w.index + 1;
  if (st.discont) {
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
    st.discont = false;
  }
  GenreWindowMeta* meta = gst_buffer_add_genre_window_meta(buf);
  meta->window_index = w.index;
  meta->start = start;
  meta->end = end;
  meta->window_frames = w.window_frames;
  meta->valid_frames = w.valid_frames;
  meta->whole_clip = w.whole_clip;
  meta->level_db = genre::image::peak_db(w.frames, size_t(w.valid_frames) * st.n_mels, st.image.input_scale,
                                         st.image.amin);
  st.ready.push_back(buf);
}

// Pushes the rendered images in order; after a failure the rest are dropped.
static GstFlowReturn push_ready(GstSpecresize* self) {
  State& st = *self->state;
  std::vector<GstBuffer*> ready;
  ready.swap(st.ready);
  GstFlowReturn ret = GST_FLOW_OK;
  for (GstBuffer* buf : ready) {
    if (ret == GST_FLOW_OK)
      ret = gst_pad_push(self->srcpad, buf);
    else
      gst_buffer_unref(buf);
  }
  return ret;
}

static FrameWindower::Emit emitter(GstSpecresize* self) {
  return [self](const Window& w) { render_window(self, w); };
}

// Ends the clip: its last window as short-policy says, everything pushed.
static GstFlowReturn finish_clip(GstSpecresize* self) {
  State& st = *self->state;
  if (st.windower) {
    try {
      st.windower->finish(emitter(self));
    } catch (const std::exception& e) {
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not render the last window: %s", e.what()), (nullptr));
      st.windower->reset();
    }
  }
  st.clip_pts = GST_CLOCK_TIME_NONE;
  st.discont = true;
  return push_ready(self);
}

static void drop_clip(State& st) {
  if (st.windower) st.windower->reset();
  for (GstBuffer* buf : st.ready) gst_buffer_unref(buf);
  st.ready.clear();
  st.clip_pts = GST_CLOCK_TIME_NONE;
  st.discont = true;
}

// ---- caps -----------------------------------------------------------------

static bool set_src_caps(GstSpecresize* self) {
  State& st = *self->state;
  genre::TensorInfo info;
  info.dims = {guint(st.image.width), guint(st.image.height), guint(st.image.channels), 1};
  // Images per second: none in per-clip mode, frame rate / hop when sliding.
  if (!st.window.whole_clip() && st.frame_rate_n > 0)
    gst_util_fraction_multiply(st.frame_rate_n, st.frame_rate_d, 1, gint(st.window.effective_hop()),
                               &info.fps_n, &info.fps_d);
  GstCaps* caps = genre::tensor_caps_new(info);
  GstCaps* current = gst_pad_get_current_caps(self->srcpad);
  bool ok = true;
  if (!current || !gst_caps_is_equal(current, caps)) {
    ok = gst_pad_set_caps(self->srcpad, caps);
    if (!ok) {
      gchar* text = gst_caps_to_string(caps);
      GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Downstream refused the image caps %s", text),
          ("check width, height and channels against what the next element expects"));
      g_free(text);
    }
  }
  if (current) gst_caps_unref(current);
  gst_caps_unref(caps);
  return ok;
}

static gboolean handle_caps(GstSpecresize* self, GstCaps* caps) {
  State& st = *self->state;
  genre::TensorInfo info;
  std::string error;
  if (!genre::tensor_caps_parse(caps, &info, &error)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("specresize takes melspec's frames: %s", error.c_str()),
        ("put melspec in front of specresize"));
    return FALSE;
  }
  if (info.dims[2] != 1 || info.dims[3] != 1) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("specresize takes frames of n-mels floats "
        "(dimensions n_mels:frames:1:1), got dimensions %s",
        genre::tensor_dims_to_string(info.dims).c_str()), ("put melspec in front of specresize"));
    return FALSE;
  }
  WindowConfig window;
  ImageConfig image;
  InputScaleChoice choice;
  if (!resolve_settings(self, &window, &image, &choice)) return FALSE;

  const GstStructure* s = gst_caps_get_structure(caps, 0);
  const char* field = gst_structure_get_string(s, "spectrum-scale");
  InputScale scale;
  if (choice == InputScaleChoice::Db) {
    scale = InputScale::Db;
  } else if (choice == InputScaleChoice::Power) {
    scale = InputScale::Power;
  } else if (field && g_str_equal(field, "db")) {
    scale = InputScale::Db;
  } else if (field && g_str_equal(field, "power")) {
    scale = InputScale::Power;
  } else {
    gchar* text = gst_caps_to_string(caps);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("specresize cannot tell whether its input is power or dB: "
        "the caps have %s; set input-scale=db or input-scale=power",
        field ? "an unknown spectrum-scale" : "no spectrum-scale field"),
        ("input-scale=auto reads melspec's spectrum-scale caps field; caps: %s", text));
    g_free(text);
    return FALSE;
  }
  // Frames per second: melspec's framerate counts buffers of dims[1] frames.
  gint rate_n = 0, rate_d = 1;
  if (info.fps_n > 0) gst_util_fraction_multiply(info.fps_n, info.fps_d, gint(info.dims[1]), 1, &rate_n, &rate_d);

  // Only the frame count per buffer changed (melspec's last short buffer): same clip.
  if (st.configured && st.n_mels == info.dims[0] && st.scale == scale && st.frame_rate_n == rate_n &&
      st.frame_rate_d == rate_d)
    return TRUE;

  // Frames of the previous format end their clip with the previous settings.
  if (finish_clip(self) != GST_FLOW_OK) GST_DEBUG_OBJECT(self, "could not drain before new caps");
  image.input_scale = scale;
  try {
    st.windower = std::make_unique<FrameWindower>(window, info.dims[0]);
    st.renderer = std::make_unique<SpectrogramRenderer>(image);
  } catch (const std::invalid_argument& e) {
    post_settings_error(self, e.what());
    st.configured = false;
    return FALSE;
  }
  st.window = window;
  st.image = image;
  st.n_mels = info.dims[0];
  st.scale = scale;
  st.frame_rate_n = rate_n;
  st.frame_rate_d = rate_d;
  st.frame_num = rate_n > 0 ? guint64(rate_d) * GST_SECOND : 0;
  st.frame_den = rate_n > 0 ? guint64(rate_n) : 0;
  st.configured = true;
  GST_OBJECT_LOCK(self);
  self->window_latency = window.whole_clip() ? 0 : st.frame_time(window.window_frames);
  if (!GST_CLOCK_TIME_IS_VALID(self->window_latency)) self->window_latency = 0;
  GST_OBJECT_UNLOCK(self);
  drop_clip(st);
  if (!set_src_caps(self)) return FALSE;
  gst_pad_push_event(self->srcpad, params_event(st));
  return TRUE;
}

// ---- pads --------------------------------------------------------------------

static gboolean sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstSpecresize* self = GST_SPECRESIZE(parent);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      gboolean ok = handle_caps(self, caps);
      gst_event_unref(event);  // specresize sends caps of its own
      return ok;
    }
    case GST_EVENT_SEGMENT:
    case GST_EVENT_EOS:
      // The clip ends: its images go out before the event.
      finish_clip(self);
      return gst_pad_event_default(pad, parent, event);
    case GST_EVENT_FLUSH_STOP:
      drop_clip(*self->state);
      return gst_pad_event_default(pad, parent, event);
    default:
      return gst_pad_event_default(pad, parent, event);
  }
}

static gboolean src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstSpecresize* self = GST_SPECRESIZE(parent);
  if (GST_QUERY_TYPE(query) != GST_QUERY_LATENCY) return gst_pad_query_default(pad, parent, query);
  if (!gst_pad_peer_query(self->sinkpad, query)) return FALSE;
  // A sliding window leaves when its last frame arrives, one window after its PTS.
  GST_OBJECT_LOCK(self);
  const GstClockTime ours = self->window_latency;
  GST_OBJECT_UNLOCK(self);
  if (ours > 0) {
    gboolean live;
    GstClockTime min, max;
    gst_query_parse_latency(query, &live, &min, &max);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID(max)) max += ours;
    gst_query_set_latency(query, live, min, max);
  }
  return TRUE;
}

static GstFlowReturn sink_chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  GstSpecresize* self = GST_SPECRESIZE(parent);
  State& st = *self->state;
  if (!st.configured) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("specresize received frames before caps"), (nullptr));
    gst_buffer_unref(buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  // A DISCONT starts a new clip; the frames so far end theirs.
  if (GST_BUFFER_IS_DISCONT(buf) && st.windower->clip_frames() > 0) {
    GstFlowReturn ret = finish_clip(self);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unref(buf);
      return ret;
    }
  }
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map an input buffer"), (nullptr));
    gst_buffer_unref(buf);
    return GST_FLOW_ERROR;
  }
  const gsize frame_bytes = gsize(st.n_mels) * sizeof(float);
  if (map.size % frame_bytes != 0) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Input buffer of %" G_GSIZE_FORMAT " bytes is not whole frames "
        "of %u floats", map.size, st.n_mels), ("the caps say n_mels=%u", st.n_mels));
    gst_buffer_unmap(buf, &map);
    gst_buffer_unref(buf);
    return GST_FLOW_ERROR;
  }
  const gsize frames = map.size / frame_bytes;
  if (st.windower->clip_frames() == 0) st.clip_pts = GST_BUFFER_PTS(buf);
  // No framerate in the caps: the frame length from the buffer's duration.
  if (st.frame_den == 0 && frames > 0 && GST_BUFFER_DURATION_IS_VALID(buf)) {
    st.frame_num = GST_BUFFER_DURATION(buf);
    st.frame_den = frames;
  }
  GstFlowReturn ret = GST_FLOW_OK;
  try {
    st.windower->push(reinterpret_cast<const float*>(map.data), frames, emitter(self));
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not render a window: %s", e.what()), (nullptr));
    ret = GST_FLOW_ERROR;
  }
  gst_buffer_unmap(buf, &map);
  gst_buffer_unref(buf);
  if (ret != GST_FLOW_OK) {
    drop_clip(st);
    return ret;
  }
  return push_ready(self);
}

// ---- GObject / GstElement ----------------------------------------------------------

static GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  GstSpecresize* self = GST_SPECRESIZE(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    WindowConfig window;
    ImageConfig image;
    InputScaleChoice choice;
    if (!resolve_settings(self, &window, &image, &choice)) return GST_STATE_CHANGE_FAILURE;
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_specresize_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    State& st = *self->state;
    drop_clip(st);
    st.windower.reset();
    st.renderer.reset();
    st.configured = false;
    st.frame_num = st.frame_den = 0;
    GST_OBJECT_LOCK(self);
    self->window_latency = 0;
    GST_OBJECT_UNLOCK(self);
  }
  return ret;
}

static void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  GstSpecresize* self = GST_SPECRESIZE(object);
  GST_OBJECT_LOCK(self);
  const bool known = genre::set_table_property(specresize_parameters(), *self->settings, id, value);
  GST_OBJECT_UNLOCK(self);
  if (!known) G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstSpecresize* self = GST_SPECRESIZE(object);
  GST_OBJECT_LOCK(self);
  const bool known = genre::get_table_property(specresize_parameters(), *self->settings, id, value);
  GST_OBJECT_UNLOCK(self);
  if (!known) G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void finalize(GObject* object) {
  GstSpecresize* self = GST_SPECRESIZE(object);
  drop_clip(*self->state);
  delete self->state;
  delete self->settings;
  G_OBJECT_CLASS(gst_specresize_parent_class)->finalize(object);
}

static void gst_specresize_init(GstSpecresize* self) {
  self->settings = new Settings();
  self->state = new State();
  self->window_latency = 0;

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(sink_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad, GST_DEBUG_FUNCPTR(src_query));
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_specresize_class_init(GstSpecresizeClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(change_state);

  genre::install_table_properties(gobject_class, specresize_parameters());

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "Spectrogram to image", "Filter/Converter/Video",
      "Turns melspec's mel frames into fixed-size model input images (NCHW float32 tensors), "
      "one per clip or per sliding window, with dB, resize, colour map and normalisation",
      "gst-genre developers");

  GST_DEBUG_CATEGORY_INIT(gst_specresize_debug, "specresize", 0, "spectrogram frames to images");
}
