// fma-synth: writes a synthetic Free Music Archive tree in the official layout
// (fma_metadata/tracks.csv + genres.csv, fma_<subset>/NNN/NNNNNN.mp3 encoded by
// lamemp3enc in a GStreamer pipeline, fma_<subset>/checksums in sha1sum
// format) with a learnable genre hierarchy, and optionally broken files for
// tests. Deterministic from --seed.
#include "base/prng.h"
#include "fma/sha1.h"
#include "fma/synth_metadata.h"
#include "fma/synth_music.h"
#include "fma/tracks.h"
#include "command_line.h"
#include "text/terminal_text.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/tag/tag.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace genre::fma;
using genre::mix_seed;
using genre::Xoshiro256;

namespace {

constexpr int kExitFatal = 3;

struct Options {
  std::string out;
  std::string subset = "small";
  int tracks = 32;
  double duration = 30;
  double short_duration = 1.0;
  uint64_t seed = 1;
  int rate = 44100;
  int channels = 2;
  int bitrate = 128;
  int workers = 0;
  int no_genre = 0;
  std::map<std::string, int> bad;  // kind -> count
};

// New kinds go last: the seeded assignment of the earlier kinds stays the same.
const char* const kBadKinds[] = {"missing", "zero-byte", "truncated", "non-audio", "too-short", "checksum", "random"};
constexpr size_t kRandomFileBytes = 200000;

// Unsigned options: CLI11 would wrap "-1" around.
const CLI::Validator kNotNegative(
    [](const std::string& v) { return v.find('-') == std::string::npos ? std::string() : "must not be negative"; },
    "", "NOT NEGATIVE");

const std::map<std::string, std::string> kBadHelp = {
    {"missing", "N tracks listed in tracks.csv without a file"},
    {"zero-byte", "N empty files"},
    {"truncated", "N files cut to a third of their bytes"},
    {"non-audio", "N files holding text, not MP3"},
    {"too-short", "N valid MP3s of --short-duration seconds"},
    {"checksum", "N files altered after their checksum was listed"},
    {"random", "N files of 200,000 random bytes (a corrupt download)"},
};

void add_flags(CLI::App& app, Options& o) {
  // Checked after parsing, so that an unknown flag is the error reported rather than a missing --out.
  app.add_option("--out", o.out, "Root of the tree to write (required)");
  app.add_option("--tracks", o.tracks, "Number of tracks")->capture_default_str();
  app.add_option("--duration", o.duration, "Seconds per clip")->capture_default_str();
  app.add_option("--seed", o.seed, "Generator seed; same seed, same tree")->capture_default_str()->check(kNotNegative);
  app.add_option("--subset", o.subset, "Audio folder fma_NAME and set/subset value")->capture_default_str();
  app.add_option("--sample-rate", o.rate, "Sample rate in Hz (8000 to 48000: 44100, 48000, 32000, 22050, 16000 ...)")
      ->capture_default_str();
  app.add_option("--channels", o.channels, "1 or 2 (FMA clips are stereo)")->capture_default_str();
  app.add_option("--bitrate", o.bitrate, "MP3 bitrate in kbit/s")->capture_default_str();
  app.add_option("--workers", o.workers, "Encoder threads (default: number of cores)");
  app.add_option("--no-genre", o.no_genre, "N tracks with empty genre lists")->capture_default_str();
  app.add_option("--short-duration", o.short_duration, "Seconds of the --bad-too-short clips")->capture_default_str();
  for (const char* kind : kBadKinds)
    app.add_option(std::string("--bad-") + kind, o.bad[kind], kBadHelp.at(kind))
        ->capture_default_str()
        ->group("Faults (listed in DIR/bad_files.csv)");
}

// Checks CLI11 cannot express; std::invalid_argument is a usage error.
void check_options(Options& o) {
  if (o.out.empty()) throw std::invalid_argument("--out DIR is required");
  if (o.tracks < 1) throw std::invalid_argument("--tracks must be at least 1");
  if (o.duration <= 0 || o.short_duration <= 0) throw std::invalid_argument("durations must be positive");
  if (o.channels < 1 || o.channels > 2) throw std::invalid_argument("--channels must be 1 or 2");
  if (o.rate < 8000 || o.rate > 48000) throw std::invalid_argument("--sample-rate must be in [8000, 48000]");
  if (o.no_genre < 0) throw std::invalid_argument("--no-genre must be >= 0");
  int total_bad = 0;
  for (auto& [k, n] : o.bad) {
    if (n < 0) throw std::invalid_argument("--bad-" + k + " must be >= 0");
    total_bad += n;
  }
  if (total_bad + o.no_genre > o.tracks) throw std::invalid_argument("more faults than tracks");
  if (o.workers <= 0) o.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Encodes mono float samples to an MP3 file through a real GStreamer pipeline.
// Returns an empty string on success, else the error.
std::string encode_mp3(const std::vector<float>& samples, int rate, int channels, int bitrate,
                       const SynthTrack& t, const std::string& path) {
  const bool have_id3 = gst_element_factory_find("id3v2mux") != nullptr;
  const std::string desc = "appsrc name=src format=time ! audioconvert ! audio/x-raw,channels=" +
                           std::to_string(channels) + " ! lamemp3enc target=bitrate cbr=true bitrate=" +
                           std::to_string(bitrate) + (have_id3 ? " ! id3v2mux name=tagger" : "") +
                           " ! filesink name=sink";
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(desc.c_str(), &err);
  if (!pipe) {
    std::string m = err ? err->message : "unknown";
    g_clear_error(&err);
    return "cannot build encoder pipeline: " + m;
  }
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipe), "src");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  g_object_set(sink, "location", path.c_str(), nullptr);
  if (have_id3) {
    GstElement* tagger = gst_bin_get_by_name(GST_BIN(pipe), "tagger");
    GstTagList* tags = gst_tag_list_new(GST_TAG_TITLE, t.title.c_str(), GST_TAG_ARTIST, t.artist.c_str(),
                                        GST_TAG_ALBUM, t.album.c_str(), nullptr);
    if (!t.genres.empty()) gst_tag_list_add(tags, GST_TAG_MERGE_APPEND, GST_TAG_GENRE, t.style->name.c_str(), nullptr);
    gst_tag_setter_merge_tags(GST_TAG_SETTER(tagger), tags, GST_TAG_MERGE_REPLACE);
    gst_tag_list_unref(tags);
    gst_object_unref(tagger);
  }
  GstCaps* caps = gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "F32LE", "rate", G_TYPE_INT, rate,
                                      "channels", G_TYPE_INT, 1, "layout", G_TYPE_STRING, "interleaved", nullptr);
  gst_app_src_set_caps(GST_APP_SRC(src), caps);
  gst_caps_unref(caps);
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  const size_t chunk = static_cast<size_t>(rate);  // one second per buffer
  for (size_t off = 0; off < samples.size(); off += chunk) {
    const size_t n = std::min(chunk, samples.size() - off);
    GstBuffer* buf = gst_buffer_new_memdup(samples.data() + off, n * sizeof(float));
    GST_BUFFER_PTS(buf) = gst_util_uint64_scale(off, GST_SECOND, static_cast<guint64>(rate));
    GST_BUFFER_DURATION(buf) = gst_util_uint64_scale(n, GST_SECOND, static_cast<guint64>(rate));
    if (gst_app_src_push_buffer(GST_APP_SRC(src), buf) != GST_FLOW_OK) break;
  }
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  GstBus* bus = gst_element_get_bus(pipe);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  std::string result;
  if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* e = nullptr;
    gst_message_parse_error(msg, &e, nullptr);
    result = std::string("encoder error: ") + (e ? e->message : "unknown");
    g_clear_error(&e);
  }
  if (msg) gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(sink);
  gst_object_unref(pipe);
  return result;
}

std::string random_bytes(uint64_t seed, size_t n) {
  Xoshiro256 rng(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(rng.next() >> 56);
  return bytes;
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error(p.string() + ": write error");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Writes a synthetic Free Music Archive tree: DIR/fma_metadata/{tracks.csv,genres.csv} and "
               "DIR/fma_<subset>/NNN/NNNNNN.mp3 + checksums, deterministic from --seed, optionally with broken "
               "files for tests.\n  fma-synth --out DIR [options]",
               "fma-synth"};
  add_flags(app, o);
  app.footer("Exit status: 0 success, 2 usage error, 3 fatal error.");
  if (const int status = genre::tools::parse_command_line(app, argc, argv, [&] { check_options(o); }); status >= 0)
    return status;
  gst_init(nullptr, nullptr);  // flags are ours: GStreamer's own (--gst-*) are not taken
  if (!gst_element_factory_find("lamemp3enc")) {
    std::fprintf(stderr, "fma-synth: the lamemp3enc element is missing (install gstreamer1.0-plugins-good)\n");
    return kExitFatal;
  }
  try {
    const fs::path root(o.out), meta = root / "fma_metadata", audio = root / ("fma_" + o.subset);
    fs::create_directories(meta);
    fs::create_directories(audio);
    SynthPlanOptions po;
    po.n_tracks = o.tracks;
    po.seed = o.seed;
    po.no_genre = o.no_genre;
    std::vector<SynthTrack> tracks = plan_synth_tracks(po);
    for (auto& t : tracks) t.subset = o.subset;
    write_synth_tracks_csv(tracks, (meta / "tracks.csv").string());
    write_synth_genres_csv((meta / "genres.csv").string());

    // Faults go to distinct tracks chosen by a seeded shuffle, never the no-genre ones.
    std::map<int, std::string> fault;  // index -> kind
    {
      std::vector<size_t> idx;
      for (size_t i = 0; i + static_cast<size_t>(o.no_genre) < tracks.size(); ++i) idx.push_back(i);
      Xoshiro256 rng(mix_seed(o.seed, 0xBAD));
      for (size_t k = idx.size(); k > 1; --k) std::swap(idx[k - 1], idx[rng.bounded(k)]);
      size_t next = 0;
      for (const char* kind : kBadKinds) {
        auto it = o.bad.find(kind);
        for (int n = 0; it != o.bad.end() && n < it->second; ++n) fault[static_cast<int>(idx[next++])] = kind;
      }
    }

    std::vector<std::string> sums(tracks.size());
    std::atomic<size_t> next{0};
    std::mutex err_mu;
    std::string first_error;
    auto work = [&] {
      for (size_t i; (i = next++) < tracks.size();) {
        const SynthTrack& t = tracks[i];
        const fs::path file = audio / audio_relative_path(t.id);
        auto f = fault.find(static_cast<int>(i));
        const std::string kind = f == fault.end() ? "" : f->second;
        try {
          fs::create_directories(file.parent_path());
          if (kind == "missing") continue;
          if (kind == "zero-byte") {
            write_text(file, "");
          } else if (kind == "random") {
            write_text(file, random_bytes(mix_seed(o.seed, static_cast<uint64_t>(t.id)), kRandomFileBytes));
          } else if (kind == "non-audio") {
            write_text(file, "<html><body>404 Not Found: this is not an MP3 file.</body></html>\n");
          } else {
            const double secs = kind == "too-short" ? o.short_duration : o.duration;
            const SynthStyle& style = *t.style;
            auto pcm = render_track(style, mix_seed(o.seed, static_cast<uint64_t>(t.id)), secs, o.rate);
            std::string e = encode_mp3(pcm, o.rate, o.channels, o.bitrate, t, file.string());
            if (!e.empty()) throw std::runtime_error(file.string() + ": " + e);
            if (kind == "truncated") fs::resize_file(file, fs::file_size(file) / 3);
          }
          sums[i] = sha1_file(file.string());
          if (kind == "checksum") {  // flip bytes in the middle after listing the checksum
            std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
            io.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
            io.write("\xff\x00\xff\x00", 4);
          }
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> lock(err_mu);
          if (first_error.empty()) first_error = e.what();
        }
      }
    };
    std::vector<std::thread> pool;
    for (int w = 0; w < o.workers; ++w) pool.emplace_back(work);
    for (auto& th : pool) th.join();
    if (!first_error.empty()) throw std::runtime_error(first_error);

    std::string checks, bad = "track_id,kind\n";
    for (size_t i = 0; i < tracks.size(); ++i) {
      if (!sums[i].empty()) checks += sums[i] + "  " + audio_relative_path(tracks[i].id) + "\n";
      if (auto f = fault.find(static_cast<int>(i)); f != fault.end())
        bad += std::to_string(tracks[i].id) + "," + f->second + "\n";
      else if (tracks[i].genres.empty())
        bad += std::to_string(tracks[i].id) + ",no-genre\n";
    }
    write_text(audio / "checksums", checks);
    write_text(root / "bad_files.csv", bad);
    std::printf("fma-synth: %zu tracks (%zu with faults) in %s\n", tracks.size(), fault.size(),
                genre::text::escape_controls(root.string()).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fma-synth: %s\n", genre::text::escape_controls(e.what()).c_str());
    return kExitFatal;
  }
  return 0;
}
