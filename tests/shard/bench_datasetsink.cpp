// Benchmark: datasetsink's share of pipeline time. The same pipeline
// (audiotestsrc -> melspec -> specresize 224x224) ends in datasetsink or in
// fakesink, alternated in one process; share = (t_sink - t_fake) / t_sink,
// medians of several runs. Target: < 2%.
#include <gst/gst.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "shard_test_util.h"

using Clock = std::chrono::steady_clock;

// One pipeline reused for `clips` clips through READY<->PLAYING, as
// fma-convert does; the time includes the final READY->NULL (shard finalize).
static double run_clips(const std::string& desc, int clips, bool dataset) {
  GstElement* p = gst_parse_launch(desc.c_str(), nullptr);
  if (!p) return -1;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "out");
  static int run = 0;
  ++run;
  const auto start = Clock::now();
  bool ok = true;
  for (int c = 0; c < clips && ok; ++c) {
    if (dataset) {
      const std::string key = "r" + std::to_string(run) + "c" + std::to_string(c);
      g_object_set(sink, "key", key.c_str(), nullptr);
    }
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstBus* bus = gst_element_get_bus(p);
    GstMessage* m = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    ok = m && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS;
    if (m) gst_message_unref(m);
    gst_object_unref(bus);
    gst_element_set_state(p, GST_STATE_READY);
  }
  gst_element_set_state(p, GST_STATE_NULL);
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  gst_object_unref(sink);
  gst_object_unref(p);
  return ok ? secs : -1;
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// decodebin's dynamic pad is linked once by gst_parse_launch, so MP3 pipelines
// are built afresh per clip (each datasetsink then opens the dataset and
// finalizes one shard: the most expensive way to use it).
static double run_fresh(const std::string& desc, int clips, bool dataset) {
  double total = 0;
  for (int c = 0; c < clips; ++c) {
    const double t = run_clips(desc, 1, dataset);
    if (t < 0) return -1;
    total += t;
  }
  return total;
}

static void measure(const char* label, const std::string& front, int clips, int reps, bool fresh = false) {
  std::vector<double> with_sink, with_fake;
  for (int r = 0; r < reps; ++r) {
    genre::shard::test::TempDir tmp;  // a fresh dataset each time: opening one scans its shards
    auto timed = fresh ? run_fresh : run_clips;
    with_fake.push_back(timed(front + " ! fakesink name=out", clips, false));
    with_sink.push_back(timed(front + " ! datasetsink name=out label=0 location=" + tmp.sub("ds"), clips, true));
  }
  const double s = median(with_sink), f = median(with_fake);
  std::printf("%-44s fakesink %.3f s, datasetsink %.3f s, sink share %.2f%% (target < 2%%)\n", label, f, s,
              100.0 * (s - f) / s);
}

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines appear as they are measured
  genre::shard::test::TempDir media;
  const std::string mp3 = media.sub("clip.mp3");
  const bool have_mp3 =
      run_clips("audiotestsrc num-buffers=646 samplesperbuffer=1024 wave=saw freq=220 ! audio/x-raw,rate=44100,channels=2 ! "
                "lamemp3enc ! filesink name=out location=" + mp3, 1, false) > 0;
  const std::string synth =
      "audiotestsrc num-buffers=646 samplesperbuffer=1024 wave=saw freq=220 ! audio/x-raw,rate=22050,channels=1 ! "
      "melspec ! ";  // 30 s clip, no decoding: the worst case for the sink's share
  const std::string decoded = "filesrc location=" + mp3 +
      " ! decodebin ! audioconvert ! audioresample ! audio/x-raw,rate=22050,channels=1 ! melspec ! ";
  std::printf("datasetsink share of pipeline time, 30 s clips, float16, one pipeline reused for 100 clips "
              "(one shard finalized and fsynced at the end), median of 5\n");
  measure("synthetic audio, per-clip 224x224 (1/clip)", synth + "specresize width=224 height=224", 100, 5);
  measure("synthetic audio, 3 s windows (10/clip)", synth + "specresize width=224 height=224 window-frames=130", 100, 5);
  if (have_mp3) {
    // Not how fma-convert works (it reuses its pipelines): the most expensive case.
    measure("MP3, new pipeline per clip, 1 image/clip", decoded + "specresize width=224 height=224", 10, 3, true);
    measure("MP3, new pipeline per clip, 10 windows/clip", decoded + "specresize width=224 height=224 window-frames=130",
            10, 3, true);
  } else {
    std::printf("(lamemp3enc unavailable: MP3 front end not measured)\n");
  }
  gst_deinit();
  return 0;
}
