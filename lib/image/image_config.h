// What specresize makes of a window of mel frames: dB handling, image size and
// orientation, normalisation and colour map. Names mirror the element's
// properties so validation errors can name the property to fix.
#pragma once

#include <string>
#include <vector>

namespace genre::image {

enum class Interpolation { Area, Linear, Cubic, Nearest };
enum class LowFreqAt { Top, Bottom };        // where mel bin 0 ends up in the image
enum class DbRef { One, Max };               // librosa ref=1.0 | ref=np.max
enum class InputScale { Power, Db };         // what the incoming values are
enum class Normalization { None, MinMax, ImageNet, MeanStd };
enum class Colormap { None, Viridis, Magma, Gray };

struct ImageConfig {
  int width = 224;
  int height = 224;
  int channels = 1;  // 1, or 3 (the plane three times, or a colour map)
  Interpolation interpolation = Interpolation::Area;
  LowFreqAt low_freq_at = LowFreqAt::Top;
  DbRef db_ref = DbRef::Max;
  double top_db = 80.0;  // 0 = no clipping
  InputScale input_scale = InputScale::Db;
  Normalization normalization = Normalization::MinMax;
  std::vector<double> mean;  // mean-std: one value, or one per channel
  std::vector<double> std;
  Colormap colormap = Colormap::None;
  double amin = 1e-10;  // librosa's floor on power before the log

  // Throws std::invalid_argument naming the offending property.
  void validate() const;

  // Per-channel mean/std actually applied (ImageNet's, or the given ones
  // broadcast to every channel). Empty when normalization has none.
  std::vector<double> channel_mean() const;
  std::vector<double> channel_std() const;
};

// ImageNet statistics (torchvision's transforms.Normalize values), RGB order.
extern const double kImageNetMean[3];
extern const double kImageNetStd[3];

// "0.5" or "0.485, 0.456, 0.406" -> numbers. Throws std::invalid_argument
// naming `property` on anything that is not a comma-separated list of numbers.
std::vector<double> parse_number_list(const std::string& text, const char* property);
std::string format_number_list(const std::vector<double>& values);

const char* to_string(Interpolation v);
const char* to_string(LowFreqAt v);
const char* to_string(DbRef v);
const char* to_string(InputScale v);
const char* to_string(Normalization v);
const char* to_string(Colormap v);

}  // namespace genre::image
