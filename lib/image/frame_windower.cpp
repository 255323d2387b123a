#include "image/frame_windower.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace genre::image {

const char* to_string(ShortPolicy v) {
  switch (v) {
    case ShortPolicy::Pad: return "pad";
    case ShortPolicy::Repeat: return "repeat";
    case ShortPolicy::Drop: return "drop";
  }
  return "?";
}

void WindowConfig::validate() const {
  if (window_frames == 0 && hop_frames != 0)
    throw std::invalid_argument("hop-frames=" + std::to_string(hop_frames) +
                                " needs sliding windows: set window-frames > 0 (window-frames=0 is one image per clip)");
  if (max_frames != 0 && window_frames > max_frames)
    throw std::invalid_argument("window-frames=" + std::to_string(window_frames) + " is longer than max-frames=" +
                                std::to_string(max_frames) + ": no full window fits in a clip");
}

FrameWindower::FrameWindower(const WindowConfig& config, uint32_t n_mels) : config_(config), n_mels_(n_mels) {
  config_.validate();
  if (n_mels == 0) throw std::invalid_argument("FrameWindower: n_mels must be > 0");
  size_t reserve_frames = config_.whole_clip() ? config_.max_frames : config_.window_frames;
  buffer_.reserve(reserve_frames * n_mels_);
}

WindowFill FrameWindower::short_fill() const {
  return config_.short_policy == ShortPolicy::Repeat ? WindowFill::Repeat : WindowFill::Pad;
}

void FrameWindower::push(const float* frames, size_t n_frames, const Emit& emit) {
  if (config_.max_frames != 0) {
    uint64_t room = clip_frames_ < config_.max_frames ? config_.max_frames - clip_frames_ : 0;
    n_frames = size_t(std::min<uint64_t>(n_frames, room));
  }
  if (n_frames == 0) return;
  clip_frames_ += n_frames;
  if (config_.whole_clip()) {
    buffer_.insert(buffer_.end(), frames, frames + n_frames * n_mels_);
    held_ += n_frames;
    return;
  }
  push_sliding(frames, n_frames, emit);
}

void FrameWindower::push_sliding(const float* frames, size_t n_frames, const Emit& emit) {
  const size_t window = config_.window_frames;
  buffer_.resize(window * n_mels_);  // within the reserved capacity: no allocation
  while (n_frames > 0) {
    if (skip_ > 0) {  // hop > window: frames between windows belong to none
      size_t n = size_t(std::min<uint64_t>(skip_, n_frames));
      skip_ -= n;
      frames += n * n_mels_;
      n_frames -= n;
      continue;
    }
    size_t n = std::min(window - held_, n_frames);
    std::memcpy(buffer_.data() + held_ * n_mels_, frames, n * n_mels_ * sizeof(float));
    held_ += n;
    frames += n * n_mels_;
    n_frames -= n;
    if (held_ == window) emit_full_window(emit);
  }
}

void FrameWindower::emit_full_window(const Emit& emit) {
  const size_t window = config_.window_frames;
  const size_t hop = config_.effective_hop();
  Window w;
  w.frames = buffer_.data();
  w.valid_frames = uint32_t(window);
  w.window_frames = uint32_t(window);
  w.index = next_index_++;
  w.start_frame = next_start_;
  emit(w);
  covered_end_ = next_start_ + window;
  next_start_ += hop;
  if (hop < window) {  // keep the overlap at the front
    std::memmove(buffer_.data(), buffer_.data() + hop * n_mels_, (window - hop) * n_mels_ * sizeof(float));
    held_ = window - hop;
  } else {
    held_ = 0;
    skip_ = hop - window;
  }
}

void FrameWindower::finish(const Emit& emit) {
  if (config_.whole_clip()) {
    if (held_ > 0) {
      Window w;
      w.frames = buffer_.data();
      w.valid_frames = uint32_t(held_);
      w.window_frames = uint32_t(held_);
      w.whole_clip = true;
      bool keep = true;
      if (config_.max_frames != 0 && held_ < config_.max_frames) {  // short clip
        keep = config_.short_policy != ShortPolicy::Drop;
        w.window_frames = config_.max_frames;
        w.fill = short_fill();
      }
      if (keep) emit(w);
    }
  } else if (held_ > 0 && next_start_ + held_ > covered_end_ && config_.short_policy != ShortPolicy::Drop) {
    // Frames no window has covered yet: one last window from the next hop position.
    Window w;
    w.frames = buffer_.data();
    w.valid_frames = uint32_t(held_);
    w.window_frames = config_.window_frames;
    w.fill = short_fill();
    w.index = next_index_;
    w.start_frame = next_start_;
    emit(w);
  }
  reset();
}

void FrameWindower::reset() {
  buffer_.clear();  // keeps the capacity: memory stays constant across clips
  held_ = 0;
  clip_frames_ = 0;
  skip_ = 0;
  next_start_ = 0;
  next_index_ = 0;
  covered_end_ = 0;
}

}  // namespace genre::image
