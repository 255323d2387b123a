#include "dsp/mel_spectrogram_stream.h"

#include <algorithm>

namespace genre::dsp {

std::vector<float> reflect_pad(const std::vector<float>& signal, int pad) {
  const int64_t n = int64_t(signal.size());
  std::vector<float> out;
  if (n == 0) return out;
  out.reserve(size_t(n + 2 * pad));
  // Reflection without repeating the edge is periodic with period 2(n - 1).
  const int64_t period = 2 * (n - 1);
  for (int64_t i = -pad; i < n + pad; ++i) {
    int64_t j = 0;
    if (period > 0) {
      j = ((i % period) + period) % period;
      if (j >= n) j = period - j;
    }
    out.push_back(signal[size_t(j)]);
  }
  return out;
}

MelSpectrogramStream::MelSpectrogramStream(const MelSpectrogramConfig& config)
    : mel_(config),
      n_fft_(config.n_fft),
      hop_(config.hop_length),
      pad_(config.center ? config.n_fft / 2 : 0),
      reflect_(config.center && config.pad_mode == PadMode::Reflect) {
  buf_.reserve(size_t(n_fft_) * 2);
}

void MelSpectrogramStream::reset() {
  buf_.clear();
  head_.clear();
  tail_.clear();
  skip_ = 0;
  started_ = false;
  samples_ = 0;
  frames_ = 0;
}

void MelSpectrogramStream::append(const float* samples, size_t count) {
  if (skip_ >= count) {
    skip_ -= count;
    return;
  }
  samples += skip_;
  count -= size_t(skip_);
  skip_ = 0;
  buf_.insert(buf_.end(), samples, samples + count);
}

void MelSpectrogramStream::remember_tail(const float* samples, size_t count) {
  const size_t keep = size_t(pad_) + 1;
  if (count >= keep) {
    tail_.assign(samples + count - keep, samples + count);
    return;
  }
  tail_.insert(tail_.end(), samples, samples + count);
  if (tail_.size() > keep) tail_.erase(tail_.begin(), tail_.end() - keep);
}

// Places the left padding once enough of the signal is known.
void MelSpectrogramStream::start_signal() {
  if (!reflect_) {
    buf_.assign(size_t(pad_), 0.f);
    started_ = true;
    return;
  }
  if (head_.size() < size_t(pad_) + 1) return;
  // numpy reflect: y[pad], ..., y[1], then the signal itself.
  buf_.clear();
  for (int i = pad_; i >= 1; --i) buf_.push_back(head_[size_t(i)]);
  std::vector<float> head;
  head.swap(head_);
  started_ = true;
  append(head.data(), head.size());
}

size_t MelSpectrogramStream::push(const float* samples, size_t count,
                                  std::vector<float>& frames) {
  if (count == 0) return 0;
  samples_ += count;
  if (reflect_) remember_tail(samples, count);
  if (!started_) {
    if (reflect_) {
      head_.insert(head_.end(), samples, samples + count);
      start_signal();
      return started_ ? emit(frames) : 0;
    }
    start_signal();
  }
  append(samples, count);
  return emit(frames);
}

size_t MelSpectrogramStream::emit(std::vector<float>& frames) {
  const int n_mels = mel_.n_mels();
  size_t pos = 0;
  size_t emitted = 0;
  while (buf_.size() - pos >= size_t(n_fft_)) {
    const size_t at = frames.size();
    frames.resize(at + size_t(n_mels));
    mel_.compute(buf_.data() + pos, frames.data() + at);
    pos += size_t(hop_);
    ++emitted;
    if (pos > buf_.size()) break;
  }
  if (pos >= buf_.size()) {
    skip_ += pos - buf_.size();
    buf_.clear();
  } else if (pos > 0) {
    buf_.erase(buf_.begin(), buf_.begin() + std::ptrdiff_t(pos));
  }
  frames_ += emitted;
  return emitted;
}

size_t MelSpectrogramStream::finish(std::vector<float>& frames) {
  size_t emitted = 0;
  if (samples_ > 0) {
    if (reflect_ && !started_) {
      // Shorter than the padding: numpy reflects the whole signal repeatedly.
      buf_ = reflect_pad(head_, pad_);
      started_ = true;
    } else if (reflect_) {
      // y[L-2], y[L-3], ..., y[L-1-pad]; tail_ holds y[L-1-pad] .. y[L-1].
      std::vector<float> right;
      for (int j = 1; j <= pad_; ++j) right.push_back(tail_[tail_.size() - 1 - size_t(j)]);
      append(right.data(), right.size());
    } else {
      const std::vector<float> zeros(size_t(pad_), 0.f);
      append(zeros.data(), zeros.size());
    }
    emitted = emit(frames);
  }
  reset();
  return emitted;
}

}  // namespace genre::dsp
