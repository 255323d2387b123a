// Synthetic "music" with a learnable genre hierarchy, for tests and the demo:
// every macrogenre has its own broad timbre and rhythm, every fine genre
// within it its own tempo, register and texture. Deterministic from a seed;
// no GStreamer here (fma-synth encodes the samples to MP3).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace genre::fma {

enum class Timbre { Distorted, Pulse, SubBass, Plucked, Reed, Strings, Noise };
enum class Rhythm { Backbeat, FourOnFloor, Breakbeat, BoomBap, Swing, Rubato, Clicks };

struct SynthStyle {
  int fma_genre_id = 0;
  std::string name;
  Timbre timbre = Timbre::Distorted;  // macro trait
  Rhythm rhythm = Rhythm::Backbeat;   // macro trait
  double bpm = 120;                   // fine trait: tempo
  int base_midi = 48;                 // fine trait: register (lowest note)
  double notes_per_beat = 1;          // fine trait: texture density
  int voices = 1;                     // fine trait: texture (1 = melody, 3 = chords)
  bool minor = false;
};

// The 16 genres fma-synth uses (a subset of FMA's genres.csv, 6 annex
// macrogenres plus Experimental, which the annex leaves out).
const std::vector<SynthStyle>& synth_styles();

// Renders `seconds` of mono float audio in [-1, 1] at `rate` Hz. The same
// (style, seed) always gives the same samples; the seed varies key, exact
// tempo (+-4%), melody and mix so tracks of one genre differ.
std::vector<float> render_track(const SynthStyle& style, uint64_t seed, double seconds, int rate);

}  // namespace genre::fma
