#include "dsp/melspec_parameters.h"

#include <limits>

namespace genre::dsp {

namespace {

using params::Effect;
using params::Enumeration;
using params::Type;
using Settings = MelspecSettings;

constexpr double kDoubleMax = std::numeric_limits<double>::max();
constexpr double kSmallestPositive = std::numeric_limits<double>::min();

static_assert(MelSpectrogramConfig::kMaxNFft == 1048576 && MelSpectrogramConfig::kMaxHopLength == 1048576 &&
                  MelSpectrogramConfig::kMaxNMels == 4096,
              "the blurbs below quote these limits");

const Enumeration kWindow{"GstMelspecWindow",
                          {{int(WindowType::Hann), "hann", "Periodic Hann (librosa 'hann')"},
                           {int(WindowType::Hamming), "hamming", "Periodic Hamming"},
                           {int(WindowType::Rectangular), "rectangular", "Rectangular (boxcar)"}}};
const Enumeration kPadMode{"GstMelspecPadMode",
                           {{int(PadMode::Constant), "constant", "Zeros (librosa's default since 0.9)"},
                            {int(PadMode::Reflect), "reflect", "Mirror the signal at its ends"}}};
const Enumeration kNorm{"GstMelspecNorm",
                        {{int(MelNorm::Slaney), "slaney", "Slaney area normalisation"},
                         {int(MelNorm::None), "none", "Unnormalised triangles (peak 1)"}}};
const Enumeration kOutput{"GstMelspecOutput",
                          {{int(MelOutput::Power), "power", "Mel spectrogram |X|^power"},
                           {int(MelOutput::Decibel), "db", "10*log10(max(S, amin)) - 10*log10(ref)"}}};

std::vector<MelspecTable::Param> declare() {
  using P = MelspecTable;
  using namespace params;  // the kinds: uint_range, double_range, boolean, choice, text
  // The params structure has always carried the sizes as G_TYPE_INT.
  return {
      P::field(melspec_param::kSampleRate, "Sample rate",
            "Sample rate the sink pad requires, so audioresample converts to it and a model never gets "
            "another rate; 0 = any",
            uint_range(0, kIntMax), [](auto& s) -> auto& { return s.config.sample_rate; })
          .recorded_as(Type::Int)
          .first(),
      P::field("n-fft", "FFT size",
            "Length of each analysis frame after zero-padding the window (librosa n_fft); 2 to 1048576, "
            "others are refused with an error when the element starts",
            uint_range(0, kIntMax), [](auto& s) -> auto& { return s.config.n_fft; })
          .recorded_as(Type::Int)
          .first(),
      P::field(melspec_param::kHopLength, "Hop length",
            "Samples between frame starts (librosa hop_length); 1 to 1048576, others are refused with an "
            "error when the element starts",
            uint_range(0, kIntMax), [](auto& s) -> auto& { return s.config.hop_length; })
          .recorded_as(Type::Int)
          .first(),
      P::field("win-length", "Window length",
            "Window length in samples, centred and zero-padded to n-fft; at most n-fft; 0 = n-fft (librosa "
            "win_length)",
            uint_range(0, kIntMax), [](auto& s) -> auto& { return s.config.win_length; })
          .recorded_by(Type::Int, [](const Settings& s) { return s.config.effective_win_length(); })
          .first(),
      P::field("window", "Window", "Analysis window (periodic, as scipy's get_window with fftbins=True)",
            choice(kWindow), [](auto& s) -> auto& { return s.config.window; }),
      P::field("center", "Center",
            "Pad n-fft/2 samples at both ends so frame k is centred at sample k*hop-length (librosa center)",
            boolean(), [](auto& s) -> auto& { return s.config.center; }),
      P::field("pad-mode", "Padding mode", "What the centre padding holds (librosa pad_mode)", choice(kPadMode),
            [](auto& s) -> auto& { return s.config.pad_mode; }),
      P::field("power", "Power", "Exponent of the magnitude: 1 = magnitude, 2 = power (energy) (librosa power)",
            double_range(0.0, 16.0), [](auto& s) -> auto& { return s.config.power; }),
      P::field("n-mels", "Mel bands",
            "Number of mel filters (librosa n_mels); 1 to 4096, others are refused with an error when the "
            "element starts",
            uint_range(0, kIntMax), [](auto& s) -> auto& { return s.config.n_mels; })
          .recorded_as(Type::Int)
          .first(),
      P::field("fmin", "Lowest frequency", "Lowest mel filter edge in Hz (librosa fmin)", double_range(0.0, kDoubleMax),
            [](auto& s) -> auto& { return s.config.fmin; }),
      P::field("fmax", "Highest frequency", "Highest mel filter edge in Hz, at most rate/2; 0 = rate/2 (librosa fmax)",
            double_range(0.0, kDoubleMax), [](auto& s) -> auto& { return s.config.fmax; })
          .recorded_by(Type::Double, [](const Settings& s) { return s.config.effective_fmax(); }),
      P::field("htk", "HTK mel scale", "Use the HTK mel formula instead of Slaney's (librosa htk)", boolean(),
            [](auto& s) -> auto& { return s.config.htk; }),
      P::field("norm", "Filter normalisation", "Mel filter normalisation (librosa norm)", choice(kNorm),
            [](auto& s) -> auto& { return s.config.norm; }),
      P::field("output", "Output scale",
            "Mel power, or decibels as librosa's power_to_db without top_db (clipping belongs to specresize)",
            choice(kOutput), [](auto& s) -> auto& { return s.config.output; }),
      P::field("ref", "dB reference", "Value that maps to 0 dB (librosa power_to_db ref)",
            double_range(kSmallestPositive, kDoubleMax), [](auto& s) -> auto& { return s.config.ref; }),
      P::field("amin", "dB floor", "Smallest value taken before the log (librosa power_to_db amin)",
            double_range(kSmallestPositive, kDoubleMax), [](auto& s) -> auto& { return s.config.amin; }),
      P::field(melspec_param::kFramesPerBuffer, "Frames per buffer",
            "Frames in each output buffer (the last of a signal may hold fewer, announced by new caps)",
            uint_range(1, 1 << 16), [](auto& s) -> auto& { return s.frames_per_buffer; })
          .with_effect(Effect::Delivery),
  };
}

}  // namespace

const MelspecTable& melspec_parameters() {
  static const MelspecTable table("melspec", melspec_param::kRecordName, declare());
  return table;
}

}  // namespace genre::dsp
