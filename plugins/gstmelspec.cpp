/**
 * SECTION:element-melspec
 *
 * Turns mono 32-bit float audio into (log-)mel spectrogram frames, computed
 * exactly as librosa.feature.melspectrogram (+ power_to_db): the same
 * windows, centre padding, Slaney or HTK mel scale and filter normalisation.
 * Frames leave as NNStreamer static tensors, frame-major: each buffer holds
 * whole frames of n-mels floats.
 *
 * Decode, downmix and resample in front of it:
 * |[
 * gst-launch-1.0 filesrc location=song.ogg ! decodebin ! audioconvert ! audioresample ! \
 *     melspec sample-rate=22050 ! fakesink
 * ]|
 *
 * Timestamps: frame k of a signal is centred at sample k*hop-length (plus
 * n-fft/2 when center=false); a buffer's PTS is its first frame's time,
 * DURATION frames*hop/rate, OFFSET the frame index since the signal started.
 * A signal ends (end padding, last frames) at EOS, at a DISCONT buffer, at a
 * new segment, at caps with another rate, or at a timestamp gap of more than
 * one second; a shorter gap is filled with zeros (the same caps sent again do
 * not end it). FLUSH drops the signal. The last buffer of a signal may
 * hold fewer frames: melspec then sends new caps with that frame count first.
 */
#include "gstmelspec.h"

#include <gst/audio/audio.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "dsp/mel_spectrogram_stream.h"
#include "dsp/melspec_parameters.h"
#include "dsp/sample_check.h"
#include "elements.h"
#include "parameter_properties.h"
#include "tensor_caps.h"

GST_DEBUG_CATEGORY_STATIC(gst_melspec_debug);
#define GST_CAT_DEFAULT gst_melspec_debug

using genre::dsp::melspec_parameters;
using genre::dsp::MelOutput;
using genre::dsp::MelSpectrogramConfig;
using genre::dsp::MelSpectrogramStream;

namespace {

// Gaps up to this long are zero-filled; longer ones end the signal.
constexpr GstClockTime kMaxZeroFill = GST_SECOND;

// Properties, guarded by the object lock; copied when caps arrive.
using Settings = genre::dsp::MelspecSettings;

// Streaming state, touched only from the streaming thread (and at state
// changes, when streaming has stopped).
struct State {
  std::unique_ptr<MelSpectrogramStream> stream;
  int rate = 0;
  guint frames_per_buffer = Settings::kDefaultFramesPerBuffer;
  GstClockTime signal_start = GST_CLOCK_TIME_NONE;  // time of sample 0 of the signal
  guint64 frames_pushed = 0;                        // frames of this signal sent downstream
  std::vector<float> frames;                        // computed, not yet sent
  size_t frames_read = 0;                           // frames of `frames` already sent
  guint caps_frames = 0;                            // frame count in the current src caps
  bool discont = true;
  GstSegment segment;

  size_t frames_waiting() const {
    return stream ? frames.size() / size_t(stream->n_mels()) - frames_read : 0;
  }
};

}  // namespace

struct _GstMelspec {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  Settings* settings;
  State* state;
  GstClockTime latency;  // object lock; what melspec adds once caps are known, NONE before
};

G_DEFINE_TYPE(GstMelspec, gst_melspec, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(melspec, "melspec", GST_RANK_NONE, GST_TYPE_MELSPEC)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format = (string) F32LE, layout = (string) interleaved, "
                    "channels = (int) 1, rate = (int) [ 1, MAX ]"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC,
    GST_PAD_ALWAYS, GST_STATIC_CAPS(genre::kTensorTemplateCaps));

// ---- caps -----------------------------------------------------------------

static GstCaps* sink_caps_for_rate(int required_rate) {
  GstCaps* caps = gst_static_pad_template_get_caps(&sink_template);
  if (required_rate > 0) {
    caps = gst_caps_make_writable(caps);
    gst_caps_set_simple(caps, "rate", G_TYPE_INT, required_rate, nullptr);
  }
  return caps;
}

static bool set_src_caps(GstMelspec* self, guint frames) {
  State& st = *self->state;
  const MelSpectrogramConfig& c = st.stream->config();
  genre::TensorInfo info;
  info.dims = {guint(c.n_mels), frames, 1, 1};
  const guint64 den = guint64(c.hop_length) * frames;
  const guint64 g = std::gcd(guint64(st.rate), den);
  info.fps_n = gint(st.rate / g);
  info.fps_d = gint(std::min<guint64>(den / g, G_MAXINT));
  GstCaps* caps = genre::tensor_caps_new(info);
  gst_caps_set_simple(caps, "spectrum-scale", G_TYPE_STRING,
                      c.output == MelOutput::Decibel ? "db" : "power", nullptr);
  const bool ok = gst_pad_set_caps(self->srcpad, caps);
  if (!ok) {
    gchar* text = gst_caps_to_string(caps);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Downstream refused the spectrogram caps %s", text),
        ("check n-mels and frames-per-buffer against what the next element expects"));
    g_free(text);
  }
  gst_caps_unref(caps);
  if (ok) st.caps_frames = frames;
  return ok;
}

// ---- pushing frames ---------------------------------------------------------

static GstClockTime frame_time(const State& st, guint64 frame) {
  const MelSpectrogramConfig& c = st.stream->config();
  const guint64 sample = frame * guint64(c.hop_length) + (c.center ? 0 : guint64(c.n_fft / 2));
  return st.signal_start + gst_util_uint64_scale_int(sample, GST_SECOND, st.rate);
}

static GstFlowReturn push_frames(GstMelspec* self, guint count) {
  State& st = *self->state;
  if (count != st.caps_frames && !set_src_caps(self, count)) return GST_FLOW_NOT_NEGOTIATED;
  const size_t n_mels = size_t(st.stream->n_mels());
  const gsize bytes = count * n_mels * sizeof(float);
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, bytes, nullptr);
  gst_buffer_fill(buf, 0, st.frames.data() + st.frames_read * n_mels, bytes);
  st.frames_read += count;

  const GstClockTime start = frame_time(st, st.frames_pushed);
  GST_BUFFER_PTS(buf) = start;
  GST_BUFFER_DURATION(buf) = frame_time(st, st.frames_pushed + count) - start;
  GST_BUFFER_OFFSET(buf) = st.frames_pushed;
  GST_BUFFER_OFFSET_END(buf) = st.frames_pushed + count;
  st.frames_pushed += count;
  if (st.discont) {
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
    st.discont = false;
  }
  return gst_pad_push(self->srcpad, buf);
}

// Sends every whole buffer; with `all`, the short remainder too.
static GstFlowReturn push_waiting(GstMelspec* self, bool all) {
  State& st = *self->state;
  GstFlowReturn ret = GST_FLOW_OK;
  while (ret == GST_FLOW_OK && st.frames_waiting() >= st.frames_per_buffer)
    ret = push_frames(self, st.frames_per_buffer);
  if (ret == GST_FLOW_OK && all && st.frames_waiting() > 0)
    ret = push_frames(self, guint(st.frames_waiting()));
  // Drop what was sent; on error drop everything so nothing is sent twice.
  if (ret != GST_FLOW_OK || st.frames_waiting() == 0) {
    st.frames.clear();
  } else {
    st.frames.erase(st.frames.begin(),
                    st.frames.begin() + std::ptrdiff_t(st.frames_read * size_t(st.stream->n_mels())));
  }
  st.frames_read = 0;
  return ret;
}

// Forgets the current signal (flush); the next samples start a new frame grid.
static void drop_signal(State& st) {
  if (st.stream) st.stream->reset();
  st.frames.clear();
  st.frames_read = 0;
  st.frames_pushed = 0;
  st.signal_start = GST_CLOCK_TIME_NONE;
  st.discont = true;
}

// Ends the current signal: end padding, last frames, everything sent. The
// next samples start a new frame grid.
static GstFlowReturn finish_signal(GstMelspec* self) {
  State& st = *self->state;
  GstFlowReturn ret = GST_FLOW_OK;
  if (st.stream && st.stream->samples_in_signal() > 0) {
    st.stream->finish(st.frames);
    ret = push_waiting(self, true);
  }
  drop_signal(st);
  return ret;
}

// ---- configuration -----------------------------------------------------------

// A buffer leaves once the last of its frames has seen n_fft/2 samples past
// its centre. NONE while the rate is unknown.
static GstClockTime added_latency(const Settings& s, int rate) {
  if (rate <= 0) return GST_CLOCK_TIME_NONE;
  const MelSpectrogramConfig& c = s.config;
  const guint64 samples = guint64(s.frames_per_buffer - 1) * c.hop_length + c.n_fft / 2 +
                          (c.center ? 0 : guint64(c.n_fft / 2));
  return gst_util_uint64_scale_int(samples, GST_SECOND, rate);
}

static void post_config_error(GstMelspec* self, const genre::dsp::ConfigError& e) {
  GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("Invalid melspec property '%s': %s",
      e.property().c_str(), e.what()), (nullptr));
}

static bool configure(GstMelspec* self, int rate) {
  Settings settings;
  GST_OBJECT_LOCK(self);
  settings = *self->settings;
  GST_OBJECT_UNLOCK(self);

  if (settings.config.sample_rate != 0 && settings.config.sample_rate != rate) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Input sample rate %d Hz is not the %d Hz "
        "required by sample-rate", rate, settings.config.sample_rate),
        ("put audioresample in front of melspec, or set sample-rate=0 to accept any rate"));
    return false;
  }
  settings.config.sample_rate = rate;
  State& st = *self->state;
  try {
    st.stream = std::make_unique<MelSpectrogramStream>(settings.config);
  } catch (const genre::dsp::ConfigError& e) {
    post_config_error(self, e);
    st.stream.reset();
    GST_OBJECT_LOCK(self);
    self->latency = GST_CLOCK_TIME_NONE;
    GST_OBJECT_UNLOCK(self);
    return false;
  }
  st.rate = rate;
  st.frames_per_buffer = settings.frames_per_buffer;
  st.caps_frames = 0;
  drop_signal(st);
  GST_OBJECT_LOCK(self);
  self->latency = added_latency(settings, rate);
  GST_OBJECT_UNLOCK(self);
  if (!set_src_caps(self, st.frames_per_buffer)) return false;
  gst_pad_push_event(self->srcpad, genre::table_params_event(melspec_parameters(), settings));
  return true;
}

static gboolean handle_caps(GstMelspec* self, GstCaps* caps) {
  GstAudioInfo info;
  if (!gst_audio_info_from_caps(&info, caps) || GST_AUDIO_INFO_FORMAT(&info) != GST_AUDIO_FORMAT_F32LE ||
      GST_AUDIO_INFO_CHANNELS(&info) != 1) {
    gchar* text = gst_caps_to_string(caps);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("melspec needs mono F32LE audio, got %s", text),
        ("put audioconvert ! audioresample in front of melspec"));
    g_free(text);
    return FALSE;
  }
  // The same audio again (a repeated caps event): the signal goes on.
  State& st = *self->state;
  if (st.stream && GST_AUDIO_INFO_RATE(&info) == st.rate) return TRUE;
  // Frames of the previous format are finished with the previous parameters.
  if (finish_signal(self) != GST_FLOW_OK) GST_DEBUG_OBJECT(self, "could not drain before new caps");
  return configure(self, GST_AUDIO_INFO_RATE(&info));
}

// ---- pads --------------------------------------------------------------------

static gboolean sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstMelspec* self = GST_MELSPEC(parent);
  State& st = *self->state;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      gboolean ok = handle_caps(self, caps);
      gst_event_unref(event);  // melspec sends caps of its own
      return ok;
    }
    case GST_EVENT_SEGMENT: {
      finish_signal(self);
      const GstSegment* segment;
      gst_event_parse_segment(event, &segment);
      if (segment->format != GST_FORMAT_TIME) {
        GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("melspec needs a TIME segment"),
            ("got a %s segment", gst_format_get_name(segment->format)));
        gst_event_unref(event);
        return FALSE;
      }
      gst_segment_copy_into(segment, &st.segment);
      return gst_pad_event_default(pad, parent, event);
    }
    case GST_EVENT_EOS:
      finish_signal(self);
      return gst_pad_event_default(pad, parent, event);
    case GST_EVENT_FLUSH_STOP:
      drop_signal(st);
      gst_segment_init(&st.segment, GST_FORMAT_TIME);
      return gst_pad_event_default(pad, parent, event);
    case GST_EVENT_GAP:
      // The next buffer's timestamp shows the gap; it is zero-filled or ends
      // the signal then. Forwarding it now would overtake frames still held.
      gst_event_unref(event);
      return TRUE;
    default:
      return gst_pad_event_default(pad, parent, event);
  }
}

static gboolean sink_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstMelspec* self = GST_MELSPEC(parent);
  if (GST_QUERY_TYPE(query) != GST_QUERY_CAPS) return gst_pad_query_default(pad, parent, query);
  GST_OBJECT_LOCK(self);
  const int required_rate = self->settings->config.sample_rate;
  GST_OBJECT_UNLOCK(self);
  GstCaps* filter;
  gst_query_parse_caps(query, &filter);
  GstCaps* caps = sink_caps_for_rate(required_rate);
  if (filter) {
    GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = both;
  }
  gst_query_set_caps_result(query, caps);
  gst_caps_unref(caps);
  return TRUE;
}

static gboolean src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstMelspec* self = GST_MELSPEC(parent);
  if (GST_QUERY_TYPE(query) != GST_QUERY_LATENCY) return gst_pad_query_default(pad, parent, query);
  if (!gst_pad_peer_query(self->sinkpad, query)) return FALSE;
  // Any thread may ask: the figure set at caps time, or the one the required
  // rate implies, read under the object lock (never the streaming state).
  GST_OBJECT_LOCK(self);
  GstClockTime ours = self->latency;
  if (!GST_CLOCK_TIME_IS_VALID(ours)) ours = added_latency(*self->settings, self->settings->config.sample_rate);
  GST_OBJECT_UNLOCK(self);
  if (GST_CLOCK_TIME_IS_VALID(ours)) {
    gboolean live;
    GstClockTime min, max;
    gst_query_parse_latency(query, &live, &min, &max);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID(max)) max += ours;
    gst_query_set_latency(query, live, min, max);
  }
  return TRUE;
}

// Before a buffer is consumed: ends the signal at a DISCONT, a large gap or a
// jump backwards; zero-fills a small forward gap.
static GstFlowReturn follow_timestamps(GstMelspec* self, GstBuffer* buf) {
  State& st = *self->state;
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  if (GST_BUFFER_IS_DISCONT(buf) && st.stream->samples_in_signal() > 0) return finish_signal(self);
  if (!GST_CLOCK_TIME_IS_VALID(st.signal_start) || !GST_CLOCK_TIME_IS_VALID(pts)) return GST_FLOW_OK;
  const guint64 have = st.stream->samples_in_signal();
  const GstClockTime expected = st.signal_start + gst_util_uint64_scale_int(have, GST_SECOND, st.rate);
  if (pts + gst_util_uint64_scale_int(1, GST_SECOND, 2 * st.rate) < expected) {
    GST_DEBUG_OBJECT(self, "timestamp went back by %" GST_TIME_FORMAT ": new signal",
                     GST_TIME_ARGS(expected - pts));
    return finish_signal(self);
  }
  if (pts <= expected) return GST_FLOW_OK;
  if (pts - expected > kMaxZeroFill) {
    GST_DEBUG_OBJECT(self, "gap of %" GST_TIME_FORMAT ": new signal", GST_TIME_ARGS(pts - expected));
    return finish_signal(self);
  }
  const guint64 missing = gst_util_uint64_scale_int_round(pts - expected, st.rate, GST_SECOND);
  if (missing == 0) return GST_FLOW_OK;
  GST_DEBUG_OBJECT(self, "zero-filling a gap of %" G_GUINT64_FORMAT " samples", missing);
  const std::vector<float> zeros(missing, 0.f);
  st.stream->push(zeros.data(), zeros.size(), st.frames);
  return GST_FLOW_OK;
}

// A NaN, Inf or absurdly large sample (dsp/sample_check.h) would turn every frame it
// touches into NaN: an error naming where in the stream it is.
static void refuse_sample(GstMelspec* self, GstBuffer* buf, size_t index, float value) {
  const State& st = *self->state;
  // On the signal's own sample grid, as the frames' timestamps are (frame_time).
  GstClockTime at = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID(st.signal_start))
    at = st.signal_start + gst_util_uint64_scale_int(st.stream->samples_in_signal() + index, GST_SECOND, st.rate);
  else if (GST_BUFFER_PTS_IS_VALID(buf))
    at = GST_BUFFER_PTS(buf) + gst_util_uint64_scale_int(index, GST_SECOND, st.rate);
  const char* what = std::isnan(value) ? "a NaN" : std::isinf(value) ? "an infinite" : "an out-of-range";
  if (GST_CLOCK_TIME_IS_VALID(at)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
        ("The audio holds %s sample (%g) at %" GST_TIME_FORMAT " in the stream", what, double(value),
         GST_TIME_ARGS(at)),
        ("melspec takes finite samples of magnitude <= %g (decoded audio is within [-1, 1]); "
         "the source or a conversion before melspec is broken", double(genre::dsp::kMaxSampleMagnitude)));
  } else {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
        ("The audio holds %s sample (%g), sample %" G_GSIZE_FORMAT " of a buffer without timestamp", what,
         double(value), index),
        ("melspec takes finite samples of magnitude <= %g (decoded audio is within [-1, 1]); "
         "the source or a conversion before melspec is broken", double(genre::dsp::kMaxSampleMagnitude)));
  }
}

static GstFlowReturn sink_chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  GstMelspec* self = GST_MELSPEC(parent);
  State& st = *self->state;
  if (!st.stream) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("melspec received audio before caps"), (nullptr));
    gst_buffer_unref(buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  GstFlowReturn ret = follow_timestamps(self, buf);
  if (ret != GST_FLOW_OK) {
    gst_buffer_unref(buf);
    return ret;
  }
  if (!GST_CLOCK_TIME_IS_VALID(st.signal_start)) {
    st.signal_start = GST_CLOCK_TIME_IS_VALID(GST_BUFFER_PTS(buf)) ? GST_BUFFER_PTS(buf)
                                                                    : st.segment.start;
  }
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map an input buffer"), (nullptr));
    gst_buffer_unref(buf);
    return GST_FLOW_ERROR;
  }
  const auto* samples = reinterpret_cast<const float*>(map.data);
  const size_t n = map.size / sizeof(float);
  if (const size_t bad = genre::dsp::first_unusable_sample(samples, n); bad < n) {
    refuse_sample(self, buf, bad, samples[bad]);
    gst_buffer_unmap(buf, &map);
    gst_buffer_unref(buf);
    return GST_FLOW_ERROR;
  }
  st.stream->push(samples, n, st.frames);
  gst_buffer_unmap(buf, &map);
  gst_buffer_unref(buf);
  return push_waiting(self, false);
}

// ---- GObject / GstElement ----------------------------------------------------------

static GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  GstMelspec* self = GST_MELSPEC(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    GST_OBJECT_LOCK(self);
    const Settings s = *self->settings;
    GST_OBJECT_UNLOCK(self);
    try {
      if (s.config.sample_rate != 0)
        s.config.validate();  // every check is possible now
      else
        s.config.validate_rate_independent();
    } catch (const genre::dsp::ConfigError& e) {
      post_config_error(self, e);
      return GST_STATE_CHANGE_FAILURE;
    }
    gst_segment_init(&self->state->segment, GST_FORMAT_TIME);
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_melspec_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    State& st = *self->state;
    drop_signal(st);
    st.stream.reset();
    st.rate = 0;
    st.caps_frames = 0;
    GST_OBJECT_LOCK(self);
    self->latency = GST_CLOCK_TIME_NONE;
    GST_OBJECT_UNLOCK(self);
  }
  return ret;
}

static void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  GstMelspec* self = GST_MELSPEC(object);
  GST_OBJECT_LOCK(self);
  const bool known = genre::set_table_property(melspec_parameters(), *self->settings, id, value);
  GST_OBJECT_UNLOCK(self);
  if (!known) G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstMelspec* self = GST_MELSPEC(object);
  GST_OBJECT_LOCK(self);
  const bool known = genre::get_table_property(melspec_parameters(), *self->settings, id, value);
  GST_OBJECT_UNLOCK(self);
  if (!known) G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void finalize(GObject* object) {
  GstMelspec* self = GST_MELSPEC(object);
  delete self->state;
  delete self->settings;
  G_OBJECT_CLASS(gst_melspec_parent_class)->finalize(object);
}

static void gst_melspec_init(GstMelspec* self) {
  self->settings = new Settings();
  self->state = new State();
  self->latency = GST_CLOCK_TIME_NONE;
  gst_segment_init(&self->state->segment, GST_FORMAT_TIME);

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(sink_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(sink_event));
  gst_pad_set_query_function(self->sinkpad, GST_DEBUG_FUNCPTR(sink_query));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad, GST_DEBUG_FUNCPTR(src_query));
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_melspec_class_init(GstMelspecClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(change_state);

  genre::install_table_properties(gobject_class, melspec_parameters());

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "Mel spectrogram", "Filter/Analyzer/Audio",
      "Computes librosa-exact (log-)mel spectrogram frames from mono F32 audio as "
      "other/tensors; use 'audioconvert ! audioresample ! melspec' for any other input. A NaN, infinite or "
      "out-of-range (|x| > 1e6) sample is an error naming its stream position",
      "gst-genre developers");

  GST_DEBUG_CATEGORY_INIT(gst_melspec_debug, "melspec", 0, "log-mel spectrogram");
}
