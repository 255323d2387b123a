#include "image/specresize_parameters.h"

namespace genre::image {

void SpecresizeSettings::resolve(WindowConfig* w, ImageConfig* i) const {
  *w = window;
  *i = image;
  i->mean = parse_number_list(mean_text, specresize_param::kMean);
  i->std = parse_number_list(std_text, specresize_param::kStd);
  w->validate();
  i->validate();
}

namespace {

using params::Effect;
using params::Enumeration;
using params::Type;
using namespace specresize_param;
using Settings = SpecresizeSettings;
using InEffect = SpecresizeInEffect;

const Enumeration kShortPolicy{
    "GstSpecresizeShortPolicy",
    {{int(ShortPolicy::Pad), to_string(ShortPolicy::Pad), "Pad with the window's dB floor (its minimum after top-db)"},
     {int(ShortPolicy::Repeat), to_string(ShortPolicy::Repeat),
      "Repeat the frames from the start until the window is full"},
     {int(ShortPolicy::Drop), to_string(ShortPolicy::Drop), "Emit no image for it"}}};
const Enumeration kInterpolation{
    "GstSpecresizeInterpolation",
    {{int(Interpolation::Area), to_string(Interpolation::Area),
      "Area average on each shrinking axis (cv::INTER_AREA per axis)"},
     {int(Interpolation::Linear), to_string(Interpolation::Linear), "Bilinear (cv::INTER_LINEAR)"},
     {int(Interpolation::Cubic), to_string(Interpolation::Cubic), "Bicubic (cv::INTER_CUBIC)"},
     {int(Interpolation::Nearest), to_string(Interpolation::Nearest), "Nearest neighbour (cv::INTER_NEAREST)"}}};
const Enumeration kLowFreqAt{
    "GstSpecresizeLowFreqAt",
    {{int(LowFreqAt::Top), to_string(LowFreqAt::Top), "Row 0 is mel bin 0 (array order, as librosa's matrix)"},
     {int(LowFreqAt::Bottom), to_string(LowFreqAt::Bottom), "Low frequencies at the bottom, as plotted images"}}};
const Enumeration kDbRef{
    "GstSpecresizeDbRef",
    {{int(DbRef::One), to_string(DbRef::One), "0 dB is power 1 (librosa ref=1.0)"},
     {int(DbRef::Max), to_string(DbRef::Max), "0 dB is the window's maximum (librosa ref=np.max)"}}};
const Enumeration kInputScale{"GstSpecresizeInputScale",
                              {{int(InputScaleChoice::Auto), "auto", "Read melspec's spectrum-scale caps field"},
                               {int(InputScaleChoice::Db), to_string(InputScale::Db), "The frames are decibels"},
                               {int(InputScaleChoice::Power), to_string(InputScale::Power),
                                "The frames are (mel) power"}}};
const Enumeration kNormalizationChoices{
    "GstSpecresizeNormalization",
    {{int(Normalization::None), to_string(Normalization::None),
      "Values as they are (dB, or colour map RGB in [0,1])"},
     {int(Normalization::MinMax), to_string(Normalization::MinMax),
      "Min-max to [0,1] per image, like a rendered image"},
     {int(Normalization::ImageNet), to_string(Normalization::ImageNet),
      "Min-max, then (x - mean) / std with ImageNet's RGB statistics"},
     {int(Normalization::MeanStd), to_string(Normalization::MeanStd),
      "(x - mean) / std with the mean and std properties"}}};
const Enumeration kColormap{
    "GstSpecresizeColormap",
    {{int(Colormap::None), to_string(Colormap::None), "No colour map: the plane in every channel"},
     {int(Colormap::Viridis), to_string(Colormap::Viridis), "matplotlib viridis (needs channels=3)"},
     {int(Colormap::Magma), to_string(Colormap::Magma), "matplotlib magma (needs channels=3)"},
     {int(Colormap::Gray), to_string(Colormap::Gray), "matplotlib gray (1 or 3 channels)"}}};

std::vector<SpecresizeTable::Param> declare() {
  using P = SpecresizeTable;
  using namespace params;  // the kinds: uint_range, double_range, boolean, choice, text
  return {
      P::field(kWindowFrames, "Window frames",
            "Frames per image: 0 = one image per clip (everything up to EOS, a new segment or a DISCONT); "
            "N = sliding windows of N frames",
            uint_range(0, kIntMax), [](auto& s) -> auto& { return s.window.window_frames; })
          .with_effect(Effect::Span),
      P::field(kHopFrames, "Hop frames",
            "Frames between sliding window starts; 0 = window-frames (no overlap); larger than window-frames "
            "skips frames; needs window-frames > 0",
            uint_range(0, kIntMax), [](auto& s) -> auto& { return s.window.hop_frames; })
          .recorded_by(Type::UInt, [](const InEffect& r) { return r.window.effective_hop(); })
          .with_effect(Effect::Delivery),
      P::field("short-policy", "Short policy",
            "What to do with a window that has too few frames: the last one at the end of a clip, or a whole "
            "clip shorter than max-frames",
            choice(kShortPolicy), [](auto& s) -> auto& { return s.window.short_policy; }),
      P::field(kMaxFrames, "Max frames",
            "Cut every clip to its first N frames before windowing (0 = no cut); with window-frames=0 shorter "
            "clips follow short-policy, so every image covers N frames",
            uint_range(0, kIntMax), [](auto& s) -> auto& { return s.window.max_frames; })
          .with_effect(Effect::Span),
      P::field("width", "Width", "Image width in pixels (the time axis)", uint_range(1, 16384),
            [](auto& s) -> auto& { return s.image.width; })
          .first(),
      P::field("height", "Height", "Image height in pixels (the mel axis)", uint_range(1, 16384),
            [](auto& s) -> auto& { return s.image.height; })
          .first(),
      P::field("channels", "Channels",
            "Image channels: 1, or 3 (the plane three times, or the colour map's RGB); 2 is rejected",
            uint_range(1, 3), [](auto& s) -> auto& { return s.image.channels; })
          .first(),
      P::field("interpolation", "Interpolation", "Resize method (OpenCV)", choice(kInterpolation),
            [](auto& s) -> auto& { return s.image.interpolation; }),
      P::field("low-freq-at", "Low frequencies at", "Where the lowest mel bin goes in the image", choice(kLowFreqAt),
            [](auto& s) -> auto& { return s.image.low_freq_at; }),
      P::field("db-ref", "dB reference",
            "What 0 dB is, per window (librosa power_to_db ref); with dB input, max subtracts the window's "
            "maximum",
            choice(kDbRef), [](auto& s) -> auto& { return s.image.db_ref; }),
      P::field("top-db", "Top dB",
            "Raise everything more than this many dB below the window's maximum to that floor (librosa "
            "top_db); 0 = off",
            double_range(0.0, 1000.0), [](auto& s) -> auto& { return s.image.top_db; }),
      P::derived("amin", Type::Double, [](const InEffect& r) { return r.image.amin; }),
      P::property("input-scale", "Input scale", "Whether the frames are power or dB", choice(kInputScale),
               [](auto& s) -> auto& { return s.input_scale; })
          .recorded_by(Type::Text, [](const InEffect& r) { return to_string(r.image.input_scale); }),
      P::field(kNormalization, "Normalisation", "Value scaling of the image, after the colour map",
            choice(kNormalizationChoices), [](auto& s) -> auto& { return s.image.normalization; }),
      P::property(kMean, "Mean",
               "normalization=mean-std: the mean to subtract, one number or one per channel, comma-separated "
               "(e.g. \"-40\" or \"0.5,0.5,0.5\")",
               text(), [](auto& s) -> auto& { return s.mean_text; })
          .recorded_by(Type::Text, [](const InEffect& r) { return format_number_list(r.image.channel_mean()); }),
      P::property(kStd, "Standard deviation",
               "normalization=mean-std: the divisor, one number or one per channel, comma-separated, each > 0",
               text(), [](auto& s) -> auto& { return s.std_text; })
          .recorded_by(Type::Text, [](const InEffect& r) { return format_number_list(r.image.channel_std()); }),
      P::field("colormap", "Colour map",
            "Render the min-max scaled image with a matplotlib colour map (256-entry tables)", choice(kColormap),
            [](auto& s) -> auto& { return s.image.colormap; }),
      P::derived("n-mels", Type::UInt, [](const InEffect& r) { return r.n_mels; }),
  };
}

}  // namespace

const SpecresizeTable& specresize_parameters() {
  static const SpecresizeTable table("specresize", kRecordName, declare());
  return table;
}

}  // namespace genre::image
