// Cuts a stream of mel frames (frame-major: n_mels floats per frame) into the
// windows specresize turns into images: the whole clip (window_frames = 0) or
// sliding windows of window_frames every hop_frames. Memory is bounded: one
// window in sliding mode, max_frames in per-clip mode when set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace genre::image {

enum class ShortPolicy { Pad, Repeat, Drop };
const char* to_string(ShortPolicy v);

// How to fill a window that has fewer real frames than it should.
enum class WindowFill { None, Pad, Repeat };

struct WindowConfig {
  uint32_t window_frames = 0;  // 0 = whole clip
  uint32_t hop_frames = 0;     // 0 = window_frames
  ShortPolicy short_policy = ShortPolicy::Pad;
  uint32_t max_frames = 0;     // 0 = no cut

  uint32_t effective_hop() const { return hop_frames ? hop_frames : window_frames; }
  bool whole_clip() const { return window_frames == 0; }
  // Throws std::invalid_argument naming the offending property.
  void validate() const;
};

struct Window {
  const float* frames = nullptr;  // valid_frames * n_mels floats, frame-major
  uint32_t valid_frames = 0;      // frames of real data
  uint32_t window_frames = 0;     // frames the image stands for (>= valid_frames)
  WindowFill fill = WindowFill::None;  // how to reach window_frames
  uint64_t index = 0;             // 0-based within the clip
  uint64_t start_frame = 0;       // first frame, relative to the clip start
  bool whole_clip = false;
};

class FrameWindower {
 public:
  using Emit = std::function<void(const Window&)>;

  FrameWindower(const WindowConfig& config, uint32_t n_mels);

  // Appends `n_frames` frames; calls `emit` for every window they complete.
  void push(const float* frames, size_t n_frames, const Emit& emit);
  // End of the clip: emits the final (short) window as short_policy says, then
  // starts a new clip.
  void finish(const Emit& emit);
  // Drops everything buffered and starts a new clip (flush).
  void reset();

  uint32_t n_mels() const { return n_mels_; }
  uint64_t clip_frames() const { return clip_frames_; }  // frames accepted in this clip
  size_t buffered_bytes_capacity() const { return buffer_.capacity() * sizeof(float); }

 private:
  void push_sliding(const float* frames, size_t n_frames, const Emit& emit);
  void emit_full_window(const Emit& emit);
  WindowFill short_fill() const;

  WindowConfig config_;
  uint32_t n_mels_;
  std::vector<float> buffer_;  // held_ frames
  size_t held_ = 0;
  uint64_t clip_frames_ = 0;   // accepted (after the max_frames cut)
  uint64_t skip_ = 0;          // frames to drop before the next window (hop > window)
  uint64_t next_start_ = 0;    // clip frame of buffer_[0]
  uint64_t next_index_ = 0;
  uint64_t covered_end_ = 0;   // end frame of the last emitted window
};

}  // namespace genre::image
