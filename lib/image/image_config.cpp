#include "image/image_config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace genre::image {

const double kImageNetMean[3] = {0.485, 0.456, 0.406};
const double kImageNetStd[3] = {0.229, 0.224, 0.225};

namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

std::string trim(const std::string& s) {
  const char* ws = " \t\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

std::vector<double> parse_number_list(const std::string& text, const char* property) {
  std::vector<double> out;
  if (trim(text).empty()) return out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::string t = trim(item);
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(t.c_str(), &end);
    if (t.empty() || *end != '\0' || errno != 0 || !std::isfinite(v))
      fail(std::string(property) + "='" + text + "': expected comma-separated numbers, e.g. \"0.5\" or \"0.485,0.456,0.406\"");
    out.push_back(v);
  }
  return out;
}

std::string format_number_list(const std::vector<double>& values) {
  std::ostringstream os;
  os.precision(9);
  for (size_t i = 0; i < values.size(); ++i) os << (i ? "," : "") << values[i];
  return os.str();
}

void ImageConfig::validate() const {
  if (width < 1 || height < 1)
    fail("width and height must be at least 1 (got width=" + std::to_string(width) +
         ", height=" + std::to_string(height) + ")");
  if (channels != 1 && channels != 3)
    fail("channels=" + std::to_string(channels) + " is not supported: use 1 or 3");
  if (!(top_db >= 0.0) || !std::isfinite(top_db))
    fail("top-db must be >= 0 (0 turns clipping off)");
  if (!(amin > 0.0)) fail("amin must be > 0");
  if ((colormap == Colormap::Viridis || colormap == Colormap::Magma) && channels != 3)
    fail(std::string("colormap=") + to_string(colormap) + " gives RGB images: set channels=3 (channels=" +
         std::to_string(channels) + ")");
  if (normalization == Normalization::ImageNet && channels != 3)
    fail("normalization=imagenet uses ImageNet's per-channel RGB statistics: set channels=3");
  if (normalization == Normalization::MeanStd) {
    if (mean.empty() || std.empty())
      fail("normalization=mean-std needs both the mean and the std properties (e.g. mean=-40 std=20)");
    auto check_count = [&](const std::vector<double>& v, const char* name) {
      if (v.size() != 1 && v.size() != size_t(channels))
        fail(std::string(name) + " has " + std::to_string(v.size()) + " values: give 1 or one per channel (" +
             std::to_string(channels) + ")");
    };
    check_count(mean, "mean");
    check_count(std, "std");
    for (double s : std)
      if (!(s > 0.0)) fail("std values must be > 0 (std=" + format_number_list(std) + ")");
  } else if (!mean.empty() || !std.empty()) {
    fail("mean/std are only used with normalization=mean-std (normalization=" +
         std::string(to_string(normalization)) + ")");
  }
}

std::vector<double> ImageConfig::channel_mean() const {
  if (normalization == Normalization::ImageNet) return {kImageNetMean, kImageNetMean + 3};
  if (normalization != Normalization::MeanStd || mean.empty()) return {};
  return mean.size() == 1 ? std::vector<double>(size_t(channels), mean[0]) : mean;
}

std::vector<double> ImageConfig::channel_std() const {
  if (normalization == Normalization::ImageNet) return {kImageNetStd, kImageNetStd + 3};
  if (normalization != Normalization::MeanStd || std.empty()) return {};
  return std.size() == 1 ? std::vector<double>(size_t(channels), std[0]) : std;
}

const char* to_string(Interpolation v) {
  switch (v) {
    case Interpolation::Area: return "area";
    case Interpolation::Linear: return "linear";
    case Interpolation::Cubic: return "cubic";
    case Interpolation::Nearest: return "nearest";
  }
  return "?";
}

const char* to_string(LowFreqAt v) { return v == LowFreqAt::Top ? "top" : "bottom"; }
const char* to_string(DbRef v) { return v == DbRef::One ? "one" : "max"; }
const char* to_string(InputScale v) { return v == InputScale::Power ? "power" : "db"; }

const char* to_string(Normalization v) {
  switch (v) {
    case Normalization::None: return "none";
    case Normalization::MinMax: return "minmax";
    case Normalization::ImageNet: return "imagenet";
    case Normalization::MeanStd: return "mean-std";
  }
  return "?";
}

const char* to_string(Colormap v) {
  switch (v) {
    case Colormap::None: return "none";
    case Colormap::Viridis: return "viridis";
    case Colormap::Magma: return "magma";
    case Colormap::Gray: return "gray";
  }
  return "?";
}

}  // namespace genre::image
