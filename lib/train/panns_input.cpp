#include "train/panns_input.h"

#include "infer/preprocessing_check.h"

namespace genre::train {

using nlohmann::json;

namespace {

struct Expected {
  const char* key;
  json value;
};

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

bool same(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

void compare(const json& params, const char* element, const std::vector<Expected>& expected,
             std::vector<std::string>& out) {
  for (const Expected& e : expected) {
    const auto it = params.find(e.key);
    if (it == params.end())
      out.push_back(std::string(element) + " " + e.key + " is not recorded, PANNs' " + text_of(e.value));
    else if (!same(*it, e.value))
      out.push_back(std::string(element) + " " + e.key + " is " + text_of(*it) + ", PANNs' " + text_of(e.value));
  }
}

}  // namespace

std::vector<std::string> panns_input_differences(const json& preprocessing) {
  std::vector<std::string> out;
  const auto mel = preprocessing.find(infer::kMelspecParams), image = preprocessing.find(infer::kSpecresizeParams);
  if (mel == preprocessing.end() || image == preprocessing.end() || !mel->is_object() || !image->is_object()) {
    out.push_back("the dataset records no melspec and specresize parameters");
    return out;
  }
  compare(*mel, "melspec",
          {{"sample-rate", 32000}, {"n-fft", 1024}, {"win-length", 1024}, {"hop-length", 320}, {"window", "hann"},
           {"center", true}, {"pad-mode", "reflect"}, {"power", 2.0}, {"n-mels", 64}, {"fmin", 50.0},
           {"fmax", 14000.0}, {"htk", false}, {"norm", "slaney"}, {"output", "db"}, {"ref", 1.0}, {"amin", 1e-10}},
          out);
  // Native resolution: one image row per mel band, one column per frame, values the dB as they are.
  compare(*image, "specresize",
          {{"channels", 1}, {"colormap", "none"}, {"low-freq-at", "top"}, {"db-ref", "one"}, {"top-db", 0.0},
           {"normalization", "none"}, {"height", 64}},
          out);
  const json frames = image->value("window-frames", json(0));
  if (!frames.is_number() || frames.get<double>() <= 0)
    out.push_back("specresize window-frames is " + text_of(frames) + ", PANNs' models need windows (window-frames > 0)");
  else if (!same(image->value("width", json()), frames))
    out.push_back("specresize width is " + text_of(image->value("width", json())) + ", the window's " +
                  text_of(frames) + " frames (no resizing)");
  return out;
}

}  // namespace genre::train
