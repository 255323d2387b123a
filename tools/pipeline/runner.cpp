#include "runner.h"

#include "message_text.h"

#include <cstdio>
#include <stdexcept>
#include <utility>

namespace genre::tools {

namespace {

constexpr GstClockTime kPoll = 100 * GST_MSECOND;  // how often stop() and the timeout are checked

std::string timeout_text(std::chrono::milliseconds timeout) {
  char text[64];
  std::snprintf(text, sizeof text, "no end of stream after %g s", double(timeout.count()) / 1000);
  return text;
}

}  // namespace

PipelineRunner::PipelineRunner(std::string name, Build build) : name_(std::move(name)), build_(std::move(build)) {}

PipelineRunner::~PipelineRunner() { discard(); }

GstElement* PipelineRunner::pipeline() {
  if (pipeline_) return pipeline_;
  pipeline_ = gst_pipeline_new(name_.c_str());
  bus_ = gst_element_get_bus(pipeline_);
  ++builds_;
  try {
    build_(GST_BIN(pipeline_));
  } catch (...) {  // nothing half-built stays behind
    discard();
    throw;
  }
  if (gst_element_set_state(pipeline_, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE) {
    std::string detail;
    if (GstMessage* m = gst_bus_pop_filtered(bus_, GST_MESSAGE_ERROR)) {
      detail = message_text(m);
      gst_message_unref(m);
    }
    discard();
    throw std::runtime_error("the " + name_ + " pipeline cannot start: " + (detail.empty() ? "no element said why" : detail));
  }
  return pipeline_;
}

RunEnd PipelineRunner::run(const RunOptions& options) {
  GstElement* p = pipeline();
  const auto started = std::chrono::steady_clock::now();
  // A failed start usually comes with an element's ERROR (read below); without one the
  // next empty poll ends the run.
  const bool start_failed = gst_element_set_state(p, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE;
  const auto types = static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | options.also);
  for (;;) {
    if (options.stop && options.stop()) return {RunEnd::Kind::kStopped, "stopped"};
    GstMessage* msg = gst_bus_timed_pop_filtered(bus_, kPoll, types);
    if (!msg) {
      if (start_failed) return {RunEnd::Kind::kStartFailed, "the pipeline did not start"};
      if (options.timeout && std::chrono::steady_clock::now() - started > *options.timeout)
        return {RunEnd::Kind::kTimeout, timeout_text(*options.timeout)};
      continue;
    }
    const bool by_handler = options.on_message && options.on_message(msg);
    std::optional<RunEnd> end;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
      end = RunEnd{RunEnd::Kind::kEos, ""};
    } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      end = RunEnd{RunEnd::Kind::kError, message_text(msg, options.max_debug)};
    } else if (by_handler) {
      end = RunEnd{RunEnd::Kind::kByHandler, ""};
    }
    gst_message_unref(msg);
    if (end) return *end;
    // Messages of `also` types can keep the bus busy: the timeout counts from the start.
    if (options.timeout && std::chrono::steady_clock::now() - started > *options.timeout)
      return {RunEnd::Kind::kTimeout, timeout_text(*options.timeout)};
  }
}

// Every element must be back in READY before the next item, not only the pipeline. A
// GstBin marks its state change FAILURE when a child posts an ERROR, and stops changing
// its children at the first one that fails. A bad file's streaming thread posts a last
// ERROR while it is being stopped (typefind: "Internal data stream error" after "Could
// not determine type of stream"), i.e. in the middle of this reset: decodebin then
// "failed" to go to READY and the pipeline never reached filesrc, which stayed PAUSED
// with the bad file open and refused the next item's location. Stopping joins those
// threads, so a repeat finds nobody left to post and completes.
bool PipelineRunner::reset() {
  if (!pipeline_) return true;
  bool settled = false;
  for (int attempt = 0; attempt < 4 && !settled; ++attempt) {
    gst_element_set_state(pipeline_, GST_STATE_READY);
    settled = every_element_in(GST_STATE_READY);
  }
  drain_bus();
  return settled;
}

bool PipelineRunner::every_element_in(GstState state) const {
  auto settled = [state](GstElement* e) {
    GST_OBJECT_LOCK(e);
    const bool ok = GST_STATE(e) == state && GST_STATE_PENDING(e) == GST_STATE_VOID_PENDING;
    GST_OBJECT_UNLOCK(e);
    return ok;
  };
  if (!settled(pipeline_)) return false;
  bool all = true;
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(pipeline_));
  GValue item = G_VALUE_INIT;
  for (bool more = true; more && all;) {
    switch (gst_iterator_next(it, &item)) {
      case GST_ITERATOR_OK:
        all = settled(GST_ELEMENT(g_value_get_object(&item)));
        g_value_reset(&item);
        break;
      case GST_ITERATOR_RESYNC:  // a decoder added or removed elements meanwhile
        gst_iterator_resync(it);
        all = true;
        break;
      default:
        more = false;
        break;
    }
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return all;
}

void PipelineRunner::drain_bus() {
  while (GstMessage* m = gst_bus_pop(bus_)) gst_message_unref(m);
}

std::string PipelineRunner::discard() {
  std::string error;
  if (!pipeline_) return error;
  if (gst_element_set_state(pipeline_, GST_STATE_NULL) == GST_STATE_CHANGE_FAILURE)
    error = "the " + name_ + " pipeline failed to stop";
  while (GstMessage* m = gst_bus_pop_filtered(bus_, GST_MESSAGE_ERROR)) {
    error = message_text(m);
    gst_message_unref(m);
  }
  gst_object_unref(bus_);
  gst_object_unref(pipeline_);
  bus_ = nullptr;
  pipeline_ = nullptr;
  return error;
}

}  // namespace genre::tools
