#include "fma/synth_music.h"

#include "base/prng.h"

#include <algorithm>
#include <cmath>

namespace genre::fma {

const std::vector<SynthStyle>& synth_styles() {
  // id, name, timbre, rhythm, bpm, register, notes/beat, voices, minor
  static const std::vector<SynthStyle> styles = {
      {12, "Rock", Timbre::Distorted, Rhythm::Backbeat, 120, 40, 1, 3, false},
      {66, "Indie-Rock", Timbre::Distorted, Rhythm::Backbeat, 144, 55, 2, 1, false},
      {26, "Post-Rock", Timbre::Distorted, Rhythm::Backbeat, 92, 47, 4, 1, true},
      {15, "Electronic", Timbre::Pulse, Rhythm::FourOnFloor, 126, 48, 2, 1, true},
      {236, "IDM", Timbre::Pulse, Rhythm::FourOnFloor, 150, 64, 4, 1, true},
      {42, "Ambient Electronic", Timbre::Pulse, Rhythm::FourOnFloor, 72, 52, 0.25, 3, false},
      {337, "Drum & Bass", Timbre::Pulse, Rhythm::Breakbeat, 172, 33, 1, 1, true},
      {21, "Hip-Hop", Timbre::SubBass, Rhythm::BoomBap, 90, 36, 1, 1, true},
      {811, "Hip-Hop Beats", Timbre::SubBass, Rhythm::BoomBap, 82, 60, 2, 3, false},
      {17, "Folk", Timbre::Plucked, Rhythm::Rubato, 100, 48, 2, 3, false},
      {49, "Free-Folk", Timbre::Plucked, Rhythm::Rubato, 68, 40, 0.5, 1, true},
      {4, "Jazz", Timbre::Reed, Rhythm::Swing, 120, 55, 2, 1, false},
      {74, "Free-Jazz", Timbre::Reed, Rhythm::Swing, 196, 62, 4, 1, true},
      {5, "Classical", Timbre::Strings, Rhythm::Rubato, 66, 48, 0.5, 3, false},
      {442, "Chamber Music", Timbre::Strings, Rhythm::Rubato, 104, 62, 2, 2, true},
      {38, "Experimental", Timbre::Noise, Rhythm::Clicks, 100, 50, 1, 1, false},
  };
  return styles;
}

namespace {

constexpr double kPi = 3.14159265358979323846;

double midi_hz(double m) { return 440.0 * std::pow(2.0, (m - 69.0) / 12.0); }

// One instrument note added into `out` starting at sample `start`.
void add_note(std::vector<float>& out, size_t start, double seconds, double hz, double gain, Timbre timbre, int rate,
              Xoshiro256& rng) {
  const size_t len = std::min(out.size() - std::min(out.size(), start), static_cast<size_t>(seconds * rate));
  if (len == 0) return;
  const double dt = 1.0 / rate;
  // Karplus-Strong string for plucked timbres.
  std::vector<float> ks;
  if (timbre == Timbre::Plucked) {
    ks.resize(std::max<size_t>(2, static_cast<size_t>(rate / hz)));
    for (auto& v : ks) v = static_cast<float>(rng.uniform() * 2 - 1);
  }
  double phase = 0, lp = 0;
  for (size_t i = 0; i < len; ++i) {
    const double t = static_cast<double>(i) * dt;
    double v = 0, env = 1;
    switch (timbre) {
      case Timbre::Distorted: {  // clipped saw + fifth, fast attack
        double saw = 2 * std::fmod(phase, 1.0) - 1 + 0.6 * (2 * std::fmod(phase * 1.5, 1.0) - 1);
        v = std::tanh(3.0 * saw);
        env = std::min(1.0, t * 200) * std::exp(-t * 1.2);
        break;
      }
      case Timbre::Pulse: {  // pulse wave through a sweeping one-pole low-pass
        double pulse = std::fmod(phase, 1.0) < 0.3 ? 1.0 : -1.0;
        double a = 0.05 + 0.25 * (0.5 + 0.5 * std::sin(2 * kPi * 0.5 * t));
        lp += a * (pulse - lp);
        v = lp;
        env = std::min(1.0, t * 100) * (t < seconds * 0.8 ? 1.0 : std::max(0.0, (seconds - t) / (seconds * 0.2)));
        break;
      }
      case Timbre::SubBass: {  // sine with a little second harmonic, punchy decay
        v = std::sin(2 * kPi * phase) + 0.3 * std::sin(4 * kPi * phase);
        env = std::min(1.0, t * 300) * std::exp(-t * 3.0);
        break;
      }
      case Timbre::Plucked: {
        size_t k = i % ks.size();
        size_t k1 = (i + 1) % ks.size();
        v = ks[k];
        ks[k] = static_cast<float>(0.498 * (ks[k] + ks[k1]));
        env = 1;
        break;
      }
      case Timbre::Reed: {  // odd harmonics with vibrato
        double vib = 1 + 0.006 * std::sin(2 * kPi * 5.5 * t);
        phase += hz * vib * dt - hz * dt;  // extra phase from vibrato
        v = std::sin(2 * kPi * phase) + 0.45 * std::sin(6 * kPi * phase) + 0.2 * std::sin(10 * kPi * phase);
        env = std::min(1.0, t * 30) * std::exp(-t * 0.8);
        break;
      }
      case Timbre::Strings: {  // many harmonics, slow bow attack and release
        for (int h = 1; h <= 6; ++h) v += std::sin(2 * kPi * phase * h) / h;
        env = std::min(1.0, t * 4) * std::min(1.0, (seconds - t) * 6);
        break;
      }
      case Timbre::Noise: {  // filtered noise bursts with a pitched ring
        lp += 0.1 * ((rng.uniform() * 2 - 1) - lp);
        v = lp * 2 + 0.3 * std::sin(2 * kPi * phase * 3.7);
        env = std::exp(-t * 4);
        break;
      }
    }
    phase += hz * dt;
    out[start + i] += static_cast<float>(gain * env * v);
  }
}

enum class Drum { Kick, Snare, Hat, Click };

void add_drum(std::vector<float>& out, size_t start, Drum d, double gain, int rate, Xoshiro256& rng) {
  const double len_s = d == Drum::Kick ? 0.25 : d == Drum::Snare ? 0.18 : d == Drum::Hat ? 0.05 : 0.01;
  const size_t len = std::min(out.size() - std::min(out.size(), start), static_cast<size_t>(len_s * rate));
  double phase = 0, hp_prev = 0, hp = 0;
  for (size_t i = 0; i < len; ++i) {
    const double t = static_cast<double>(i) / rate;
    double v = 0;
    const double noise = rng.uniform() * 2 - 1;
    switch (d) {
      case Drum::Kick:
        phase += (45 + 90 * std::exp(-t * 30)) / rate;
        v = std::sin(2 * kPi * phase) * std::exp(-t * 12);
        break;
      case Drum::Snare:
        phase += 190.0 / rate;
        v = (0.6 * noise + 0.4 * std::sin(2 * kPi * phase)) * std::exp(-t * 20);
        break;
      case Drum::Hat:
        hp = 0.9 * (hp + noise - hp_prev);
        hp_prev = noise;
        v = 0.5 * hp * std::exp(-t * 60);
        break;
      case Drum::Click:
        v = noise;
        break;
    }
    out[start + i] += static_cast<float>(gain * v);
  }
}

// Drum hits of one bar (4 beats) for a rhythm: (position in beats, drum).
std::vector<std::pair<double, Drum>> bar_pattern(Rhythm r, Xoshiro256& rng) {
  switch (r) {
    case Rhythm::Backbeat:
      return {{0, Drum::Kick}, {1, Drum::Snare}, {2, Drum::Kick}, {2.5, Drum::Kick}, {3, Drum::Snare},
              {0, Drum::Hat},  {0.5, Drum::Hat}, {1, Drum::Hat},  {1.5, Drum::Hat},  {2, Drum::Hat},
              {2.5, Drum::Hat}, {3, Drum::Hat},  {3.5, Drum::Hat}};
    case Rhythm::FourOnFloor:
      return {{0, Drum::Kick}, {1, Drum::Kick}, {2, Drum::Kick}, {3, Drum::Kick},
              {0.5, Drum::Hat}, {1.5, Drum::Hat}, {2.5, Drum::Hat}, {3.5, Drum::Hat}};
    case Rhythm::Breakbeat:
      return {{0, Drum::Kick},   {1, Drum::Snare},  {1.75, Drum::Snare}, {2.5, Drum::Kick}, {3, Drum::Snare},
              {0, Drum::Hat},    {0.25, Drum::Hat}, {0.5, Drum::Hat},    {0.75, Drum::Hat}, {1.25, Drum::Hat},
              {1.5, Drum::Hat},  {2, Drum::Hat},    {2.25, Drum::Hat},   {3.25, Drum::Hat}, {3.5, Drum::Hat}};
    case Rhythm::BoomBap:
      return {{0, Drum::Kick}, {1.75, Drum::Kick}, {2.25, Drum::Kick}, {1, Drum::Snare}, {3, Drum::Snare},
              {0, Drum::Hat},  {0.66, Drum::Hat},  {1.33, Drum::Hat},  {2, Drum::Hat},   {2.66, Drum::Hat},
              {3.33, Drum::Hat}};
    case Rhythm::Swing:
      return {{0, Drum::Hat}, {1, Drum::Hat}, {1.66, Drum::Hat}, {2, Drum::Hat}, {3, Drum::Hat}, {3.66, Drum::Hat},
              {0, Drum::Kick}, {2, Drum::Kick}};
    case Rhythm::Rubato:
      return {};
    case Rhythm::Clicks: {
      std::vector<std::pair<double, Drum>> p;
      for (int i = 0; i < 6; ++i) p.push_back({rng.uniform() * 4, Drum::Click});
      return p;
    }
  }
  return {};
}

}  // namespace

std::vector<float> render_track(const SynthStyle& style, uint64_t seed, double seconds, int rate) {
  Xoshiro256 rng(mix_seed(seed, static_cast<uint64_t>(style.fma_genre_id)));
  const size_t n = static_cast<size_t>(std::max(0.0, seconds) * rate);
  std::vector<float> out(n, 0.0f);
  if (n == 0) return out;
  const double bpm = style.bpm * (0.96 + 0.08 * rng.uniform());
  const double beat_s = 60.0 / bpm;
  const int key = static_cast<int>(rng.bounded(7));
  static const int kMajor[7] = {0, 2, 4, 5, 7, 9, 11};
  static const int kMinor[7] = {0, 2, 3, 5, 7, 8, 10};
  const int* scale = style.minor ? kMinor : kMajor;
  auto degree_to_midi = [&](int deg) {
    int oct = deg / 7, d = deg % 7;
    if (d < 0) {
      d += 7;
      --oct;
    }
    return style.base_midi + key + 12 * oct + scale[d];
  };

  // Melody / chords: a random walk over scale degrees on a grid of notes_per_beat.
  const double step_s = beat_s / style.notes_per_beat;
  int degree = static_cast<int>(rng.bounded(5));
  for (double t = 0; t < seconds; t += step_s) {
    const bool rest = rng.uniform() < 0.1;
    degree += static_cast<int>(rng.bounded(5)) - 2;
    degree = std::clamp(degree, 0, 11);
    if (rest) continue;
    const double dur = step_s * (style.timbre == Timbre::Strings || style.timbre == Timbre::Pulse ? 1.1 : 0.9);
    for (int v = 0; v < style.voices; ++v) {
      const int m = degree_to_midi(degree + 2 * v);
      add_note(out, static_cast<size_t>(t * rate), dur, midi_hz(m), 0.25 / style.voices, style.timbre, rate, rng);
    }
  }
  // Rhythm section.
  const double bar_s = 4 * beat_s;
  for (double bar = 0; bar < seconds; bar += bar_s) {
    for (const auto& [pos, drum] : bar_pattern(style.rhythm, rng)) {
      const double gain = drum == Drum::Kick ? 0.5 : drum == Drum::Snare ? 0.35 : drum == Drum::Hat ? 0.15 : 0.3;
      add_drum(out, static_cast<size_t>((bar + pos * beat_s) * rate), drum, gain * (0.85 + 0.3 * rng.uniform()),
               rate, rng);
    }
  }
  // A touch of noise floor, then peak-normalise to -1 dBFS.
  float peak = 0;
  for (auto& s : out) {
    s += static_cast<float>(0.002 * (rng.uniform() * 2 - 1));
    peak = std::max(peak, std::fabs(s));
  }
  const float g = peak > 0 ? 0.89f / peak : 1.0f;
  for (auto& s : out) s *= g;
  return out;
}

}  // namespace genre::fma
