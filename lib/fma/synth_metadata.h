// Synthetic FMA metadata in the exact official layout: fma_metadata/tracks.csv
// (the real 53-column, three-row header; awkward quoted titles included) and
// fma_metadata/genres.csv (the real rows of the genres the generator uses).
#pragma once

#include "fma/synth_music.h"

#include <cstdint>
#include <string>
#include <vector>

namespace genre::fma {

struct SynthTrack {
  int id = 0;
  const SynthStyle* style = nullptr;
  std::vector<int> genres;      // style first, sometimes a second genre of the same macro
  std::vector<int> genres_all;  // genres + ancestors, ascending like FMA
  std::string split;            // training | validation | test
  std::string subset = "small";
  std::string title, artist, album;
  int duration_s = 30;
};

struct SynthPlanOptions {
  int n_tracks = 20;
  uint64_t seed = 1;
  int no_genre = 0;  // tracks whose genre lists are empty (FMA has some)
};

// Track ids increase with random gaps (like FMA's), genres cycle through the
// styles in a seeded shuffle so every genre gets tracks even for small n.
std::vector<SynthTrack> plan_synth_tracks(const SynthPlanOptions& options);

void write_synth_tracks_csv(const std::vector<SynthTrack>& tracks, const std::string& path);
void write_synth_genres_csv(const std::string& path);
// The real genres.csv rows of every style and its ancestors, header first.
const std::vector<std::string>& synth_genres_csv_lines();

}  // namespace genre::fma
