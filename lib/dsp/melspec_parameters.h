// melspec's parameters, declared once (params/parameter_table.h): its
// properties, its genre/melspec-params structure, the JSON manifests and
// bundles keep, and what lib/infer plans and checks.
#pragma once

#include "dsp/melspec_config.h"
#include "params/parameter_table.h"

namespace genre::dsp {

// What melspec's properties set. config.sample_rate is the rate the element
// requires (0 = any); once caps arrive it is the actual rate, and the settings
// are what the element runs with (and records).
struct MelspecSettings {
  static constexpr unsigned kDefaultFramesPerBuffer = 32;

  MelSpectrogramConfig config = any_rate();
  unsigned frames_per_buffer = kDefaultFramesPerBuffer;

 private:
  static MelSpectrogramConfig any_rate() {
    MelSpectrogramConfig c;
    c.sample_rate = 0;
    return c;
  }
};

using MelspecTable = params::Table<MelspecSettings, MelspecSettings>;
const MelspecTable& melspec_parameters();

// Names lib/infer reads by meaning.
namespace melspec_param {
constexpr const char* kRecordName = "genre/melspec-params";
constexpr const char* kSampleRate = "sample-rate";
constexpr const char* kHopLength = "hop-length";
constexpr const char* kFramesPerBuffer = "frames-per-buffer";
}  // namespace melspec_param

}  // namespace genre::dsp
