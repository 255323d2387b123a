// One GStreamer pipeline reused for many items (files, tracks): built once, given each
// item's properties while in READY, played to EOS, an error or a timeout, and reset to
// READY for the next item; rebuilt when a caller discards it after a failure.
// fma-convert's workers and genre-classify's file workers run through it.
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace genre::tools {

// How one run ended.
struct RunEnd {
  enum class Kind {
    kEos,          // the pipeline reached EOS
    kError,        // an element posted an ERROR: `error` is its text (message_text)
    kStartFailed,  // going to PLAYING failed and no element said why
    kTimeout,      // no EOS or ERROR within the run's timeout
    kStopped,      // RunOptions::stop said so (e.g. SIGINT)
    kByHandler,    // RunOptions::on_message ended the run
  };
  Kind kind = Kind::kEos;
  std::string error;
  bool ok() const { return kind == Kind::kEos; }
};

struct RunOptions {
  // Message types the handler sees besides EOS and ERROR (which it always sees first).
  GstMessageType also = GST_MESSAGE_UNKNOWN;
  // Called on the running thread for each such message; true ends the run (RunEnd::kByHandler).
  std::function<bool(GstMessage*)> on_message;
  // Polled between messages; true ends the run (RunEnd::kStopped).
  std::function<bool()> stop;
  // No EOS or ERROR for this long ends the run (RunEnd::kTimeout); none: wait for ever.
  std::optional<std::chrono::milliseconds> timeout;
  // How long debug text an ERROR's text keeps (message_text); 0: the GError's message only.
  std::size_t max_debug = 200;
};

class PipelineRunner {
 public:
  // `build` adds and links the elements of a new pipeline (and keeps the pointers it needs
  // for per-item properties); it throws when it cannot. `name` names the pipeline.
  using Build = std::function<void(GstBin* pipeline)>;
  PipelineRunner(std::string name, Build build);
  ~PipelineRunner();
  PipelineRunner(const PipelineRunner&) = delete;
  PipelineRunner& operator=(const PipelineRunner&) = delete;

  // The pipeline in READY, built now when there is none (first use, after discard()).
  // Throws what `build` throws, or std::runtime_error when the pipeline cannot reach READY.
  GstElement* pipeline();

  // Plays the pipeline (built if needed) until EOS, an ERROR, the timeout or a stop.
  // The pipeline stays where the run left it: call reset() or discard() next.
  RunEnd run(const RunOptions& options);

  // Back to READY for the next item, every element included; then drops what the bus
  // still holds. False when some element did not settle in READY: reuse would be unsafe,
  // so discard() it (or stop).
  bool reset();

  // Sets the pipeline to NULL and drops it; the next pipeline() or run() builds a new one.
  // Returns the text of the last ERROR posted meanwhile (a sink finalizing its output), or
  // says that the pipeline failed to stop; "" when all went well.
  std::string discard();

  // Builds so far, for tests and diagnostics.
  int builds() const { return builds_; }

 private:
  bool every_element_in(GstState state) const;
  void drain_bus();

  std::string name_;
  Build build_;
  GstElement* pipeline_ = nullptr;
  GstBus* bus_ = nullptr;
  int builds_ = 0;
};

}  // namespace genre::tools
