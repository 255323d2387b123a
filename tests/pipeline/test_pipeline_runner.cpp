// PipelineRunner: one pipeline for many items, through errors, timeouts and resets.
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "temp_dir.h"

#include "pipeline/audio_pads.h"
#include "pipeline/message_text.h"
#include "pipeline/runner.h"

namespace fs = std::filesystem;
using genre::tools::PipelineRunner;
using genre::tools::RunEnd;
using genre::tools::RunOptions;
using namespace std::chrono_literals;

namespace {

using genre::test::TempDir;

void put_le(std::ofstream& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.put(char((v >> (8 * i)) & 0xff));
}

// A mono 16-bit PCM WAV file of `frames` samples of a ramp.
std::string write_wav(const std::string& path, std::uint32_t frames) {
  std::ofstream out(path, std::ios::binary);
  out.write("RIFF", 4);
  put_le(out, 36 + frames * 2, 4);
  out.write("WAVEfmt ", 8);
  put_le(out, 16, 4);
  put_le(out, 1, 2);          // PCM
  put_le(out, 1, 2);          // mono
  put_le(out, 22050, 4);      // rate
  put_le(out, 22050 * 2, 4);  // bytes per second
  put_le(out, 2, 2);          // block align
  put_le(out, 16, 2);         // bits
  out.write("data", 4);
  put_le(out, frames * 2, 4);
  for (std::uint32_t i = 0; i < frames; ++i) put_le(out, (i * 37) & 0x7fff, 2);
  return path;
}

std::string write_random_bytes(const std::string& path, std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::ofstream out(path, std::ios::binary);
  for (std::size_t i = 0; i < n; ++i) out.put(char(rng() & 0xff));
  return path;
}

// fma-convert's shape: filesrc ! decodebin ! (audio pad) audioconvert ! fakesink, counting buffers.
struct DecodePipeline {
  GstElement* src = nullptr;
  GstElement* sink = nullptr;
  PipelineRunner runner{"test-decode", [this](GstBin* bin) {
                          src = gst_element_factory_make("filesrc", nullptr);
                          GstElement* decode = gst_element_factory_make("decodebin", nullptr);
                          GstElement* convert = gst_element_factory_make("audioconvert", nullptr);
                          sink = gst_element_factory_make("fakesink", nullptr);
                          if (!src || !decode || !convert || !sink) throw std::runtime_error("elements missing");
                          g_object_set(sink, "sync", FALSE, nullptr);
                          gst_bin_add_many(bin, src, decode, convert, sink, nullptr);
                          if (!gst_element_link(src, decode) || !gst_element_link(convert, sink))
                            throw std::runtime_error("cannot link");
                          genre::tools::link_audio_pads(decode, convert);
                        }};

  RunEnd play(const std::string& path) {
    runner.pipeline();
    g_object_set(src, "location", path.c_str(), nullptr);
    RunOptions options;
    options.timeout = 30s;
    return runner.run(options);
  }
  std::string location() const {
    gchar* l = nullptr;
    g_object_get(src, "location", &l, nullptr);
    std::string s = l ? l : "";
    g_free(l);
    return s;
  }
};

}  // namespace

// The random-bytes race: a bad file's streaming thread posts a last ERROR while the reset
// stops it, which left filesrc PAUSED with the bad file open. After reset() every element
// is in READY, so the same pipeline takes the next file and decodes it.
TEST(PipelineRunner, ErrorOnOneItemThenSuccessOnTheNextWithTheSamePipeline) {
  TempDir t;
  const std::string good = write_wav(t.sub("good.wav"), 22050);
  DecodePipeline p;
  for (unsigned round = 0; round < 20; ++round) {
    const std::string bad = write_random_bytes(t.sub("bad" + std::to_string(round)), 64 * 1024, round);
    const RunEnd failed = p.play(bad);
    EXPECT_EQ(failed.kind, RunEnd::Kind::kError) << round;
    EXPECT_FALSE(failed.error.empty());
    EXPECT_EQ(failed.error.find('\n'), std::string::npos) << failed.error;
    ASSERT_TRUE(p.runner.reset()) << round;
    const RunEnd ok = p.play(good);
    EXPECT_TRUE(ok.ok()) << round << ": " << ok.error;
    EXPECT_EQ(p.location(), good);  // filesrc took the new location: it was in READY
    ASSERT_TRUE(p.runner.reset());
  }
  EXPECT_EQ(p.runner.builds(), 1);
}

// The settle check looks at every element, not only at the pipeline's own state change:
// an element that stays PLAYING (its state locked) makes reset() refuse reuse, and the
// pipeline built after discard() runs the next item.
TEST(PipelineRunner, ResetRefusesAPipelineWhoseElementsDidNotAllReachReady) {
  GstElement* src = nullptr;
  PipelineRunner runner("test-locked", [&src](GstBin* bin) {
    src = gst_element_factory_make("audiotestsrc", nullptr);
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(src, "num-buffers", 5, nullptr);
    gst_bin_add_many(bin, src, sink, nullptr);
    gst_element_link(src, sink);
  });
  runner.pipeline();
  ASSERT_TRUE(runner.run({}).ok());
  gst_element_set_locked_state(src, TRUE);  // the pipeline's READY passes it by: it stays PLAYING
  EXPECT_FALSE(runner.reset());
  gst_element_set_locked_state(src, FALSE);
  EXPECT_EQ(runner.discard(), "");
  const RunEnd again = runner.run({});  // builds a fresh pipeline
  EXPECT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(runner.builds(), 2);
  EXPECT_TRUE(runner.reset());
}

TEST(PipelineRunner, TimeoutEndsARunAndTheSamePipelineRunsTheNextItem) {
  GstElement* src = nullptr;
  PipelineRunner runner("test-timeout", [&src](GstBin* bin) {
    src = gst_element_factory_make("audiotestsrc", nullptr);
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(src, "is-live", TRUE, nullptr);  // real time: no EOS within the timeout
    gst_bin_add_many(bin, src, sink, nullptr);
    gst_element_link(src, sink);
  });
  runner.pipeline();
  RunOptions options;
  options.timeout = 300ms;
  const auto started = std::chrono::steady_clock::now();
  const RunEnd end = runner.run(options);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(end.kind, RunEnd::Kind::kTimeout);
  EXPECT_EQ(end.error, "no end of stream after 0.3 s");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
  ASSERT_TRUE(runner.reset());
  g_object_set(src, "num-buffers", 3, nullptr);
  EXPECT_TRUE(runner.run(options).ok());
  EXPECT_EQ(runner.builds(), 1);
}

TEST(PipelineRunner, HandlerSeesMessagesAndCanEndTheRun) {
  PipelineRunner runner("test-handler", [](GstBin* bin) {
    GstElement* src = gst_element_factory_make("audiotestsrc", nullptr);
    GstElement* level = gst_element_factory_make("level", nullptr);
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(src, "num-buffers", 1000, nullptr);
    g_object_set(level, "interval", guint64(10 * GST_MSECOND), "post-messages", TRUE, nullptr);
    gst_bin_add_many(bin, src, level, sink, nullptr);
    gst_element_link_many(src, level, sink, nullptr);
  });
  int levels = 0;
  RunOptions options;
  options.also = GST_MESSAGE_ELEMENT;
  options.on_message = [&levels](GstMessage* msg) {
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT && gst_message_has_name(msg, "level")) ++levels;
    return levels == 3;
  };
  const RunEnd end = runner.run(options);
  EXPECT_EQ(end.kind, RunEnd::Kind::kByHandler);
  EXPECT_EQ(levels, 3);
  EXPECT_TRUE(runner.reset());
  int stops = 0;
  options.on_message = nullptr;
  options.stop = [&stops] { return ++stops == 2; };  // e.g. SIGINT, polled between messages
  EXPECT_EQ(runner.run(options).kind, RunEnd::Kind::kStopped);
  EXPECT_TRUE(runner.reset());
}

TEST(PipelineRunner, ABuildThatThrowsLeavesNothingAndTheNextCallBuildsAgain) {
  int calls = 0;
  PipelineRunner runner("test-build", [&calls](GstBin* bin) {
    GstElement* src = gst_element_factory_make("audiotestsrc", nullptr);
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    gst_bin_add_many(bin, src, sink, nullptr);
    if (++calls == 1) throw std::runtime_error("no such element: nosuchelement");
    g_object_set(src, "num-buffers", 2, nullptr);
    gst_element_link(src, sink);
  });
  try {
    runner.pipeline();
    FAIL() << "the build's error was not passed on";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "no such element: nosuchelement");
  }
  EXPECT_TRUE(runner.run({}).ok());
  EXPECT_EQ(runner.builds(), 2);
}

TEST(MessageText, OneLineWithTheDebugTextCut) {
  GError* err = g_error_new_literal(GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, "bad frame\nat 12 s");
  const std::string debug(300, 'd');
  GstMessage* msg = gst_message_new_error(nullptr, err, debug.c_str());
  EXPECT_EQ(genre::tools::message_text(msg), "bad frame at 12 s (" + std::string(200, 'd') + "...)");
  EXPECT_EQ(genre::tools::message_text(msg, 0), "bad frame at 12 s");
  gst_message_unref(msg);
  GstMessage* warning = gst_message_new_warning(nullptr, err, nullptr);
  EXPECT_EQ(genre::tools::message_text(warning), "bad frame at 12 s");
  gst_message_unref(warning);
  g_error_free(err);
}
