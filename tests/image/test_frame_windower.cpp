// FrameWindower: number, position and content of windows, against counts
// worked out independently: 1 + floor((T - window) / hop) full windows, plus
// one short window at EOS when some frame on the window grid is still uncovered.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "image/frame_windower.h"

using namespace genre::image;

namespace {

constexpr uint32_t kMels = 3;

// Frame t holds t*10 + mel bin, so every window's content is checkable.
std::vector<float> make_frames(size_t count) {
  std::vector<float> v(count * kMels);
  for (size_t t = 0; t < count; ++t)
    for (uint32_t m = 0; m < kMels; ++m) v[t * kMels + m] = float(t * 10 + m);
  return v;
}

struct Seen {
  uint64_t index, start;
  uint32_t valid, window;
  WindowFill fill;
  bool whole_clip;
  bool content_ok;
};

std::vector<Seen> run(const WindowConfig& cfg, size_t total, size_t chunk, bool finish = true) {
  FrameWindower w(cfg, kMels);
  std::vector<Seen> seen;
  auto emit = [&](const Window& win) {
    bool ok = true;
    for (uint32_t f = 0; f < win.valid_frames; ++f)
      for (uint32_t m = 0; m < kMels; ++m)
        ok = ok && win.frames[f * kMels + m] == float((win.start_frame + f) * 10 + m);
    seen.push_back({win.index, win.start_frame, win.valid_frames, win.window_frames, win.fill, win.whole_clip, ok});
  };
  std::vector<float> frames = make_frames(total);
  for (size_t at = 0; at < total; at += chunk) {
    size_t n = std::min(chunk, total - at);
    w.push(frames.data() + at * kMels, n, emit);
  }
  if (finish) w.finish(emit);
  return seen;
}

// Frames t < T on the window grid (t mod hop < window) that the full windows miss.
bool grid_frame_uncovered(size_t T, size_t window, size_t hop, size_t full) {
  std::set<size_t> covered;
  for (size_t k = 0; k < full; ++k)
    for (size_t t = k * hop; t < k * hop + window; ++t) covered.insert(t);
  for (size_t t = 0; t < T; ++t)
    if (t % hop < window && !covered.count(t)) return true;
  return false;
}

}  // namespace

TEST(FrameWindower, SlidingWindowCountsAllPolicies) {
  for (uint32_t window : {1u, 3u, 5u, 8u}) {
    for (uint32_t hop : {1u, 2u, 3u, 5u, 8u, 11u}) {
      for (size_t T = 0; T <= 40; ++T) {
        size_t full = T >= window ? 1 + (T - window) / hop : 0;
        size_t extra = grid_frame_uncovered(T, window, hop, full) ? 1 : 0;
        for (ShortPolicy policy : {ShortPolicy::Pad, ShortPolicy::Repeat, ShortPolicy::Drop}) {
          WindowConfig cfg{window, hop, policy, 0};
          auto seen = run(cfg, T, 7);
          size_t want = full + (policy == ShortPolicy::Drop ? 0 : extra);
          ASSERT_EQ(seen.size(), want) << "T=" << T << " window=" << window << " hop=" << hop
                                       << " policy=" << to_string(policy);
          for (size_t i = 0; i < seen.size(); ++i) {
            EXPECT_EQ(seen[i].index, i);
            EXPECT_EQ(seen[i].start, i * hop);
            EXPECT_EQ(seen[i].window, window);
            EXPECT_TRUE(seen[i].content_ok) << "window " << i;
            EXPECT_FALSE(seen[i].whole_clip);
            if (i < full) {
              EXPECT_EQ(seen[i].valid, window);
              EXPECT_EQ(seen[i].fill, WindowFill::None);
            } else {  // the EOS window: the rest of the clip, filled
              EXPECT_EQ(seen[i].valid, T - i * hop);
              EXPECT_LT(seen[i].valid, window);
              EXPECT_EQ(seen[i].fill, policy == ShortPolicy::Repeat ? WindowFill::Repeat : WindowFill::Pad);
            }
          }
        }
      }
    }
  }
}

TEST(FrameWindower, ChunkingDoesNotMatter) {
  WindowConfig cfg{16, 5, ShortPolicy::Pad, 0};
  auto reference = run(cfg, 200, 200);
  for (size_t chunk : {1u, 3u, 16u, 17u, 64u}) {
    auto seen = run(cfg, 200, chunk);
    ASSERT_EQ(seen.size(), reference.size()) << "chunk " << chunk;
    for (size_t i = 0; i < seen.size(); ++i) {
      EXPECT_EQ(seen[i].start, reference[i].start);
      EXPECT_EQ(seen[i].valid, reference[i].valid);
      EXPECT_TRUE(seen[i].content_ok);
    }
  }
}

TEST(FrameWindower, NothingBeforeFinishForShortTail) {
  WindowConfig cfg{10, 10, ShortPolicy::Pad, 0};
  EXPECT_EQ(run(cfg, 25, 4, false).size(), 2u);  // the tail waits for EOS
  EXPECT_EQ(run(cfg, 25, 4, true).size(), 3u);
}

TEST(FrameWindower, MaxFramesCutsSlidingClip) {
  WindowConfig cfg{4, 2, ShortPolicy::Pad, 9};
  auto seen = run(cfg, 100, 5);
  // 9 frames: full windows at 0,2,4 (1 + (9-4)/2 = 3), then frame 8 is uncovered.
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[3].start, 6u);
  EXPECT_EQ(seen[3].valid, 3u);
}

TEST(FrameWindower, WholeClip) {
  WindowConfig cfg{0, 0, ShortPolicy::Pad, 0};
  auto seen = run(cfg, 57, 10);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].whole_clip);
  EXPECT_EQ(seen[0].valid, 57u);
  EXPECT_EQ(seen[0].window, 57u);
  EXPECT_EQ(seen[0].fill, WindowFill::None);
  EXPECT_TRUE(seen[0].content_ok);
  EXPECT_TRUE(run(cfg, 0, 10).empty());  // an empty clip gives no image
}

TEST(FrameWindower, WholeClipMaxFrames) {
  // Longer clips are cut, shorter ones follow short-policy.
  auto cut = run(WindowConfig{0, 0, ShortPolicy::Pad, 40}, 57, 10);
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].valid, 40u);
  EXPECT_EQ(cut[0].window, 40u);
  EXPECT_TRUE(cut[0].content_ok);

  auto padded = run(WindowConfig{0, 0, ShortPolicy::Pad, 80}, 57, 10);
  ASSERT_EQ(padded.size(), 1u);
  EXPECT_EQ(padded[0].valid, 57u);
  EXPECT_EQ(padded[0].window, 80u);
  EXPECT_EQ(padded[0].fill, WindowFill::Pad);

  auto repeated = run(WindowConfig{0, 0, ShortPolicy::Repeat, 80}, 57, 10);
  ASSERT_EQ(repeated.size(), 1u);
  EXPECT_EQ(repeated[0].fill, WindowFill::Repeat);

  EXPECT_TRUE(run(WindowConfig{0, 0, ShortPolicy::Drop, 80}, 57, 10).empty());
}

TEST(FrameWindower, FinishStartsNewClipAndResetDiscards) {
  WindowConfig cfg{4, 4, ShortPolicy::Pad, 0};
  FrameWindower w(cfg, kMels);
  std::vector<uint64_t> starts, indices;
  auto emit = [&](const Window& win) {
    starts.push_back(win.start_frame);
    indices.push_back(win.index);
  };
  auto frames = make_frames(6);
  w.push(frames.data(), 6, emit);  // window 0..4, 2 frames held
  w.reset();                       // flush: the 2 frames are gone
  w.finish(emit);                  // nothing to finish
  w.push(frames.data(), 6, emit);  // new clip: window 0 again
  w.finish(emit);                  // short window at 4
  EXPECT_EQ(starts, std::vector<uint64_t>({0, 0, 4}));
  EXPECT_EQ(indices, std::vector<uint64_t>({0, 0, 1}));
  EXPECT_EQ(w.clip_frames(), 0u);
}

TEST(FrameWindower, SlidingMemoryIsConstant) {
  WindowConfig cfg{1292, 64, ShortPolicy::Pad, 0};
  const uint32_t mels = 128;
  FrameWindower w(cfg, mels);
  std::vector<float> chunk(32 * mels, 1.0f);
  size_t windows = 0;
  auto emit = [&](const Window&) { ++windows; };
  w.push(chunk.data(), 32, emit);
  const size_t capacity = w.buffered_bytes_capacity();
  EXPECT_EQ(capacity, size_t(1292) * mels * sizeof(float));
  for (int i = 0; i < 5000; ++i) w.push(chunk.data(), 32, emit);  // 160k frames ~ an hour at hop 512 / 22.05 kHz
  EXPECT_EQ(w.buffered_bytes_capacity(), capacity);
  EXPECT_EQ(windows, 1 + (5001 * 32 - 1292) / 64);
}

TEST(FrameWindower, RejectsBadConfig) {
  EXPECT_THROW(FrameWindower(WindowConfig{0, 3, ShortPolicy::Pad, 0}, kMels), std::invalid_argument);
  EXPECT_THROW(FrameWindower(WindowConfig{4, 0, ShortPolicy::Pad, 0}, 0), std::invalid_argument);
}
