// Turns per-window probabilities into what a listener wants: the window's
// top-k classes and macrogenre, a smoothed running verdict, and the
// whole-stream verdict (the mean of every window's probabilities, the rule the
// trainer uses for track-level accuracy).
//
// Macrogenre scores come from the model's macro head when it has one. Without
// one they are derived from the fine probabilities through each fine class's
// macro index: summed for softmax models (fine classes without a macrogenre
// contribute to none), noisy-OR (1 - prod(1 - p)) for multi-label models,
// whose sigmoid outputs do not add up. A macro-target model's classes are the
// macrogenres themselves.
//
// A verdict is decoded from probabilities in one of two ways (TrackerOptions::decoding):
// argmax, the most probable fine class and, apart, the most probable macrogenre; or crm,
// conditional risk minimisation over the genre tree (taxonomy::GenreTree::min_risk_class): the
// fine class of least expected tree distance, and its own macrogenre, so the two levels always
// agree and a wrong verdict tends to be a near miss. The top-k lists and the best macrogenre
// (`macro`) describe the probabilities and are the same under both; only the verdicts are decoded. crm needs probabilities of exclusive classes: a multi-label model is
// refused (check_decoding). On a macro-target model the classes form a flat tree, where crm is
// the arg max.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infer/model_description.h"

namespace genre::infer {

enum class Smoothing {
  None,  // the verdict is the latest window's
  Mean,  // running mean of every window since the last reset
  Ema    // exponential moving average: s = alpha * p + (1 - alpha) * s, s0 = the first window
};
const char* to_string(Smoothing s);

enum class Decoding {
  Argmax,  // the most probable class; the macrogenre verdict: the most probable macrogenre
  Crm      // the class of least expected tree distance; the macrogenre verdict: its macrogenre
};
const char* to_string(Decoding d);  // "argmax", "crm"
std::optional<Decoding> decoding_from_string(const std::string& text);
// Throws InferError when `model` cannot be decoded so (crm on a multi-label model).
void check_decoding(const ModelDescription& model, Decoding d);

struct TrackerOptions {
  int top_k = 5;
  Smoothing smoothing = Smoothing::Ema;
  double ema_alpha = 0.3;
  double min_confidence = 0.0;  // a verdict scoring below this is uncertain (reported, never tagged)
  // A window whose loudest mel value (absolute dB, power ref 1.0: GenreWindowMeta level_db) is
  // below this holds no signal: silence is not a genre. Such windows get no scores and are left
  // out of the running and the whole-stream verdicts (see is_silent). -inf = never silent.
  double silence_floor_db = kDefaultSilenceFloorDb;
  static constexpr double kDefaultSilenceFloorDb = -50.0;
  Decoding decoding = Decoding::Argmax;  // how the running and whole-stream verdicts are made

  // Throws InferError naming the offending setting.
  void validate() const;
};

struct RankedClass {
  int index = -1;  // in its class list
  std::string name;
  int fma_genre_id = -1;
  float score = 0.0f;
};

struct WindowResult {
  uint64_t window = 0;                  // windows seen since the last full reset, this one included (1-based)
  std::vector<RankedClass> top;         // this window's top-k target classes, best first
  std::optional<RankedClass> macro;     // this window's most probable macrogenre; none without macrogenres
  RankedClass verdict;                  // the decoded verdict of the smoothed probabilities, its score its probability
  std::optional<RankedClass> verdict_macro;  // crm: the verdict's macrogenre (none when it has none)
  Decoding decoding = Decoding::Argmax;
  bool confident = false;               // verdict.score >= min_confidence
  bool verdict_changed = false;         // confident, and not the last confident verdict's class
  std::vector<float> target;            // this window's full distributions
  std::vector<float> macro_scores;
};

struct StreamVerdict {
  uint64_t windows = 0;         // classified windows (silent ones not counted)
  uint64_t silent_windows = 0;  // windows left out as silent
  std::vector<RankedClass> top;  // top-k of the mean probabilities
  std::optional<RankedClass> macro;  // the most probable macrogenre of the mean probabilities
  RankedClass verdict;           // decoded from the mean probabilities (argmax: top.front())
  std::optional<RankedClass> verdict_macro;  // the macrogenre verdict, decoded the same way
  Decoding decoding = Decoding::Argmax;
  bool confident = false;        // verdict.score >= min_confidence
  std::vector<float> target;  // the mean distributions
  std::vector<float> macro_scores;
};

class VerdictTracker {
 public:
  // Throws InferError for invalid options or a description without target classes.
  VerdictTracker(const ModelDescription& model, const TrackerOptions& options);

  // Takes effect from the next window (top-k, min-confidence; a smoothing change restarts the running verdict).
  void set_options(const TrackerOptions& options);
  const TrackerOptions& options() const { return options_; }

  WindowResult add(const HeadProbabilities& window);

  // Whether a window of this level (GenreWindowMeta level_db) holds no signal; an unknown
  // level (NaN: images not made by specresize) never does.
  bool is_silent(double level_db) const;
  // A silent window: counted, no scores, the verdicts untouched.
  void add_silent() { ++silent_windows_; }
  uint64_t silent_windows() const { return silent_windows_; }

  // The whole-stream verdict: nullopt before the first classified window (silent ones do not count).
  std::optional<StreamVerdict> stream_verdict() const;

  // A gap in the stream (DISCONT): the smoothed verdict starts afresh; the
  // whole-stream mean keeps its windows.
  void reset_running();
  // A new stream portion (FLUSH, new segment): everything starts afresh.
  void reset();

  // Macro probabilities of one window (see the file comment); empty without macrogenres.
  std::vector<float> macro_scores(const HeadProbabilities& window) const;

 private:
  std::vector<RankedClass> ranked(const std::vector<float>& scores, const std::vector<shard::ClassEntry>& classes,
                                  int k) const;
  std::optional<RankedClass> best_macro(const std::vector<float>& scores) const;
  // The verdict and macrogenre verdict of `target` / `macro` probabilities under options_.decoding.
  void decode(const std::vector<float>& target, const std::vector<float>& macro, RankedClass* verdict,
              std::optional<RankedClass>* verdict_macro) const;

  std::string model_path_;
  taxonomy::GenreTree tree_;  // the description's, or the two levels of its class lists
  std::vector<shard::ClassEntry> target_classes_;
  std::vector<shard::ClassEntry> macro_classes_;
  bool target_is_macro_ = false;
  bool multi_label_ = false;
  TrackerOptions options_;

  uint64_t windows_ = 0;          // since reset()
  uint64_t running_windows_ = 0;  // since reset_running()
  uint64_t silent_windows_ = 0;   // since reset()
  std::vector<double> smoothed_target_, smoothed_macro_;
  std::vector<double> sum_target_, sum_macro_;
  std::string last_confident_;    // class name of the last confident verdict
};

}  // namespace genre::infer
