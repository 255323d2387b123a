// Small datasets for the loader tests, written with the project's DatasetWriter
// and the JSON fields datasetsink writes (track_id, fine_labels as
// {"index", "name"} objects, window {"index"} or null).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loader/sample_table.h"
#include "shard/dataset_reader.h"
#include "shard/dataset_writer.h"
#include "shard_test_util.h"

namespace genre::loader::test {

struct TrackSpec {
  std::string id;
  std::string split = "train";
  int fine = 0;
  int macro = -1;
  std::vector<int> extra_labels;  // fine_labels beyond `fine`
  int windows = 0;                // 0: one whole-clip sample "<id>", else "<id>_w0".."<id>_w<n-1>"
  std::string artist, album;      // written to the JSON when not empty
};

inline shard::ClassLists classes(int fine_count, int macro_count) {
  shard::ClassLists c;
  for (int m = 0; m < macro_count; ++m) c.macro.push_back({m, "macro" + std::to_string(m), -1, -1});
  for (int f = 0; f < fine_count; ++f)
    c.fine.push_back({f, "fine" + std::to_string(f), 100 + f, macro_count > 0 ? f % macro_count : -1});
  return c;
}

// Writes the tracks (float16 data from shard::test::sample_data, seeded per sample
// in writing order) into `dir`, a few samples per shard so batches cross shards.
inline void write_tracks(const std::string& dir, const std::vector<TrackSpec>& tracks,
                         const std::vector<std::uint64_t>& shape, int fine_count = 8, int macro_count = 3,
                         std::uint64_t samples_per_shard = 7) {
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  shard::WriterOptions o;
  o.dir = dir;
  o.max_samples = samples_per_shard;
  o.classes = classes(fine_count, macro_count);
  shard::DatasetWriter w(o);
  std::uint32_t seed = 1;
  for (const TrackSpec& t : tracks) {
    w.set_split(t.split);
    nlohmann::json labels = nlohmann::json::array();
    labels.push_back({{"index", t.fine}, {"name", "fine" + std::to_string(t.fine)}});
    for (int extra : t.extra_labels) labels.push_back({{"index", extra}, {"name", "fine" + std::to_string(extra)}});
    const int samples = t.windows == 0 ? 1 : t.windows;
    for (int k = 0; k < samples; ++k) {
      const std::vector<float> data = shard::test::sample_data(n, seed++);
      shard::SampleInput in;
      in.key = t.windows == 0 ? t.id : shard::window_key(t.id, std::uint64_t(k));
      in.shape = shape;
      in.data = data.data();
      in.fine = t.fine;
      in.macro = t.macro;
      in.meta["track_id"] = t.id;
      in.meta["fine_labels"] = labels;
      in.meta["window"] = t.windows == 0 ? nlohmann::json(nullptr) : nlohmann::json{{"index", k}};
      in.meta["params"] = nlohmann::json::object();
      if (!t.artist.empty()) in.meta["artist"] = t.artist;
      if (!t.album.empty()) in.meta["album"] = t.album;
      w.stage(in);
    }
    w.commit();
  }
  w.close();
}

// `count` whole-clip tracks "t000", "t001", ... in one split, fine class i % fine_count.
inline std::vector<TrackSpec> plain_tracks(int count, int fine_count = 8, const std::string& split = "train") {
  std::vector<TrackSpec> out;
  for (int i = 0; i < count; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "t%03d", i);
    TrackSpec t;
    t.id = id;
    t.split = split;
    t.fine = i % fine_count;
    t.macro = t.fine % 3;
    out.push_back(t);
  }
  return out;
}

// The reader's float32 data of one sample.
inline std::vector<float> reader_image(const shard::DatasetReader& r, const SampleInfo& s) {
  std::vector<float> out(r.element_count());
  r.read_float32(s.split, s.index, out.data());
  return out;
}

}  // namespace genre::loader::test
