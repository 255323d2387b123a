#include "infer/verdict_tracker.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "infer/infer_error.h"

namespace genre::infer {

const char* to_string(Smoothing s) {
  switch (s) {
    case Smoothing::None: return "none";
    case Smoothing::Mean: return "mean";
    case Smoothing::Ema: return "ema";
  }
  return "?";
}

const char* to_string(Decoding d) {
  switch (d) {
    case Decoding::Argmax: return "argmax";
    case Decoding::Crm: return "crm";
  }
  return "?";
}

std::optional<Decoding> decoding_from_string(const std::string& text) {
  if (text == "argmax") return Decoding::Argmax;
  if (text == "crm") return Decoding::Crm;
  return std::nullopt;
}

namespace {

void check_decoding(bool multi_label, const std::string& path, Decoding d) {
  if (d == Decoding::Crm && multi_label)
    throw InferError("decoding crm needs a single-label model: " + path + " is multi-label, and its independent "
                     "sigmoid scores are no distribution over exclusive genres to take an expected cost over "
                     "(use decoding argmax)");
}

// The two-level tree of the class lists, for a description that carries none.
taxonomy::GenreTree class_list_tree(const ModelDescription& model) {
  std::vector<int> fine_to_macro;
  for (const shard::ClassEntry& c : model.classes.fine) fine_to_macro.push_back(c.macro);
  return taxonomy::GenreTree(std::move(fine_to_macro), {}, int(model.classes.macro.size()));
}

}  // namespace

void check_decoding(const ModelDescription& model, Decoding d) { check_decoding(model.multi_label, model.path, d); }

void TrackerOptions::validate() const {
  if (top_k < 1) throw InferError("top-k must be at least 1, not " + std::to_string(top_k));
  if (!(ema_alpha > 0.0 && ema_alpha <= 1.0))
    throw InferError("ema-alpha must be in (0, 1], not " + std::to_string(ema_alpha));
  if (!(min_confidence >= 0.0 && min_confidence <= 1.0))
    throw InferError("min-confidence must be in [0, 1], not " + std::to_string(min_confidence));
  if (std::isnan(silence_floor_db) || silence_floor_db > 0.0)
    throw InferError("silence-floor must be at most 0 dB, not " + std::to_string(silence_floor_db));
}

bool VerdictTracker::is_silent(double level_db) const {
  return !std::isnan(level_db) && level_db < options_.silence_floor_db;
}

VerdictTracker::VerdictTracker(const ModelDescription& model, const TrackerOptions& options)
    : model_path_(model.path),
      target_classes_(model.target_classes()),
      macro_classes_(model.classes.macro),
      target_is_macro_(model.target == "macro"),
      multi_label_(model.multi_label),
      options_(options) {
  options_.validate();
  if (target_classes_.empty()) throw InferError(model.path + ": the model has no " + model.target + " classes");
  check_decoding(multi_label_, model_path_, options_.decoding);
  try {
    tree_ = model.tree.fine_classes() > 0 ? model.tree : class_list_tree(model);
  } catch (const std::invalid_argument& e) {
    throw InferError(model.path + ": " + e.what());
  }
  if (tree_.fine_classes() != int(model.classes.fine.size()))
    throw InferError(model.path + ": the genre tree has " + std::to_string(tree_.fine_classes()) +
                     " fine classes, the model lists " + std::to_string(model.classes.fine.size()));
}

void VerdictTracker::set_options(const TrackerOptions& options) {
  options.validate();
  check_decoding(multi_label_, model_path_, options.decoding);
  const bool restart = options.smoothing != options_.smoothing;
  options_ = options;
  if (restart) reset_running();
}

std::vector<float> VerdictTracker::macro_scores(const HeadProbabilities& window) const {
  if (target_is_macro_) return window.target;
  if (macro_classes_.empty()) return {};
  if (!window.macro.empty()) return window.macro;
  std::vector<double> acc(macro_classes_.size(), multi_label_ ? 1.0 : 0.0);
  for (size_t i = 0; i < window.target.size() && i < target_classes_.size(); ++i) {
    const int m = target_classes_[i].macro;
    if (m < 0 || size_t(m) >= acc.size()) continue;
    if (multi_label_)
      acc[size_t(m)] *= 1.0 - double(window.target[i]);  // probability that no member is present
    else
      acc[size_t(m)] += double(window.target[i]);
  }
  std::vector<float> out(acc.size());
  for (size_t m = 0; m < acc.size(); ++m) out[m] = float(multi_label_ ? 1.0 - acc[m] : acc[m]);
  return out;
}

std::vector<RankedClass> VerdictTracker::ranked(const std::vector<float>& scores,
                                                const std::vector<shard::ClassEntry>& classes, int k) const {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t(0));
  const size_t n = std::min(order.size(), size_t(k));
  // Ties keep class order, so equal scores rank the same way every run.
  std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(n), order.end(),
                    [&](size_t a, size_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
  std::vector<RankedClass> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = order[i];
    RankedClass r;
    r.index = int(c);
    r.score = scores[c];
    if (c < classes.size()) {
      r.name = classes[c].name;
      r.fma_genre_id = classes[c].fma_genre_id;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<RankedClass> VerdictTracker::best_macro(const std::vector<float>& scores) const {
  if (scores.empty()) return std::nullopt;
  return ranked(scores, macro_classes_, 1).front();
}

void VerdictTracker::decode(const std::vector<float>& target, const std::vector<float>& macro, RankedClass* verdict,
                            std::optional<RankedClass>* verdict_macro) const {
  // A macro target's classes are the tree's top level, a flat tree: there crm is the arg max.
  if (options_.decoding == Decoding::Argmax || target_is_macro_) {
    *verdict = ranked(target, target_classes_, 1).front();
    *verdict_macro = best_macro(macro);
    return;
  }
  const size_t fine = size_t(tree_.min_risk_class(target.data()));
  verdict->index = int(fine);
  verdict->name = target_classes_[fine].name;
  verdict->fma_genre_id = target_classes_[fine].fma_genre_id;
  verdict->score = target[fine];
  const int m = target_classes_[fine].macro;
  verdict_macro->reset();
  if (m >= 0 && size_t(m) < macro.size() && size_t(m) < macro_classes_.size())
    *verdict_macro = RankedClass{m, macro_classes_[size_t(m)].name, macro_classes_[size_t(m)].fma_genre_id,
                                 macro[size_t(m)]};
}

namespace {

std::vector<float> to_floats(const std::vector<double>& v, double scale = 1.0) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = float(v[i] * scale);
  return out;
}

void accumulate(std::vector<double>* sum, const std::vector<float>& p) {
  if (sum->size() != p.size()) sum->assign(p.size(), 0.0);
  for (size_t i = 0; i < p.size(); ++i) (*sum)[i] += double(p[i]);
}

// The smoothed state after one more window `p`; `n` = windows in the running state, this one included.
void smooth(std::vector<double>* state, const std::vector<float>& p, Smoothing how, double alpha, uint64_t n) {
  if (how == Smoothing::None || n == 1 || state->size() != p.size()) {
    state->assign(p.begin(), p.end());
    return;
  }
  const double w = how == Smoothing::Mean ? 1.0 / double(n) : alpha;
  for (size_t i = 0; i < p.size(); ++i) (*state)[i] += w * (double(p[i]) - (*state)[i]);
}

}  // namespace

WindowResult VerdictTracker::add(const HeadProbabilities& window) {
  if (window.target.size() != target_classes_.size())
    throw InferError("a window has " + std::to_string(window.target.size()) + " scores, the model lists " +
                     std::to_string(target_classes_.size()) + " classes");
  WindowResult r;
  r.target = window.target;
  r.macro_scores = macro_scores(window);
  ++windows_;
  ++running_windows_;
  r.window = windows_;
  accumulate(&sum_target_, r.target);
  accumulate(&sum_macro_, r.macro_scores);
  smooth(&smoothed_target_, r.target, options_.smoothing, options_.ema_alpha, running_windows_);
  smooth(&smoothed_macro_, r.macro_scores, options_.smoothing, options_.ema_alpha, running_windows_);

  r.top = ranked(r.target, target_classes_, options_.top_k);
  r.macro = best_macro(r.macro_scores);
  decode(to_floats(smoothed_target_), to_floats(smoothed_macro_), &r.verdict, &r.verdict_macro);
  r.decoding = options_.decoding;
  r.confident = double(r.verdict.score) >= options_.min_confidence;
  if (r.confident && r.verdict.name != last_confident_) {
    r.verdict_changed = true;
    last_confident_ = r.verdict.name;
  }
  return r;
}

std::optional<StreamVerdict> VerdictTracker::stream_verdict() const {
  if (windows_ == 0) return std::nullopt;
  StreamVerdict v;
  v.windows = windows_;
  v.silent_windows = silent_windows_;
  v.target = to_floats(sum_target_, 1.0 / double(windows_));
  v.macro_scores = to_floats(sum_macro_, 1.0 / double(windows_));
  v.top = ranked(v.target, target_classes_, options_.top_k);
  v.macro = best_macro(v.macro_scores);
  decode(v.target, v.macro_scores, &v.verdict, &v.verdict_macro);
  v.decoding = options_.decoding;
  v.confident = double(v.verdict.score) >= options_.min_confidence;
  return v;
}

void VerdictTracker::reset_running() {
  running_windows_ = 0;
  smoothed_target_.clear();
  smoothed_macro_.clear();
  last_confident_.clear();
}

void VerdictTracker::reset() {
  reset_running();
  windows_ = 0;
  silent_windows_ = 0;
  sum_target_.clear();
  sum_macro_.clear();
}

}  // namespace genre::infer
