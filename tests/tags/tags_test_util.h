// Helpers for the tags tests: temporary directories, commands, and the
// audio fixtures, made once per test program with gst-launch-1.0 (tags set at
// encode time with taginject) and decorated with a picture and ReplayGain
// through /usr/bin/python3 + mutagen (tag_probe.py).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "tags/tag_error.h"

namespace genre::tags::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tagstest-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    // Tests make directories read-only; give write permission back first.
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->is_directory(ec)) std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `cmd` with sh; returns stdout (stderr joins it when `with_stderr`).
inline std::string run_command(const std::string& cmd, int* rc, bool with_stderr = false) {
  std::string out;
  FILE* p = ::popen((cmd + (with_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  if (!p) {
    *rc = -1;
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

inline bool gst_has(const std::string& element) {
  int rc = 0;
  run_command("gst-inspect-1.0 --exists " + element, &rc);
  return rc == 0;
}

inline std::string python() { return "/usr/bin/python3"; }

inline bool python_with_mutagen() {
  int rc = 0;
  run_command(python() + " -c 'import mutagen'", &rc);
  return access(python().c_str(), X_OK) == 0 && rc == 0;
}

inline std::string probe_script() { return std::string(TAGS_TEST_DIR) + "/tag_probe.py"; }

// tag_probe.py's view of a file (mutagen). Fails the test when it cannot read it.
inline nlohmann::json mutagen_dump(const std::string& path) {
  int rc = 0;
  const std::string out = run_command(python() + " " + probe_script() + " dump " + quote(path), &rc, false);
  EXPECT_EQ(rc, 0) << "tag_probe.py dump failed for " << path;
  if (rc != 0) return nlohmann::json::object();
  return nlohmann::json::parse(out);
}

// Every "genre: X" line of gst-discoverer-1.0 -v (stream and container tags).
inline std::vector<std::string> discoverer_genres(const std::string& path) {
  int rc = 0;
  const std::string out = run_command("gst-discoverer-1.0 -v " + quote(path), &rc);
  EXPECT_EQ(rc, 0);
  std::vector<std::string> genres;
  std::size_t pos = 0;
  while ((pos = out.find(" genre: ", pos)) != std::string::npos) {
    pos += 8;
    const std::size_t end = out.find('\n', pos);
    genres.push_back(out.substr(pos, end - pos));
  }
  return genres;
}

// The decoded audio as S16LE PCM (gst-launch-1.0 decodebin ! filesink).
inline std::string decoded_pcm(const std::string& path, const std::string& out_path) {
  int rc = 0;
  run_command("gst-launch-1.0 -q filesrc location=" + quote(path) +
                  " ! decodebin ! audioconvert ! audio/x-raw,format=S16LE ! filesink location=" + quote(out_path),
              &rc);
  EXPECT_EQ(rc, 0) << "decoding failed: " << path;
  return read_bytes(out_path);
}

// A picture's bytes: a PNG signature and deterministic filler.
inline std::string picture_bytes() {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) png += static_cast<char>(rng() & 0xff);
  return png;
}

struct FixtureSpec {
  std::string name;        // "mp3", "mp3-id3v23", "ogg", "opus", "flac", "m4a", "mp3-bare"
  std::string file_name;   // in the fixture directory
  std::string missing;     // why it cannot be made here ("" when it can)
};

// Makes the fixtures once per test program. Every test copies one before use.
class Fixtures {
 public:
  static Fixtures& get() {
    static Fixtures f;
    return f;
  }
  // Path of the pristine fixture, or "" with `why` set when it cannot be made here.
  std::string path(const std::string& name, std::string* why) {
    auto it = made_.find(name);
    if (it == made_.end()) it = made_.emplace(name, make(name)).first;
    *why = it->second.second;
    return it->second.first;
  }
  // A fresh copy of fixture `name` in `dir`, named `as` (default: the fixture's name).
  std::string copy(const std::string& name, const std::string& dir, std::string* why, const std::string& as = "") {
    const std::string src = path(name, why);
    if (src.empty()) return "";
    const std::string dst = dir + "/" + (as.empty() ? std::filesystem::path(src).filename().string() : as);
    std::filesystem::copy_file(src, dst, std::filesystem::copy_options::overwrite_existing);
    return dst;
  }

 private:
  std::pair<std::string, std::string> make(const std::string& name);
  TempDir dir_;
  std::map<std::string, std::pair<std::string, std::string>> made_;
};

inline std::pair<std::string, std::string> Fixtures::make(const std::string& name) {
  // gst-launch-1.0 parses its joined arguments again: the value is quoted
  // whole, its inner quotes escaped.
  const std::string tags =
      R"(taginject 'tags="title=\"My Title\",artist=\"Some Artist\",album=\"An Album\",comment=\"A comment\",genre=Jazz"' ! )";
  // 200 buffers of 1024 samples: ~4.6 s. The "-long" ones take many 64 KiB
  // copy chunks: 23 s of MP3, 4.6 s of FLAC-encoded noise.
  const bool long_one = name.size() > 5 && name.compare(name.size() - 5, 5, "-long") == 0;
  const std::string base = long_one ? name.substr(0, name.size() - 5) : name;
  const std::string src = std::string("audiotestsrc num-buffers=") + (long_one && base == "mp3" ? "1000" : "200") +
                          (long_one ? " wave=white-noise" : " wave=sine freq=440") + " ! audio/x-raw,channels=2,rate=";
  struct Recipe {
    std::string file, pipeline;
    std::vector<std::pair<std::string, std::string>> elements;  // element, Debian package
    bool taginject = true, decorate = true, id3v23 = false;
  };
  Recipe r;
  const std::pair<std::string, std::string> good_mp3{"lamemp3enc", "gstreamer1.0-plugins-good"};
  const std::pair<std::string, std::string> id3mux{"id3v2mux", "gstreamer1.0-plugins-good"};
  if (base == "mp3" || base == "mp3-id3v23" || base == "mp3-bare") {
    r.file = name + ".mp3";
    const bool bare = base == "mp3-bare";
    r.pipeline = src + "44100 ! audioconvert ! " + (bare ? "" : tags) + "lamemp3enc ! " + (bare ? "" : "id3v2mux ! ");
    r.elements = {good_mp3, id3mux};
    r.taginject = !bare;
    r.decorate = !bare;
    r.id3v23 = base == "mp3-id3v23";
  } else if (base == "ogg") {
    r.file = "vorbis.ogg";
    r.pipeline = src + "44100 ! audioconvert ! " + tags + "vorbisenc ! oggmux ! ";
    r.elements = {{"vorbisenc", "gstreamer1.0-plugins-base"}, {"oggmux", "gstreamer1.0-plugins-base"}};
  } else if (base == "opus") {
    r.file = "opus.opus";
    r.pipeline = src + "48000 ! audioconvert ! " + tags + "opusenc ! oggmux ! ";
    r.elements = {{"opusenc", "gstreamer1.0-plugins-base"}, {"oggmux", "gstreamer1.0-plugins-base"}};
  } else if (base == "flac") {
    r.file = name + ".flac";
    r.pipeline = src + "44100 ! audioconvert ! " + tags + "flacenc ! ";
    r.elements = {{"flacenc", "gstreamer1.0-plugins-good"}};
  } else if (base == "m4a" || base == "m4a-faststart") {
    // mp4mux files taginject's (stream) tags under the track, where players,
    // TagLib and mutagen do not look: tag_probe.py writes them instead.
    // faststart puts 'moov' before 'mdat': a growing tag moves the audio.
    r.file = name + ".m4a";
    r.pipeline = src + "44100 ! audioconvert ! avenc_aac ! mp4mux" + (base == "m4a" ? "" : " faststart=true") + " ! ";
    r.elements = {{"avenc_aac", "gstreamer1.0-libav"}, {"mp4mux", "gstreamer1.0-plugins-good"}};
    r.taginject = false;
  } else if (base == "wav") {
    r.file = "pcm.wav";
    r.pipeline = src + "44100 ! audioconvert ! wavenc ! ";
    r.elements = {{"wavenc", "gstreamer1.0-plugins-good"}};
    r.decorate = false;
  } else {
    return {"", "no fixture named " + name};
  }
  if (!gst_has("audiotestsrc"))
    return {"", "gst-inspect-1.0/gst-launch-1.0 or audiotestsrc is missing (gstreamer1.0-tools, gstreamer1.0-plugins-base)"};
  for (const auto& [element, package] : r.elements)
    if (!gst_has(element)) return {"", "GStreamer element " + element + " is missing (Debian package " + package + ")"};
  if (r.decorate && !python_with_mutagen()) return {"", "/usr/bin/python3 with mutagen (python3-mutagen) is missing"};

  const std::string out = dir_.sub(r.file);
  int rc = 0;
  const std::string log = run_command("gst-launch-1.0 -q " + r.pipeline + "filesink location=" + quote(out), &rc, true);
  if (rc != 0) return {"", "gst-launch-1.0 failed to make " + r.file + ": " + log};
  if (r.decorate) {
    const std::string image = dir_.sub("cover.png");
    write_bytes(image, picture_bytes());
    const std::string log2 = run_command(python() + " " + probe_script() + " decorate " + quote(out) + " " + quote(image), &rc, true);
    if (rc != 0) return {"", "tag_probe.py decorate failed: " + log2};
  }
  if (r.id3v23) {  // last: mutagen saves ID3v2.4 unless told otherwise
    run_command(python() + " " + probe_script() + " id3v23 " + quote(out), &rc, true);
    if (rc != 0) return {"", "tag_probe.py id3v23 failed"};
  }
  return {out, ""};
}

// Every fixture of a writable format, as the tests over all formats take them.
inline const std::vector<std::string> kWritableFixtures = {"mp3", "mp3-id3v23", "ogg", "opus", "flac", "m4a",
                                                           "m4a-faststart"};

// A fixture's name as a test name, which cannot hold '-'.
inline std::string test_name_of(std::string fixture) {
  std::replace(fixture.begin(), fixture.end(), '-', '_');
  return fixture;
}

#define TAGS_FIXTURE(var, name, dir)                                      \
  std::string var##_why;                                                  \
  const std::string var = ::genre::tags::test::Fixtures::get().copy(name, dir, &var##_why); \
  if (var.empty()) GTEST_SKIP() << "fixture " << name << " unavailable: " << var##_why

// Runs f and expects a TagError whose message names `path` and contains `needle`.
template <typename F>
void expect_tag_error(F&& f, const std::string& path, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no TagError; expected one mentioning '" << needle << "'";
  } catch (const TagError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
  }
}

inline struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st;
}

inline std::vector<std::string> dir_entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace genre::tags::test
