// datasetsink: GstHarness and real gst-launch pipelines. Every dataset written
// is read back with the C++ reader (and once with Python's tarfile + numpy).
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gst_test_util.h"
#include "temp_dir.h"
#include "shard/dataset_reader.h"
#include "shard/sample_key.h"
#include "shard/dataset_writer.h"
#include "shard/sha256.h"
#include "shard/shard_error.h"

namespace fs = std::filesystem;
using genre::shard::DatasetReader;
using genre::shard::ReaderOptions;

namespace {

using genre::test::TempDir;

const char* kTaxonomy = R"({"fine": [
  {"index": 0, "name": "Punk", "fma_genre_id": 25, "macro": 0},
  {"index": 1, "name": "Indie-Rock", "fma_genre_id": 66, "macro": 0},
  {"index": 2, "name": "Techno", "fma_genre_id": 182, "macro": 1}],
 "macro": [{"index": 0, "name": "Rock", "fma_genre_id": 12},
           {"index": 1, "name": "Electronic", "fma_genre_id": 15}]})";

std::string write_taxonomy(const TempDir& t) {
  const std::string p = t.sub("taxonomy.json");
  std::ofstream(p) << kTaxonomy;
  return p;
}

// Audio -> melspec -> specresize front end; `seconds` of deterministic noise.
std::string frontend(double seconds, const std::string& specresize = "specresize width=32 height=32") {
  const int buffers = int(seconds * 22050 / 1024);
  return "audiotestsrc num-buffers=" + std::to_string(buffers) +
         " samplesperbuffer=1024 wave=saw freq=330 ! audio/x-raw,rate=22050,channels=1 ! "
         "melspec ! " + specresize;
}

struct RunResult {
  bool ok = false;
  std::string error;
};

RunResult wait_done(GstElement* pipeline) {
  RunResult r;
  r.error = genre::test::wait_for_eos(pipeline);
  r.ok = r.error.empty();
  return r;
}

RunResult run(const std::string& desc) {
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(desc.c_str(), &err);
  if (!p) {
    RunResult r;
    r.error = err ? err->message : "parse failed";
    if (err) g_error_free(err);
    return r;
  }
  RunResult r;
  if (gst_element_set_state(p, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    r = wait_done(p);
    if (r.error.empty()) r.error = "state change failed";
    r.ok = false;
  } else {
    r = wait_done(p);
  }
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  return r;
}

// The error a pipeline stops with: domain, code, poster and text ("" / 0 at EOS).
struct PipelineError {
  GQuark domain = 0;
  int code = 0;
  std::string source;
  std::string message;
};

PipelineError run_for_error(const std::string& desc) {
  PipelineError out;
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(desc.c_str(), &err);
  if (err) {
    out.domain = err->domain;
    out.code = err->code;
    out.message = err->message;
    g_error_free(err);
    if (p) gst_object_unref(p);
    return out;
  }
  gst_element_set_state(p, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(p);
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_object_unref(bus);
  if (!msg) {
    out.message = "timeout";
  } else {
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError* e = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_error(msg, &e, &debug);
      out.domain = e->domain;
      out.code = e->code;
      out.source = GST_OBJECT_NAME(GST_MESSAGE_SRC(msg));
      out.message = std::string(e->message) + " | " + (debug ? debug : "");
      g_error_free(e);
      g_free(debug);
    }
    gst_message_unref(msg);
  }
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  return out;
}

std::vector<std::string> keys_of(const DatasetReader& r, const std::string& split = "train") {
  std::vector<std::string> k;
  for (std::size_t i = 0; i < r.size(split); ++i) k.emplace_back(r.sample(split, i).key);
  std::sort(k.begin(), k.end());
  return k;
}

// key -> sha256 of the tensor data, for comparing two datasets.
std::map<std::string, std::string> digests(const DatasetReader& r, const std::string& split = "train") {
  std::map<std::string, std::string> d;
  for (std::size_t i = 0; i < r.size(split); ++i) {
    const auto v = r.sample(split, i);
    d[std::string(v.key)] = genre::shard::Sha256::hex_of(v.data, v.data_size);
  }
  return d;
}

// Same keys and labels, tensors equal within float16 resolution. (Two runs of
// the front end may differ in the last float bits: FFT plans are measured.)
void expect_same_samples(const DatasetReader& a, const DatasetReader& b, const std::string& split = "train") {
  ASSERT_EQ(keys_of(a, split), keys_of(b, split));
  std::map<std::string, std::size_t> index_b;
  for (std::size_t i = 0; i < b.size(split); ++i) index_b[std::string(b.sample(split, i).key)] = i;
  std::vector<float> va(a.element_count()), vb(b.element_count());
  for (std::size_t i = 0; i < a.size(split); ++i) {
    const auto sa = a.sample(split, i);
    const std::size_t j = index_b.at(std::string(sa.key));
    EXPECT_EQ(sa.fine, b.sample(split, j).fine);
    EXPECT_EQ(sa.macro, b.sample(split, j).macro);
    a.read_float32(split, i, va.data());
    b.read_float32(split, j, vb.data());
    float worst = 0.f;
    for (std::size_t k = 0; k < va.size(); ++k) worst = std::max(worst, std::abs(va[k] - vb[k]));
    EXPECT_LT(worst, 2e-3f) << sa.key;
  }
}

GstBuffer* tensor_buffer(const std::vector<float>& v) {
  GstBuffer* b = gst_buffer_new_allocate(nullptr, v.size() * 4, nullptr);
  gst_buffer_fill(b, 0, v.data(), v.size() * 4);
  return b;
}

const char* kCaps8x4 = "other/tensors,format=static,num_tensors=1,types=float32,dimensions=8:4:1:1,framerate=0/1";

}  // namespace

TEST(DatasetSink, HarnessWithoutWindowMetaWritesOneSamplePerBuffer) {
  TempDir t;
  GstHarness* h = gst_harness_new_parse(("datasetsink dtype=float32 key=000042 label=2 location=" + t.sub("ds")).c_str());
  gst_harness_set_src_caps_str(h, kCaps8x4);
  std::vector<std::vector<float>> pushed;
  for (int b = 0; b < 3; ++b) {
    std::vector<float> v(32);
    for (int i = 0; i < 32; ++i) v[std::size_t(i)] = float(b * 100 + i) / 7.f;
    pushed.push_back(v);
    ASSERT_EQ(gst_harness_push(h, tensor_buffer(v)), GST_FLOW_OK);
  }
  // Nothing is committed before EOS.
  EXPECT_FALSE(fs::exists(t.sub("ds/train-000000.tar")));
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  guint64 written = 0;
  GstElement* sink = gst_harness_find_element(h, "datasetsink");
  g_object_get(sink, "samples-written", &written, nullptr);
  gst_object_unref(sink);
  EXPECT_EQ(written, 3u);
  gst_harness_teardown(h);  // READY->NULL finalizes the shard

  DatasetReader r(t.sub("ds"), ReaderOptions{true});
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"000042_w0", "000042_w1", "000042_w2"}));
  EXPECT_EQ(r.shape(), (std::vector<std::uint64_t>{1, 4, 8}));
  std::vector<float> out(32);
  for (std::size_t i = 0; i < 3; ++i) {
    r.read_float32("train", i, out.data());
    const int w = std::stoi(std::string(r.sample("train", i).key).substr(8));
    EXPECT_EQ(out, pushed[std::size_t(w)]);  // float32: bit-exact
    EXPECT_EQ(r.sample("train", i).fine, 2);
    EXPECT_EQ(r.sample("train", i).macro, -1);
  }
}

TEST(DatasetSink, ClipWithoutEosLeavesNothing) {
  TempDir t;
  GstHarness* h = gst_harness_new_parse(("datasetsink key=1 label=0 location=" + t.sub("ds")).c_str());
  gst_harness_set_src_caps_str(h, kCaps8x4);
  ASSERT_EQ(gst_harness_push(h, tensor_buffer(std::vector<float>(32, 1.f))), GST_FLOW_OK);
  gst_harness_teardown(h);
  EXPECT_TRUE(fs::exists(t.sub("ds")));
  EXPECT_FALSE(fs::exists(t.sub("ds/train-000000.tar")));
  EXPECT_FALSE(fs::exists(t.sub("ds/train-000000.tar.partial")));
}

TEST(DatasetSink, PipelineWithWindowsTaxonomyAndParams) {
  TempDir t;
  const std::string tax = write_taxonomy(t);
  const RunResult res = run(frontend(4.0, "specresize width=32 height=24 window-frames=43 hop-frames=43") +
                            " ! datasetsink location=" + t.sub("ds") + " key=000777 label=Indie-Rock taxonomy=" + tax +
                            " split=val");
  ASSERT_TRUE(res.ok) << res.error;
  DatasetReader r(t.sub("ds"), ReaderOptions{true});
  const auto keys = keys_of(r, "val");
  ASSERT_GE(keys.size(), 3u);
  EXPECT_EQ(keys[0], "000777_w0");
  EXPECT_EQ(r.shape(), (std::vector<std::uint64_t>{1, 24, 32}));
  const auto s = r.sample("val", 1);
  EXPECT_EQ(s.fine, 1);
  EXPECT_EQ(s.macro, 0);  // from the taxonomy's fine -> macro map
  const auto meta = nlohmann::json::parse(s.json);
  EXPECT_EQ(meta["fine_name"], "Indie-Rock");
  EXPECT_EQ(meta["macro_name"], "Rock");
  EXPECT_EQ(meta["split"], "val");
  EXPECT_EQ(meta["track_id"], "000777");
  EXPECT_EQ(meta["params"]["genre/melspec-params"]["n-mels"], 128);
  EXPECT_EQ(meta["params"]["genre/specresize-params"]["window-frames"], 43);
  EXPECT_NEAR(meta["window"]["start_s"].get<double>(), 43 * 512.0 / 22050 * meta["window"]["index"].get<double>(), 1e-6);
  EXPECT_EQ(r.manifest().preprocessing.size(), 1u);
  EXPECT_TRUE(r.manifest().has_classes);
  EXPECT_EQ(r.manifest().splits().at("val").fine_counts, (genre::shard::ClassCounts{{1, keys.size()}}));
}

TEST(DatasetSink, ReusedPipelineKeepsOneShardOpenAcrossReadyCycles) {
  TempDir t;
  const std::string tax = write_taxonomy(t);
  GError* err = nullptr;
  GstElement* p = gst_parse_launch((frontend(1.0) + " ! datasetsink name=sink location=" + t.sub("ds") +
                                    " taxonomy=" + tax).c_str(), &err);
  ASSERT_NE(p, nullptr);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "sink");
  GstElement* src = nullptr;  // the pipeline's only source (its name depends on earlier tests)
  GstIterator* sources = gst_bin_iterate_sources(GST_BIN(p));
  GValue item = G_VALUE_INIT;
  if (gst_iterator_next(sources, &item) == GST_ITERATOR_OK) src = GST_ELEMENT(g_value_dup_object(&item));
  g_value_unset(&item);
  gst_iterator_free(sources);
  ASSERT_NE(src, nullptr);
  const char* labels[] = {"Punk", "Techno", "2"};
  for (int track = 0; track < 3; ++track) {
    const std::string key = "00000" + std::to_string(track);
    g_object_set(sink, "key", key.c_str(), "label", labels[track], nullptr);
    g_object_set(src, "freq", 200.0 + 150.0 * track, nullptr);
    ASSERT_NE(gst_element_set_state(p, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    const RunResult r = wait_done(p);
    ASSERT_TRUE(r.ok) << r.error;
    gst_element_set_state(p, GST_STATE_READY);
    // The shard stays open (partial) between tracks.
    EXPECT_FALSE(fs::exists(t.sub("ds/train-000000.tar")));
    EXPECT_TRUE(fs::exists(t.sub("ds/train-000000.tar.partial")));
  }
  gst_element_set_state(p, GST_STATE_NULL);
  gchar** shards = nullptr;
  g_object_get(sink, "finalized-shards", &shards, nullptr);
  ASSERT_NE(shards, nullptr);
  EXPECT_STREQ(shards[0], "train-000000.tar");
  g_strfreev(shards);
  gst_object_unref(src);
  gst_object_unref(sink);
  gst_object_unref(p);
  DatasetReader r(t.sub("ds"));
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"000000", "000001", "000002"}));
  EXPECT_EQ(r.manifest().shards.size(), 1u);
  EXPECT_EQ(r.manifest().splits().at("train").fine_counts, (genre::shard::ClassCounts{{0, 1}, {2, 2}}));
  EXPECT_EQ(r.manifest().splits().at("train").macro_counts, (genre::shard::ClassCounts{{0, 1}, {1, 2}}));
}

// A converter changes split and key at READY between tracks, and stops a
// failed track without EOS: the split change must reach the shards and the
// stopped clip must leave nothing, not be committed by the next track.
TEST(DatasetSink, ReusedPipelineTakesNewSplitsAndDropsStoppedClips) {
  TempDir t;
  const std::string tax = write_taxonomy(t);
  GError* err = nullptr;
  GstElement* p = gst_parse_launch((frontend(20.0, "specresize width=16 height=16 window-frames=43") +
                                    " ! datasetsink name=sink location=" + t.sub("ds") + " taxonomy=" + tax).c_str(),
                                   &err);
  ASSERT_NE(p, nullptr);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "sink");
  GstPad* sink_pad = gst_element_get_static_pad(sink, "sink");
  // For the stopped track the probe lets 3 buffers through and holds back
  // the rest and EOS, so the clip is certainly unfinished when READY comes.
  struct Gate {
    std::atomic<int> buffers{0};
    std::atomic<bool> stop_after_three{false};
  } gate;
  gst_pad_add_probe(sink_pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      [](GstPad*, GstPadProbeInfo* info, gpointer data) {
        auto* g = static_cast<Gate*>(data);
        if (!g->stop_after_three) return GST_PAD_PROBE_OK;
        if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER)
          return ++g->buffers <= 3 ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
        return GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS ? GST_PAD_PROBE_DROP
                                                                                : GST_PAD_PROBE_OK;
      }, &gate, nullptr);
  struct Track { const char* key; const char* split; bool complete; };
  for (const Track& track : {Track{"000001", "train", true}, Track{"000002", "val", false},
                             Track{"000003", "val", true}}) {
    g_object_set(sink, "key", track.key, "label", "Punk", nullptr);
    gst_util_set_object_arg(G_OBJECT(sink), "split", track.split);
    gate.buffers = 0;
    gate.stop_after_three = !track.complete;
    ASSERT_NE(gst_element_set_state(p, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    if (track.complete) {
      const RunResult r = wait_done(p);
      ASSERT_TRUE(r.ok) << r.error;
    } else {
      for (int i = 0; i < 20000 && gate.buffers <= 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ASSERT_GT(gate.buffers.load(), 3) << "the stopped track never reached the sink";
    }
    gst_element_set_state(p, GST_STATE_READY);
  }
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(sink_pad);
  gst_object_unref(sink);
  gst_object_unref(p);
  DatasetReader r(t.sub("ds"));
  const auto train = keys_of(r, "train"), val = keys_of(r, "val");
  ASSERT_FALSE(train.empty());
  ASSERT_FALSE(val.empty());
  for (const auto& k : train) EXPECT_EQ(k.substr(0, 6), "000001") << k;
  for (const auto& k : val) EXPECT_EQ(k.substr(0, 6), "000003") << k;
  EXPECT_EQ(train.size(), val.size());
}

TEST(DatasetSink, RolloverByCountAndBytesInAPipeline) {
  TempDir t;
  RunResult res = run(frontend(6.0, "specresize width=16 height=16 window-frames=20") + " ! datasetsink location=" +
                      t.sub("a") + " key=7 label=1 max-samples=4");
  ASSERT_TRUE(res.ok) << res.error;
  DatasetReader a(t.sub("a"));
  const std::size_t n = a.size("train");
  ASSERT_GE(n, 9u);
  EXPECT_EQ(a.manifest().shards.size(), (n + 3) / 4);
  for (std::size_t i = 0; i + 1 < a.manifest().shards.size(); ++i) EXPECT_EQ(a.manifest().shards[i].samples, 4u);
  res = run(frontend(6.0, "specresize width=16 height=16 window-frames=20") + " ! datasetsink location=" +
            t.sub("b") + " key=7 label=1 max-samples=0 max-bytes=12000");
  ASSERT_TRUE(res.ok) << res.error;
  DatasetReader b(t.sub("b"));
  EXPECT_EQ(b.size("train"), n);
  EXPECT_GT(b.manifest().shards.size(), 2u);
  for (const auto& s : b.manifest().shards) EXPECT_LE(s.bytes, 12000u);
  expect_same_samples(a, b);
}

TEST(DatasetSink, LabelsFromGenreTags) {
  TempDir t;
  const std::string tax = write_taxonomy(t);
  const RunResult res = run(frontend(1.0) + " ! taginject tags=\"genre=Techno\" ! datasetsink labels-from-tags=true"
                            " key=5 location=" + t.sub("ds") + " taxonomy=" + tax);
  ASSERT_TRUE(res.ok) << res.error;
  DatasetReader r(t.sub("ds"));
  ASSERT_EQ(r.size("train"), 1u);
  EXPECT_EQ(r.sample("train", 0).fine, 2);
  EXPECT_EQ(r.sample("train", 0).macro, 1);
}

// Without a taxonomy, genre names from tags (or the label property) grow the
// dataset's class list in manifest.json; spelling variants are one class.
TEST(DatasetSink, GenreTagNamesWithoutTaxonomyGrowTheClassList) {
  TempDir t;
  const std::string ds = t.sub("ds");
  // taginject's tags as a structure string (set as a property: quotes keep the spaces).
  const std::vector<std::pair<std::string, std::string>> clips{
      {"1", "genre=jazz"}, {"2", "genre=Rock"}, {"3", "genre=\"  JAZZ \""}, {"4", "genre=Hip-Hop"}};
  for (const auto& [key, tags] : clips) {
    GstElement* p = gst_parse_launch((frontend(1.0) + " ! taginject name=tagger ! datasetsink labels-from-tags=true"
                                      " key=" + key + " location=" + ds).c_str(), nullptr);
    ASSERT_NE(p, nullptr);
    GstElement* tagger = gst_bin_get_by_name(GST_BIN(p), "tagger");
    g_object_set(tagger, "tags", tags.c_str(), nullptr);
    gst_object_unref(tagger);
    gst_element_set_state(p, GST_STATE_PLAYING);
    const RunResult res = wait_done(p);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
    ASSERT_TRUE(res.ok) << key << ": " << res.error;
  }
  ASSERT_TRUE(run(frontend(1.0) + " ! datasetsink label=rock all-labels=Soul key=5 location=" + ds).ok);
  DatasetReader r(ds, ReaderOptions{true});
  ASSERT_TRUE(r.manifest().has_classes);
  EXPECT_TRUE(r.manifest().classes_from_names);
  std::vector<std::string> names;
  for (const auto& c : r.manifest().classes.fine) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"jazz", "Rock", "Hip-Hop", "Soul"}));
  EXPECT_TRUE(r.manifest().classes.macro.empty());
  std::map<std::string, int> fine;
  for (std::size_t i = 0; i < r.size("train"); ++i) {
    const auto v = r.sample("train", i);
    fine[std::string(v.key)] = v.fine;
    EXPECT_EQ(v.macro, -1);
    const auto meta = nlohmann::json::parse(v.json);
    EXPECT_EQ(meta["fine_name"], names[std::size_t(v.fine)]);
    EXPECT_EQ(meta["fine_class"]["name"], names[std::size_t(v.fine)]);
    if (v.key == "5") {
      EXPECT_EQ(meta["fine_labels"], (nlohmann::json{{{"index", 1}, {"name", "Rock"}}, {{"index", 3}, {"name", "Soul"}}}));
    }
  }
  EXPECT_EQ(fine, (std::map<std::string, int>{{"1", 0}, {"2", 1}, {"3", 0}, {"4", 2}, {"5", 1}}));
  EXPECT_EQ(r.manifest().splits().at("train").fine_counts, (genre::shard::ClassCounts{{0, 2}, {1, 2}, {2, 1}}));
}

TEST(DatasetSink, GenreTagIndicesWithoutTaxonomyStillWork) {
  TempDir t;
  for (const std::string key : {"1", "2"}) {
    const RunResult res = run(frontend(1.0) + " ! taginject tags=\"genre=3\" ! datasetsink labels-from-tags=true"
                              " key=" + key + " location=" + t.sub("ds"));
    ASSERT_TRUE(res.ok) << res.error;
  }
  DatasetReader r(t.sub("ds"));
  EXPECT_FALSE(r.manifest().has_classes);
  ASSERT_EQ(r.size("train"), 2u);
  EXPECT_EQ(r.sample("train", 0).fine, 3);
  EXPECT_EQ(r.sample("train", 1).fine, 3);
  const RunResult mixed = run(frontend(1.0) + " ! taginject tags=\"genre=jazz\" ! datasetsink labels-from-tags=true"
                              " key=3 location=" + t.sub("ds"));
  EXPECT_NE(mixed.error.find("holds samples labelled by class index"), std::string::npos) << mixed.error;
}

// Parallel gst-launch-1.0 processes tag clips with names in different orders
// and spellings into one directory: one class list, each name once, and every
// sample's .cls and fine_name agree with it (and Python reads it the same).
TEST(DatasetSink, ConcurrentGstLaunchProcessesAgreeOnOneClassList) {
  TempDir t;
  const std::string ds = t.sub("ds");
  const std::vector<std::string> genres{"Jazz", "Rock", "Pop", "Blues", "Folk", "Soul"};
  constexpr int kProcs = 6;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Each process writes three clips (three pipelines in a row), starting at another genre.
      std::string cmd;
      for (int c = 0; c < 3; ++c) {
        const std::string& g = genres[std::size_t(p + c * 2) % genres.size()];
        std::string spelled = g;
        if (p % 2) for (char& ch : spelled) ch = char(std::toupper(static_cast<unsigned char>(ch)));
        cmd += "gst-launch-1.0 -q " + frontend(0.5, "specresize width=16 height=16") + " ! taginject tags=genre=" +
               spelled + " ! datasetsink labels-from-tags=true max-samples=2 key=p" + std::to_string(p) + "c" +
               std::to_string(c) + "_" + g + " location=" + ds + " >/dev/null 2>&1 || exit 1; ";
      }
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  DatasetReader r(ds, ReaderOptions{true});
  std::vector<std::string> names;
  for (const auto& c : r.manifest().classes.fine) names.push_back(c.name);
  std::set<std::string> lowered;
  for (std::string n : names) {
    for (char& ch : n) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    lowered.insert(n);
  }
  EXPECT_EQ(names.size(), genres.size());
  EXPECT_EQ(lowered.size(), genres.size());
  ASSERT_EQ(r.size("train"), std::size_t(kProcs * 3));
  for (std::size_t i = 0; i < r.size("train"); ++i) {
    const auto v = r.sample("train", i);
    const std::string key(v.key), genre = key.substr(key.find('_') + 1);
    ASSERT_LT(std::size_t(v.fine), names.size());
    std::string name = names[std::size_t(v.fine)];
    EXPECT_EQ(strcasecmp(name.c_str(), genre.c_str()), 0) << key << " is labelled " << name;
    EXPECT_EQ(nlohmann::json::parse(v.json)["fine_name"], name);
  }
  if (access("/usr/bin/python3", X_OK) == 0 && std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") == 0) {
    // The Python reader checks every .cls / fine_name against the manifest's list.
    const int rc = std::system(("/usr/bin/python3 " SHARD_TEST_DIR "/read_with_python.py dataset " + ds +
                                " - >/dev/null").c_str());
    EXPECT_EQ(rc, 0);
  }
}

TEST(DatasetSink, ErrorsAreClearElementErrors) {
  TempDir t;
  const std::string tax = write_taxonomy(t);
  RunResult r = run(frontend(1.0) + " ! datasetsink key=1 label=Polka taxonomy=" + tax + " location=" + t.sub("ds"));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("label 'Polka' is not a fine class of taxonomy"), std::string::npos) << r.error;
  // Without a taxonomy a name grows the class list; an index is then refused, and the reverse.
  ASSERT_TRUE(run(frontend(1.0) + " ! datasetsink key=1 label=Rock location=" + t.sub("names")).ok);
  r = run(frontend(1.0) + " ! datasetsink key=2 label=0 location=" + t.sub("names"));
  EXPECT_NE(r.error.find("labels classes by name (manifest.json lists 1 fine classes grown from names)"),
            std::string::npos) << r.error;
  ASSERT_TRUE(run(frontend(1.0) + " ! datasetsink key=1 label=0 location=" + t.sub("indices")).ok);
  r = run(frontend(1.0) + " ! datasetsink key=2 label=Rock location=" + t.sub("indices"));
  EXPECT_NE(r.error.find("holds samples labelled by class index (no class list)"), std::string::npos) << r.error;
  r = run(frontend(1.0) + " ! datasetsink key=3 label=2 all-labels=Jazz location=" + t.sub("fresh"));
  EXPECT_NE(r.error.find("label '2' is a class index but all-labels entry 'Jazz' is a name"), std::string::npos)
      << r.error;
  r = run(frontend(1.0) + " ! datasetsink key=3 label=-1 location=" + t.sub("fresh"));
  EXPECT_NE(r.error.find("label '-1' is not a class index"), std::string::npos) << r.error;
  r = run(frontend(1.0) + " ! datasetsink key=1 label=Rock taxonomy=" + tax + " location=" + t.sub("names"));
  EXPECT_NE(r.error.find("class list grown from label names"), std::string::npos) << r.error;
  r = run(frontend(1.0) + " ! datasetsink key=1 location=" + t.sub("ds2"));
  EXPECT_NE(r.error.find("No label for key '1'"), std::string::npos) << r.error;
  r = run(frontend(1.0) + " ! datasetsink key=a.b label=0 location=" + t.sub("ds2"));
  EXPECT_NE(r.error.find("free of dots"), std::string::npos) << r.error;
  std::ofstream(t.sub("file")) << "x";
  r = run(frontend(1.0) + " ! datasetsink key=1 label=0 location=" + t.sub("file/ds"));
  EXPECT_NE(r.error.find("Could not open dataset"), std::string::npos) << r.error;
  r = run(frontend(1.0) + " ! datasetsink key=1 label=0");
  EXPECT_NE(r.error.find("set the location property"), std::string::npos) << r.error;
  // A dataset of 32x32 images refuses 16x16 ones in a later run.
  ASSERT_TRUE(run(frontend(1.0) + " ! datasetsink key=1 label=0 location=" + t.sub("ds3")).ok);
  r = run(frontend(1.0, "specresize width=16 height=16") + " ! datasetsink key=2 label=0 location=" + t.sub("ds3"));
  EXPECT_NE(r.error.find("holds samples of shape [1,32,32], not [1,16,16]"), std::string::npos) << r.error;
  DatasetReader ok(t.sub("ds3"));
  EXPECT_EQ(ok.size("train"), 1u);
}

TEST(DatasetSink, CapsChangeInsideAClipIsAnError) {
  TempDir t;
  GstHarness* h = gst_harness_new_parse(("datasetsink key=9 label=0 location=" + t.sub("ds")).c_str());
  {
    genre::test::ErrorBus bus(h->element);
    gst_harness_set_src_caps_str(h, kCaps8x4);
    ASSERT_EQ(gst_harness_push(h, tensor_buffer(std::vector<float>(32, 1.f))), GST_FLOW_OK);
    gst_harness_set_src_caps_str(h, "other/tensors,format=static,num_tensors=1,types=float32,dimensions=4:4:1:1,"
                                    "framerate=0/1");
    EXPECT_NE(gst_harness_push(h, tensor_buffer(std::vector<float>(16, 1.f))), GST_FLOW_OK);
    const std::string error = bus.errors();
    EXPECT_NE(error.find("in the middle of clip '9'"), std::string::npos) << error;
  }
  gst_harness_teardown(h);
}

// Every GST_FLOW_ERROR comes with an ERROR message saying why. A buffer that reaches the
// sink while no dataset is open (its pad activated without READY->PAUSED, which opens it)
// used to stop the stream with no message at all.
TEST(DatasetSink, BufferWithoutAnOpenDatasetIsAnErrorMessage) {
  TempDir t;
  GstElement* sink = gst_element_factory_make("datasetsink", nullptr);
  ASSERT_NE(sink, nullptr);
  gst_object_ref_sink(sink);
  g_object_set(sink, "location", t.sub("ds").c_str(), "key", "1", "label", "0", nullptr);
  GstPad* pad = gst_element_get_static_pad(sink, "sink");
  {
    genre::test::ErrorBus bus(sink);
    ASSERT_TRUE(gst_pad_set_active(pad, TRUE));
    gst_pad_send_event(pad, gst_event_new_stream_start("no-dataset"));
    GstCaps* caps = gst_caps_from_string(kCaps8x4);
    gst_pad_send_event(pad, gst_event_new_caps(caps));
    gst_caps_unref(caps);
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_send_event(pad, gst_event_new_segment(&segment));
    EXPECT_EQ(gst_pad_chain(pad, tensor_buffer(std::vector<float>(32, 1.f))), GST_FLOW_ERROR);
    const std::string error = bus.errors();
    EXPECT_NE(error.find("No dataset is open"), std::string::npos) << error;
    gst_pad_set_active(pad, FALSE);
  }
  gst_object_unref(pad);
  // basesink lets go of the negotiated caps at PAUSED->READY: a state cycle frees them.
  gst_element_set_state(sink, GST_STATE_PAUSED);
  gst_element_set_state(sink, GST_STATE_NULL);
  gst_object_unref(sink);
  EXPECT_FALSE(fs::exists(t.sub("ds/train-000000.tar")));
}

// Error messages name where a refused label came from: the label property, an all-labels
// entry, the macro-label property or a genre tag.
TEST(DatasetSink, RefusedLabelsNameTheirOrigin) {
  TempDir t;
  const std::string tax = write_taxonomy(t);
  auto first_error = [&](const std::string& properties, GstTagList* tags) {
    GstHarness* h = gst_harness_new_parse(("datasetsink key=7 taxonomy=" + tax + " location=" + t.sub("ds") + " " +
                                           properties).c_str());
    std::string error;
    {
      genre::test::ErrorBus bus(h->element);
      gst_harness_set_src_caps_str(h, kCaps8x4);
      if (tags) gst_harness_push_event(h, gst_event_new_tag(tags));
      EXPECT_EQ(gst_harness_push(h, tensor_buffer(std::vector<float>(32, 1.f))), GST_FLOW_ERROR) << properties;
      error = bus.errors();
    }
    gst_harness_teardown(h);
    return error;
  };
  EXPECT_NE(first_error("label=Polka", nullptr).find("label 'Polka' is not a fine class"), std::string::npos);
  EXPECT_NE(first_error("label=Punk all-labels=Polka", nullptr).find("all-labels entry 'Polka' is not a fine class"),
            std::string::npos);
  EXPECT_NE(first_error("label=Punk macro-label=Jazz", nullptr).find("macro-label 'Jazz' is not a macro class"),
            std::string::npos);
  // Unknown tagged genres are skipped, not refused one by one: none known is the error.
  const std::string tagged =
      first_error("labels-from-tags=true", gst_tag_list_new(GST_TAG_GENRE, "Polka", nullptr));
  EXPECT_NE(tagged.find("None of the genre tags (Polka) is a class of"), std::string::npos) << tagged;
  // A known tag among unknown ones labels the clip.
  GstHarness* h = gst_harness_new_parse(("datasetsink key=8 labels-from-tags=true taxonomy=" + tax + " location=" +
                                         t.sub("ds")).c_str());
  gst_harness_set_src_caps_str(h, kCaps8x4);
  gst_harness_push_event(h, gst_event_new_tag(gst_tag_list_new(GST_TAG_GENRE, "Polka", GST_TAG_GENRE, "Techno",
                                                                nullptr)));
  EXPECT_EQ(gst_harness_push(h, tensor_buffer(std::vector<float>(32, 1.f))), GST_FLOW_OK);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  gst_harness_teardown(h);
  DatasetReader r(t.sub("ds"));
  ASSERT_EQ(r.size("train"), 1u);
  EXPECT_EQ(r.sample("train", 0).fine, 2);
}

TEST(DatasetSink, RerunSkipsSamplesAlreadyPresent) {
  TempDir t;
  const std::string desc = frontend(3.0, "specresize width=16 height=16 window-frames=30") + " ! datasetsink name=s "
                           "key=000010 label=0 max-samples=2 location=" + t.sub("ds");
  ASSERT_TRUE(run(desc).ok);
  const auto before = digests(DatasetReader(t.sub("ds")));
  GstElement* p = gst_parse_launch(desc.c_str(), nullptr);
  gst_element_set_state(p, GST_STATE_PLAYING);
  ASSERT_TRUE(wait_done(p).ok);
  GstElement* s = gst_bin_get_by_name(GST_BIN(p), "s");
  guint64 written = 99, skipped = 0;
  g_object_get(s, "samples-written", &written, "duplicates-skipped", &skipped, nullptr);
  EXPECT_EQ(written, 0u);
  EXPECT_EQ(skipped, before.size());
  gst_object_unref(s);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  EXPECT_EQ(digests(DatasetReader(t.sub("ds"))), before);
}

TEST(DatasetSink, ConcurrentPipelinesInOneProcess) {
  TempDir t;
  std::vector<std::thread> threads;
  std::vector<RunResult> results(4);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      results[std::size_t(i)] = run(frontend(3.0, "specresize width=16 height=16 window-frames=25") +
                                    " ! datasetsink max-samples=3 label=" + std::to_string(i % 3) + " key=00" +
                                    std::to_string(i) + " location=" + t.sub("ds"));
    });
  for (auto& th : threads) th.join();
  for (const auto& r : results) ASSERT_TRUE(r.ok) << r.error;
  DatasetReader r(t.sub("ds"), ReaderOptions{true});
  const auto keys = keys_of(r);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size());
  const std::size_t per = keys.size() / 4;
  EXPECT_EQ(keys.size(), 4 * per);
  EXPECT_EQ(r.manifest().splits().at("train").fine_counts,
            (genre::shard::ClassCounts{{0, 2 * per}, {1, per}, {2, per}}));
}

// A gst-launch-1.0 process, killed with SIGKILL while it writes, then run again.
TEST(DatasetSink, KillDashNineThenRerunEqualsAnUninterruptedRun) {
  TempDir t;
  const std::string pipeline = frontend(40.0, "specresize width=16 height=16 window-frames=4") +
                               " ! datasetsink key=000321 label=1 max-samples=8 location=";
  ASSERT_TRUE(run(pipeline + t.sub("ref")).ok);
  DatasetReader ref(t.sub("ref"));
  const std::size_t want = ref.size("train");
  ASSERT_GT(want, 100u);

  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string cmd = "exec gst-launch-1.0 -q " + pipeline + t.sub("ds") + " >/dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Samples are committed at EOS (one clip): kill while the shard files are
  // being written, or as late as possible before the process ends.
  for (int i = 0; i < 4000; ++i) {
    if (fs::exists(t.sub("ds/train-000003.tar"))) break;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  // What the killed run left in finalized shards must survive the rerun unchanged.
  std::map<std::string, std::string> survived;
  if (fs::exists(t.sub("ds"))) {
    genre::shard::WriterOptions o;
    o.dir = t.sub("ds");
    genre::shard::DatasetWriter recover(o);  // re-registers shards the kill left unlisted
    recover.close();
    if (fs::exists(t.sub("ds/manifest.json"))) survived = digests(DatasetReader(t.sub("ds")));
  }
  EXPECT_LE(survived.size(), want);
  ASSERT_TRUE(run(pipeline + t.sub("ds")).ok);
  DatasetReader r(t.sub("ds"), ReaderOptions{true});
  expect_same_samples(ref, r);
  const auto after = digests(r);
  for (const auto& [key, digest] : survived) EXPECT_EQ(after.at(key), digest) << key;
  EXPECT_EQ(r.manifest().splits().at("train").samples, want);
  for (const auto& e : fs::directory_iterator(t.sub("ds")))
    EXPECT_EQ(e.path().string().find(".partial"), std::string::npos) << e.path();
}

TEST(DatasetSink, DiskFullIsAClearErrorAndFinalizedShardsStayValid) {
  TempDir t;
  const std::string pipeline = frontend(3.0, "specresize width=16 height=16 window-frames=10") +
                               " ! datasetsink key=1 label=0 max-samples=2 location=" + t.sub("ds");
  // The fault-injection hook of lib/shard: ENOSPC after 6000 bytes.
  const std::string cmd = "GENRE_SHARD_FAIL_ENOSPC_AFTER_BYTES=20000 gst-launch-1.0 " + pipeline + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  const int status = pclose(f);
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_NE(out.find("Disk full while writing samples"), std::string::npos) << out;
  DatasetReader r(t.sub("ds"), ReaderOptions{true});
  EXPECT_EQ(r.size("train"), 2u);  // the first shard (2 samples of ~5 KB, then its manifest) fit

  // A real full filesystem, where this process may mount one (root).
  const std::string mnt = t.sub("tiny");
  fs::create_directory(mnt);
  if (geteuid() != 0 || mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=40k") != 0)
    GTEST_SKIP() << "cannot mount a small tmpfs here; the injected ENOSPC above covered the error path";
  const RunResult real = run(frontend(6.0, "specresize width=32 height=32 window-frames=10") +
                             " ! datasetsink key=1 label=0 max-samples=2 location=" + mnt + "/ds");
  EXPECT_FALSE(real.ok);
  EXPECT_NE(real.error.find("Disk full"), std::string::npos) << real.error;
  {
    DatasetReader rr(mnt + "/ds", ReaderOptions{true});
    EXPECT_GE(rr.size("train"), 2u);
  }
  umount(mnt.c_str());
}

// A file size limit (RLIMIT_FSIZE, SIGXFSZ ignored: write() fails with EFBIG)
// stops the run like a full disk: a clear RESOURCE error, earlier shards intact.
TEST(DatasetSink, FileSizeLimitIsAClearErrorAndEarlierShardsStayValid) {
  TempDir t;
  const std::string ds = t.sub("ds");
  ASSERT_TRUE(run(frontend(1.0, "specresize width=16 height=16 window-frames=10") +
                  " ! datasetsink key=1 label=0 max-samples=0 location=" + ds).ok);
  const auto before = digests(DatasetReader(ds, ReaderOptions{true}));
  ASSERT_GT(before.size(), 2u);
  struct rlimit old {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  const auto old_handler = signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = old;
  limited.rlim_cur = 20000;  // bytes per file: one shard of ~65 KB cannot be written
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  const PipelineError e = run_for_error(frontend(3.0, "specresize width=16 height=16 window-frames=10") +
                                        " ! datasetsink name=sink key=2 label=0 max-samples=0 location=" + ds);
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_handler);
  EXPECT_EQ(e.domain, GST_RESOURCE_ERROR) << e.message;
  EXPECT_EQ(e.code, GST_RESOURCE_ERROR_NO_SPACE_LEFT) << e.message;
  EXPECT_EQ(e.source, "sink");
  EXPECT_NE(e.message.find("File size limit reached while writing samples; finalized shards stay valid"),
            std::string::npos) << e.message;
  EXPECT_NE(e.message.find("File too large"), std::string::npos) << e.message;
  EXPECT_EQ(digests(DatasetReader(ds, ReaderOptions{true})), before);
  for (const auto& f : fs::directory_iterator(ds)) EXPECT_EQ(f.path().string().find(".partial"), std::string::npos);
}

// A read-only location: a clear error at the state change, the dataset untouched.
TEST(DatasetSink, ReadOnlyLocationIsAClearError) {
  TempDir t;
  const std::string mnt = t.sub("mnt");
  fs::create_directory(mnt);
  const bool mounted = geteuid() == 0 && mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=4m") == 0;
  if (!mounted && geteuid() == 0) GTEST_SKIP() << "root, but cannot mount a tmpfs to make read-only";
  const std::string ds = mnt + "/ds";
  ASSERT_TRUE(run(frontend(1.0) + " ! datasetsink key=1 label=0 location=" + ds).ok);
  const auto before = digests(DatasetReader(ds, ReaderOptions{true}));
  if (mounted) {
    ASSERT_EQ(mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=4m"), 0) << strerror(errno);
  } else {
    ASSERT_EQ(chmod(ds.c_str(), 0555), 0);
  }
  const PipelineError e = run_for_error(frontend(1.0) + " ! datasetsink name=sink key=2 label=0 location=" + ds);
  EXPECT_EQ(e.domain, GST_RESOURCE_ERROR) << e.message;
  EXPECT_EQ(e.code, GST_RESOURCE_ERROR_OPEN_WRITE) << e.message;
  EXPECT_EQ(e.source, "sink");
  EXPECT_NE(e.message.find("Could not open dataset " + ds), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(mounted ? "is not writable: Read-only file system" : "is not writable: Permission denied"),
            std::string::npos) << e.message;
  EXPECT_EQ(digests(DatasetReader(ds, ReaderOptions{true})), before);
  if (mounted) {
    umount(mnt.c_str());
  } else {
    chmod(ds.c_str(), 0755);
  }
}

TEST(DatasetSink, MissingOrMalformedTaxonomyIsAClearError) {
  TempDir t;
  std::ofstream(t.sub("bad.json")) << R"({"fine": [{"index": 0, "name": "Punk"}], "macro": )";
  std::ofstream(t.sub("gaps.json")) << R"({"fine": [{"index": 1, "name": "Punk", "macro": -1}], "macro": []})";
  for (const std::string& tax : {t.sub("missing.json"), t.sub("bad.json"), t.sub("gaps.json"), t.path()}) {
    const PipelineError e = run_for_error(frontend(1.0) + " ! datasetsink name=sink key=1 label=Punk taxonomy=" + tax +
                                          " location=" + t.sub("ds"));
    EXPECT_EQ(e.domain, GST_RESOURCE_ERROR) << tax << ": " << e.message;
    EXPECT_EQ(e.code, GST_RESOURCE_ERROR_OPEN_READ) << tax << ": " << e.message;
    EXPECT_NE(e.message.find("Could not load the taxonomy"), std::string::npos) << e.message;
  }
  EXPECT_FALSE(fs::exists(t.sub("ds/train-000000.tar")));
}

// Not audio at all, in the conversion pipeline: the error comes from typefind,
// and the dataset keeps exactly what it had.
TEST(DatasetSink, RandomBytesIntoTheConversionPipelineLeaveTheDatasetAsItWas) {
  TempDir t;
  const std::string ds = t.sub("ds");
  ASSERT_TRUE(run(frontend(1.0) + " ! datasetsink key=1 label=0 location=" + ds).ok);
  const auto before = digests(DatasetReader(ds, ReaderOptions{true}));
  {
    std::ofstream out(t.sub("000002.mp3"), std::ios::binary);
    for (int i = 0; i < 65536; ++i) out.put(char((i * 2654435761u) >> 13));
  }
  const PipelineError e = run_for_error("filesrc location=" + t.sub("000002.mp3") + " ! decodebin ! audioconvert ! "
                                        "audioresample ! melspec sample-rate=22050 ! specresize width=32 height=32 ! "
                                        "datasetsink label=0 location=" + ds);
  EXPECT_EQ(e.domain, GST_STREAM_ERROR) << e.message;
  EXPECT_EQ(e.code, GST_STREAM_ERROR_TYPE_NOT_FOUND) << e.message;
  EXPECT_EQ(e.source, "typefind") << e.message;
  EXPECT_EQ(digests(DatasetReader(ds, ReaderOptions{true})), before);
  for (const auto& f : fs::directory_iterator(ds)) EXPECT_EQ(f.path().string().find(".partial"), std::string::npos);
}

TEST(DatasetSink, PythonReadsWhatThePipelineWrote) {
  if (access("/usr/bin/python3", X_OK) != 0 || std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with numpy is not installed";
  TempDir t;
  ASSERT_TRUE(run(frontend(3.0, "specresize width=24 height=16 window-frames=20") +
                  " ! datasetsink key=000003 label=2 max-samples=3 location=" + t.sub("ds")).ok);
  DatasetReader r(t.sub("ds"));
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < r.size("train"); ++i) {
    const auto v = r.sample("train", i);
    lines.push_back(std::string(v.key) + " " + std::to_string(v.fine) + " " + std::to_string(v.macro) + " " +
                    genre::shard::Sha256::hex_of(v.data, v.data_size));
  }
  std::sort(lines.begin(), lines.end());
  std::string want;
  for (const auto& l : lines) want += l + "\n";
  FILE* f = popen(("/usr/bin/python3 " SHARD_TEST_DIR "/read_with_python.py dataset " + t.sub("ds") + " -").c_str(), "r");
  std::string got;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, f)) got.append(buf, n);
  EXPECT_EQ(pclose(f), 0);
  EXPECT_EQ(got, want);
  EXPECT_GE(lines.size(), 4u);
}

// extra-json: its fields join each sample's .json (fma-convert: relative_path, artist,
// album); the sink's own fields keep their values; anything but a JSON object is refused.
TEST(DatasetSink, ExtraJsonFieldsJoinEachSampleJson) {
  TempDir t;
  auto run_with = [&](const std::string& key, const std::string& extra) {
    GstElement* p = gst_parse_launch((frontend(1.0) + " ! datasetsink name=sink label=0 key=" + key +
                                      " location=" + t.sub("ds")).c_str(), nullptr);
    EXPECT_NE(p, nullptr);
    GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    g_object_set(sink, "extra-json", extra.c_str(), nullptr);
    gchar* back = nullptr;
    g_object_get(sink, "extra-json", &back, nullptr);
    EXPECT_STREQ(back, extra.c_str());
    g_free(back);
    gst_object_unref(sink);
    gst_element_set_state(p, GST_STATE_PLAYING);
    const RunResult res = wait_done(p);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
    return res;
  };
  const RunResult ok = run_with("rock_a_b", R"({"relative_path": "rock/a b.wav", "artist": "12", "track_id": "x"})");
  ASSERT_TRUE(ok.ok) << ok.error;
  DatasetReader r(t.sub("ds"));
  ASSERT_EQ(r.size("train"), 1u);
  const auto meta = nlohmann::json::parse(r.sample("train", 0).json);
  EXPECT_EQ(meta["relative_path"], "rock/a b.wav");
  EXPECT_EQ(meta["artist"], "12");
  EXPECT_EQ(meta["track_id"], "rock_a_b");  // the sink's own field wins
  const RunResult bad = run_with("rock_c", "[1, 2]");
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("Invalid extra-json property: not a JSON object"), std::string::npos) << bad.error;
  EXPECT_EQ(DatasetReader(t.sub("ds")).size("train"), 1u);
}

// Issue 17, item 4: the default key keeps everything before the last extension
// (Vibe_Ace.hq.wav and Vibe_Ace.wav are two samples), and a clip whose samples
// are skipped because their key is already in the dataset posts a warning and
// counts them in duplicates-skipped.
TEST(DatasetSink, DefaultKeysDoNotCollideAndSkippedDuplicatesWarn) {
  TempDir t;
  const std::string ds = t.sub("ds");
  for (const char* name : {"Vibe_Ace.hq.wav", "Vibe_Ace.wav", "copy.wav"})
    ASSERT_TRUE(run("audiotestsrc num-buffers=30 samplesperbuffer=1024 wave=saw ! audio/x-raw,rate=22050,channels=1 ! "
                    "wavenc ! filesink location=" + t.sub(name)).ok) << name;
  auto convert = [&](const std::string& file, const std::string& extra, std::vector<std::string>* warnings,
                     guint64* skipped) {
    GstElement* p = gst_parse_launch(("filesrc location=" + t.sub(file) + " ! wavparse ! audioconvert ! melspec ! "
                                      "specresize width=32 height=32 ! datasetsink name=out label=0 location=" + ds +
                                      " " + extra).c_str(), nullptr);
    ASSERT_NE(p, nullptr);
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstBus* bus = gst_element_get_bus(p);
    for (bool done = false; !done;) {
      GstMessage* m = gst_bus_timed_pop_filtered(
          bus, 60 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING));
      ASSERT_NE(m, nullptr) << "timeout";
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING) {
        GError* e = nullptr;
        gst_message_parse_warning(m, &e, nullptr);
        warnings->push_back(e->message);
        g_error_free(e);
      } else {
        EXPECT_EQ(GST_MESSAGE_TYPE(m), GST_MESSAGE_EOS);
        done = true;
      }
      gst_message_unref(m);
    }
    gst_object_unref(bus);
    GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "out");
    g_object_get(sink, "duplicates-skipped", skipped, nullptr);
    gst_object_unref(sink);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
  };
  std::vector<std::string> warnings;
  guint64 skipped = 0;
  convert("Vibe_Ace.hq.wav", "", &warnings, &skipped);
  convert("Vibe_Ace.wav", "", &warnings, &skipped);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_EQ(skipped, 0u);
  {
    DatasetReader r(ds);
    std::set<std::string> tracks;
    for (const std::string& k : keys_of(r)) tracks.insert(genre::shard::parse_key(k).track_id);
    EXPECT_EQ(tracks, (std::set<std::string>{"Vibe_Ace", "Vibe_Ace_hq"}));
  }
  convert("copy.wav", "key=Vibe_Ace", &warnings, &skipped);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("of clip 'Vibe_Ace' from " + t.sub("copy.wav") + " were not written: their keys are "
                             "already in dataset " + ds), std::string::npos) << warnings[0];
  EXPECT_GT(skipped, 0u);
  EXPECT_NE(warnings[0].find(std::to_string(skipped) + " sample(s)"), std::string::npos) << warnings[0];
}
