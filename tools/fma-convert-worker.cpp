#include "fma-convert-worker.h"

#include "base/errno_text.h"
#include "fma/sha1.h"
#include "pipeline/audio_pads.h"
#include "pipeline/message_text.h"

#include <gst/audio/audio.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>

namespace fma_convert {

const char* const kDefaultMiddle =
    "audioconvert ! audioresample ! melspec sample-rate=22050 ! specresize width=224 height=224";

namespace {

constexpr const char* kTooShortMessage = "fma-convert-too-short";

bool is_inside(GstObject* obj, GstElement* container) {
  for (GstObject* o = obj; o; o = GST_OBJECT_PARENT(o))
    if (o == GST_OBJECT(container)) return true;
  return false;
}

}  // namespace

ConvertWorker::ConvertWorker(const WorkerConfig& config)
    : config_(config), runner_("conversion", [this](GstBin* pipeline) { build(pipeline); }) {
  runner_.pipeline();  // a bad --pipeline fails here, before any track
}

void ConvertWorker::build(GstBin* pipeline) {
  src_ = gst_element_factory_make("filesrc", nullptr);
  decode_ = gst_element_factory_make("decodebin", nullptr);
  const bool decode_only = config_.decode_only != DecodeOnly::kOff;
  sink_ = gst_element_factory_make(decode_only ? "fakesink" : "datasetsink", nullptr);
  for (GstElement* e : {src_, decode_, sink_})  // owned by the pipeline from here on
    if (e) gst_bin_add(pipeline, e);
  if (config_.decode_only == DecodeOnly::kMelspecPcm)
    config_.middle = "audioconvert ! audioresample ! capsfilter caps=audio/x-raw,format=F32LE,channels=1,rate=22050";
  if (config_.decode_only == DecodeOnly::kPassthrough) config_.middle = "audioconvert ! audioresample";
  // kNoSink keeps the middle as it is.
  if (!src_ || !decode_) throw std::runtime_error("filesrc/decodebin missing: install gstreamer1.0-plugins-base");
  if (!sink_)
    throw std::runtime_error("the datasetsink element is missing: build the project and set GST_PLUGIN_PATH "
                             "to build/plugins (or install the plugin)");
  GError* err = nullptr;
  middle_ = gst_parse_bin_from_description(config_.middle.c_str(), TRUE, &err);
  if (!middle_) {
    std::string m = err ? err->message : "unknown";
    g_clear_error(&err);
    throw std::runtime_error("cannot build --pipeline \"" + config_.middle + "\": " + m);
  }
  if (err) {  // recoverable parse problems (e.g. an unknown property) are still errors for us
    std::string m = err->message;
    g_clear_error(&err);
    gst_object_unref(gst_object_ref_sink(middle_));
    throw std::runtime_error("--pipeline \"" + config_.middle + "\": " + m);
  }
  gst_bin_add(pipeline, middle_);
  if (!decode_only) configure_sink();
  if (!gst_element_link(src_, decode_) || !gst_element_link(middle_, sink_))
    throw std::runtime_error("cannot link the --pipeline part to datasetsink (does it end in specresize or "
                             "another element producing other/tensors?)");
  genre::tools::link_audio_pads(decode_, middle_);  // cover art and the like stay unlinked
  // decodebin's own typefind names the file's type: a text or an image file is then reported as
  // not audio, not as a missing plug-in (decodebin's error for a type nothing decodes).
  if (GstElement* typefind = gst_bin_get_by_name(GST_BIN(decode_), "typefind")) {
    g_signal_connect(typefind, "have-type", G_CALLBACK(&ConvertWorker::on_have_type), this);
    gst_object_unref(typefind);
  }
  GstPad* in = gst_element_get_static_pad(middle_, "sink");
  if (!in) throw std::runtime_error("--pipeline has no free sink pad");
  gst_pad_add_probe(in, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                    &ConvertWorker::on_middle_input, this, nullptr);
  gst_object_unref(in);
}

void ConvertWorker::configure_sink() {
  g_object_set(sink_, "location", config_.out_dir.c_str(), "taxonomy", config_.taxonomy_path.c_str(), nullptr);
  if (!config_.sink_properties.empty()) {
    gchar** pairs = g_strsplit(config_.sink_properties.c_str(), " ", -1);
    for (gchar** p = pairs; *p; ++p) {
      if (!**p) continue;
      gchar* eq = std::strchr(*p, '=');
      if (!eq) {
        g_strfreev(pairs);
        throw std::runtime_error(std::string("--sink-properties: \"") + *p + "\" is not name=value");
      }
      *eq = '\0';
      GParamSpec* spec = g_object_class_find_property(G_OBJECT_GET_CLASS(sink_), *p);
      if (!spec || !(spec->flags & G_PARAM_WRITABLE)) {
        std::string name = *p;
        g_strfreev(pairs);
        throw std::runtime_error("--sink-properties: datasetsink has no " + std::string(spec ? "writable " : "") +
                                 "property \"" + name + "\"");
      }
      // gst_util_set_object_arg would ignore a value it cannot parse (dtype=flaot32).
      GValue value = G_VALUE_INIT;
      g_value_init(&value, spec->value_type);
      if (!gst_value_deserialize_with_pspec(&value, eq + 1, spec)) {
        const std::string message = std::string("--sink-properties: \"") + (eq + 1) + "\" is not a valid value for " +
                                    "datasetsink's " + *p + " (see gst-inspect-1.0 datasetsink)";
        g_value_unset(&value);
        g_strfreev(pairs);
        throw std::runtime_error(message);
      }
      g_object_set_property(G_OBJECT(sink_), *p, &value);
      g_value_unset(&value);
    }
    g_strfreev(pairs);
  }
}

ConvertWorker::~ConvertWorker() = default;

std::string ConvertWorker::finish() { return runner_.discard(); }

void ConvertWorker::on_have_type(GstElement*, guint, GstCaps* caps, gpointer self_ptr) {
  auto* self = static_cast<ConvertWorker*>(self_ptr);
  const std::string type = caps && gst_caps_get_size(caps) > 0 ? gst_structure_get_name(gst_caps_get_structure(caps, 0))
                                                               : "";
  std::lock_guard<std::mutex> lock(self->type_mu_);
  self->found_type_ = type;
}

std::string ConvertWorker::found_type() {
  std::lock_guard<std::mutex> lock(type_mu_);
  return found_type_;
}

// A failed decode of a file whose type cannot hold audio: the file is not audio.
TrackResult ConvertWorker::not_audio_or(TrackResult failure) {
  const std::string type = found_type();
  if (genre::fma::media_type_may_hold_audio(type)) return failure;
  return {Outcome::kFailed, "not-audio", type + ": not an audio file"};
}

GstPadProbeReturn ConvertWorker::on_middle_input(GstPad*, GstPadProbeInfo* info, gpointer self_ptr) {
  auto* self = static_cast<ConvertWorker*>(self_ptr);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
    self->frames_ += gst_buffer_get_size(buf);  // bytes until CAPS told us the frame size
    return GST_PAD_PROBE_OK;
  }
  GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(ev) == GST_EVENT_CAPS) {
    GstCaps* caps = nullptr;
    gst_event_parse_caps(ev, &caps);
    GstAudioInfo ai;
    if (gst_audio_info_from_caps(&ai, caps)) self->rate_ = GST_AUDIO_INFO_RATE(&ai) * GST_AUDIO_INFO_BPF(&ai);
  } else if (GST_EVENT_TYPE(ev) == GST_EVENT_EOS && self->config_.min_duration_s > 0) {
    const int bytes_per_s = self->rate_;
    const double seconds = bytes_per_s > 0 ? static_cast<double>(self->frames_) / bytes_per_s : 0.0;
    if (seconds < self->config_.min_duration_s) {
      // Keep EOS from the sink so the clip is never committed; the worker
      // sees this message, fails the track and resets the pipeline.
      self->too_short_ = true;
      GstStructure* s = gst_structure_new(kTooShortMessage, "seconds", G_TYPE_DOUBLE, seconds, nullptr);
      gst_element_post_message(self->middle_, gst_message_new_application(GST_OBJECT(self->middle_), s));
      return GST_PAD_PROBE_DROP;
    }
  }
  return GST_PAD_PROBE_OK;
}

TrackResult ConvertWorker::precheck(const genre::fma::WorkItem& item) const {
  struct stat st {};
  if (::stat(item.path.c_str(), &st) != 0)
    return {Outcome::kFailed, "missing", "cannot open audio file: " + genre::errno_text(errno)};
  if (!S_ISREG(st.st_mode)) return {Outcome::kFailed, "missing", "not a regular file"};
  if (st.st_size == 0) return {Outcome::kFailed, "zero-byte", "the audio file is empty"};
  if (config_.checksums) {
    const std::string& rel = item.rel_path;
    auto it = config_.checksums->find(rel);
    if (it == config_.checksums->end())
      return {Outcome::kFailed, "checksum", "no entry for " + rel + " in the checksum file"};
    std::string actual;
    try {
      actual = genre::fma::sha1_file(item.path);
    } catch (const std::exception& e) {
      return {Outcome::kFailed, "missing", e.what()};
    }
    if (actual != it->second) return {Outcome::kFailed, "checksum", "sha1 " + actual + " != expected " + it->second};
  }
  return {Outcome::kConverted, "", ""};
}

bool ConvertWorker::source_is(const std::string& path) const {
  gchar* location = nullptr;
  g_object_get(src_, "location", &location, nullptr);
  const bool same = location && path == location;
  g_free(location);
  return same;
}

TrackResult ConvertWorker::convert(const genre::fma::WorkItem& item) {
  TrackResult pre = precheck(item);
  if (pre.outcome != Outcome::kConverted) return pre;

  const std::string& key = item.key;
  g_object_set(src_, "location", item.path.c_str(), nullptr);
  if (!source_is(item.path))  // filesrc keeps an open file's location: never convert another track's audio
    return {Outcome::kFatal, "internal", "filesrc did not take the location " + item.path +
                                             " (the pipeline was not reset after the previous track)"};
  // A null macro-label lets the sink take the taxonomy's macro class of the label (or none).
  if (config_.decode_only == DecodeOnly::kOff) {
    g_object_set(sink_, "key", key.c_str(), "label", item.fine.c_str(), "macro-label",
                 item.macro.empty() ? nullptr : item.macro.c_str(), "extra-json",
                 item.meta.empty() ? nullptr : item.meta.c_str(), nullptr);
    gst_util_set_object_arg(G_OBJECT(sink_), "split", item.split.c_str());
  }
  if (config_.multi_label && config_.decode_only == DecodeOnly::kOff) {
    std::string others;  // further labels by index: FMA titles may hold commas
    for (size_t i = 1; i < item.fine_all_index.size(); ++i)
      others += (others.empty() ? "" : ",") + std::to_string(item.fine_all_index[i]);
    g_object_set(sink_, "all-labels", others.empty() ? nullptr : others.c_str(), nullptr);
  }
  frames_ = 0;
  rate_ = 0;
  too_short_ = false;
  {
    std::lock_guard<std::mutex> lock(type_mu_);
    found_type_.clear();
  }

  guint64 duplicates_before = 0;
  if (config_.decode_only == DecodeOnly::kOff) g_object_get(sink_, "duplicates-skipped", &duplicates_before, nullptr);
  TrackResult result{Outcome::kConverted, "", ""};
  genre::tools::RunOptions run;
  run.also = GST_MESSAGE_APPLICATION;
  run.timeout = std::chrono::milliseconds(static_cast<long>(config_.track_timeout_s * 1000));
  run.on_message = [&](GstMessage* msg) {
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR && is_inside(GST_MESSAGE_SRC(msg), sink_)) {
      result = {Outcome::kFatal, "sink-error", genre::tools::message_text(msg)};
    } else if (gst_message_has_name(msg, kTooShortMessage)) {
      double secs = 0;
      gst_structure_get_double(gst_message_get_structure(msg), "seconds", &secs);
      char buf[96];
      std::snprintf(buf, sizeof buf, "decoded %.2f s < --min-duration %.2f s", secs, config_.min_duration_s);
      result = {Outcome::kFailed, "too-short", buf};
      return true;
    }
    return false;
  };
  const genre::tools::RunEnd end = runner_.run(run);
  switch (end.kind) {
    case genre::tools::RunEnd::Kind::kError:
      if (result.outcome != Outcome::kFatal) result = not_audio_or({Outcome::kFailed, "undecodable", end.error});
      break;
    case genre::tools::RunEnd::Kind::kStartFailed:
      result = {Outcome::kFailed, "undecodable", "pipeline refused to start"};
      break;
    case genre::tools::RunEnd::Kind::kTimeout:
      result = {Outcome::kFailed, "timeout", end.error};
      break;
    default:  // EOS, or too short (set above)
      break;
  }
  if (result.outcome == Outcome::kConverted && frames_ == 0)
    result = not_audio_or({Outcome::kFailed, "no-audio", "the file decoded to no audio samples"});
  if (config_.decode_only == DecodeOnly::kOff) {
    guint64 duplicates_after = 0;
    g_object_get(sink_, "duplicates-skipped", &duplicates_after, nullptr);
    result.duplicates_skipped = duplicates_after - duplicates_before;
  }
  // READY keeps the sink's open shard; a clip that did not reach EOS (error,
  // timeout, too short) is dropped by the sink at PAUSED->READY.
  if (!runner_.reset() && result.outcome != Outcome::kFatal)
    result = {Outcome::kFatal, "reset", "the pipeline failed to reset to READY"};
  return result;
}

}  // namespace fma_convert
