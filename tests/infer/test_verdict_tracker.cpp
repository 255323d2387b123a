// VerdictTracker: top-k, macrogenres (head, sum, noisy-OR), the three
// smoothings and the whole-stream verdict, against numbers worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "infer/infer_error.h"
#include "infer/verdict_tracker.h"
#include "verdict_test_models.h"

using genre::infer::HeadProbabilities;
using genre::infer::InferError;
using genre::infer::ModelDescription;
using genre::infer::Smoothing;
using genre::infer::TrackerOptions;
using genre::infer::VerdictTracker;
using genre::infer::testing::four_classes;
using genre::infer::testing::probs;

namespace {

TrackerOptions with(Smoothing s, double alpha = 0.5) {
  TrackerOptions o;
  o.smoothing = s;
  o.ema_alpha = alpha;
  return o;
}

const std::vector<std::vector<float>> kWindows = {
    {0.7f, 0.1f, 0.1f, 0.1f}, {0.1f, 0.6f, 0.2f, 0.1f}, {0.1f, 0.7f, 0.1f, 0.1f}};

}  // namespace

TEST(VerdictTracker, TopKIsSortedWithNamesAndFmaIds) {
  TrackerOptions o;
  o.top_k = 3;
  VerdictTracker t(four_classes(), o);
  auto r = t.add(probs({0.1f, 0.2f, 0.4f, 0.3f}));
  ASSERT_EQ(r.top.size(), 3u);
  EXPECT_EQ(r.top[0].name, "Pop");
  EXPECT_EQ(r.top[0].fma_genre_id, 10);
  EXPECT_EQ(r.top[0].index, 2);
  EXPECT_FLOAT_EQ(r.top[0].score, 0.4f);
  EXPECT_EQ(r.top[1].name, "Blues");
  EXPECT_EQ(r.top[2].name, "Jazz");
  EXPECT_EQ(r.window, 1u);

  o.top_k = 10;  // more than the classes: all of them
  t.set_options(o);
  EXPECT_EQ(t.add(probs({0.25f, 0.25f, 0.25f, 0.25f})).top.size(), 4u);
}

TEST(VerdictTracker, TiesRankInClassOrder) {
  VerdictTracker t(four_classes(), TrackerOptions{});
  auto r = t.add(probs({0.25f, 0.25f, 0.25f, 0.25f}));
  ASSERT_EQ(r.top.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r.top[size_t(i)].index, i);
}

TEST(VerdictTracker, MacroScoresSumTheFineOnesOfASoftmaxModel) {
  VerdictTracker t(four_classes(true), TrackerOptions{});
  auto r = t.add(probs({0.3f, 0.1f, 0.25f, 0.15f, 0.2f}));
  ASSERT_EQ(r.macro_scores.size(), 2u);
  EXPECT_NEAR(r.macro_scores[0], 0.55, 1e-6);  // Rock + Pop
  EXPECT_NEAR(r.macro_scores[1], 0.25, 1e-6);  // Jazz + Blues; Noise counts for neither
  ASSERT_TRUE(r.macro.has_value());
  EXPECT_EQ(r.macro->name, "Band");
  EXPECT_NEAR(r.macro->score, 0.55, 1e-6);
}

TEST(VerdictTracker, MacroScoresOfAMultiLabelModelAreNoisyOr) {
  ModelDescription d = four_classes();
  d.multi_label = true;
  VerdictTracker t(d, TrackerOptions{});
  auto r = t.add(probs({0.5f, 0.5f, 0.5f, 0.0f}));
  EXPECT_NEAR(r.macro_scores[0], 0.75, 1e-6);  // 1 - (1-0.5)(1-0.5)
  EXPECT_NEAR(r.macro_scores[1], 0.5, 1e-6);   // 1 - (1-0.5)(1-0)
}

TEST(VerdictTracker, AMacroHeadIsUsedAsIs) {
  ModelDescription d = four_classes();
  d.has_macro_head = true;
  VerdictTracker t(d, TrackerOptions{});
  auto r = t.add(HeadProbabilities{{0.7f, 0.1f, 0.1f, 0.1f}, {0.35f, 0.65f}});
  EXPECT_FLOAT_EQ(r.macro_scores[0], 0.35f);
  EXPECT_FLOAT_EQ(r.macro_scores[1], 0.65f);
  EXPECT_EQ(r.macro->name, "Roots");
}

TEST(VerdictTracker, AMacroTargetModelIsItsOwnMacrogenre) {
  ModelDescription d = four_classes();
  d.target = "macro";
  VerdictTracker t(d, TrackerOptions{});
  auto r = t.add(probs({0.2f, 0.8f}));
  EXPECT_EQ(r.top[0].name, "Roots");
  EXPECT_EQ(r.macro->name, "Roots");
  EXPECT_FLOAT_EQ(r.macro->score, 0.8f);
}

TEST(VerdictTracker, NoMacrogenresMeansNoMacroScores) {
  ModelDescription d = four_classes();
  d.classes.macro.clear();
  for (auto& c : d.classes.fine) c.macro = -1;
  VerdictTracker t(d, TrackerOptions{});
  auto r = t.add(probs({0.7f, 0.1f, 0.1f, 0.1f}));
  EXPECT_TRUE(r.macro_scores.empty());
  EXPECT_FALSE(r.macro.has_value());
}

// Windows: Rock 0.7 | Jazz 0.6 | Jazz 0.7.
TEST(VerdictTracker, NoSmoothingFollowsTheLatestWindow) {
  VerdictTracker t(four_classes(), with(Smoothing::None));
  EXPECT_EQ(t.add(probs(kWindows[0])).verdict.name, "Rock");
  auto r = t.add(probs(kWindows[1]));
  EXPECT_EQ(r.verdict.name, "Jazz");
  EXPECT_FLOAT_EQ(r.verdict.score, 0.6f);
}

TEST(VerdictTracker, MeanSmoothingIsTheRunningMean) {
  VerdictTracker t(four_classes(), with(Smoothing::Mean));
  auto r1 = t.add(probs(kWindows[0]));
  EXPECT_EQ(r1.verdict.name, "Rock");
  EXPECT_NEAR(r1.verdict.score, 0.7, 1e-6);
  auto r2 = t.add(probs(kWindows[1]));  // Rock (0.7+0.1)/2 = 0.4 > Jazz (0.1+0.6)/2 = 0.35
  EXPECT_EQ(r2.verdict.name, "Rock");
  EXPECT_NEAR(r2.verdict.score, 0.4, 1e-6);
  auto r3 = t.add(probs(kWindows[2]));  // Jazz 1.4/3
  EXPECT_EQ(r3.verdict.name, "Jazz");
  EXPECT_NEAR(r3.verdict.score, 1.4 / 3, 1e-6);
  ASSERT_TRUE(r3.verdict_macro.has_value());  // Roots (0.2+0.7+0.8)/3
  EXPECT_EQ(r3.verdict_macro->name, "Roots");
  EXPECT_NEAR(r3.verdict_macro->score, 1.7 / 3, 1e-6);
}

TEST(VerdictTracker, EmaSmoothingWeighsTheNewestWindowByAlpha) {
  VerdictTracker t(four_classes(), with(Smoothing::Ema, 0.25));
  t.add(probs(kWindows[0]));                  // s = p1
  auto r2 = t.add(probs(kWindows[1]));        // Rock .25*.1 + .75*.7 = .55; Jazz .25*.6+.75*.1 = .225
  EXPECT_EQ(r2.verdict.name, "Rock");
  EXPECT_NEAR(r2.verdict.score, 0.55, 1e-6);
  auto r3 = t.add(probs(kWindows[2]));        // Rock .25*.1+.75*.55 = .4375; Jazz .25*.7+.75*.225 = .34375
  EXPECT_EQ(r3.verdict.name, "Rock");
  EXPECT_NEAR(r3.verdict.score, 0.4375, 1e-6);
  auto r4 = t.add(probs(kWindows[2]));        // Rock .35313, Jazz .43281
  EXPECT_EQ(r4.verdict.name, "Jazz");
  EXPECT_NEAR(r4.verdict.score, 0.25 * 0.7 + 0.75 * 0.34375, 1e-6);
}

TEST(VerdictTracker, StreamVerdictIsTheMeanWhateverTheSmoothing) {
  VerdictTracker t(four_classes(), with(Smoothing::None));
  EXPECT_FALSE(t.stream_verdict().has_value());
  for (const auto& w : kWindows) t.add(probs(w));
  auto v = t.stream_verdict();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->windows, 3u);
  EXPECT_EQ(v->top[0].name, "Jazz");
  EXPECT_NEAR(v->top[0].score, 1.4 / 3, 1e-6);
  EXPECT_EQ(v->top[1].name, "Rock");
  EXPECT_NEAR(v->top[1].score, 0.3, 1e-6);
  EXPECT_EQ(v->macro->name, "Roots");
}

TEST(VerdictTracker, ResetRunningKeepsTheStreamAndResetClearsBoth) {
  VerdictTracker t(four_classes(), with(Smoothing::Mean));
  t.add(probs(kWindows[0]));
  t.add(probs(kWindows[0]));
  t.reset_running();  // a DISCONT
  auto r = t.add(probs(kWindows[1]));
  EXPECT_EQ(r.verdict.name, "Jazz");  // the mean starts afresh
  EXPECT_NEAR(r.verdict.score, 0.6, 1e-6);
  EXPECT_EQ(t.stream_verdict()->windows, 3u);
  EXPECT_EQ(t.stream_verdict()->top[0].name, "Rock");  // (0.7+0.7+0.1)/3 = 0.5

  t.reset();  // a flush or a new segment
  EXPECT_FALSE(t.stream_verdict().has_value());
  EXPECT_EQ(t.add(probs(kWindows[2])).window, 1u);
}

TEST(VerdictTracker, MinConfidenceAndVerdictChanges) {
  TrackerOptions o = with(Smoothing::None);
  o.min_confidence = 0.65;
  VerdictTracker t(four_classes(), o);
  auto r1 = t.add(probs(kWindows[0]));  // Rock 0.7: confident, new
  EXPECT_TRUE(r1.confident);
  EXPECT_TRUE(r1.verdict_changed);
  auto r2 = t.add(probs(kWindows[0]));  // same verdict: no change
  EXPECT_TRUE(r2.confident);
  EXPECT_FALSE(r2.verdict_changed);
  auto r3 = t.add(probs(kWindows[1]));  // Jazz 0.6: uncertain, never a change
  EXPECT_FALSE(r3.confident);
  EXPECT_FALSE(r3.verdict_changed);
  EXPECT_EQ(r3.verdict.name, "Jazz");
  auto r4 = t.add(probs(kWindows[2]));  // Jazz 0.7: confident, changed from Rock
  EXPECT_TRUE(r4.verdict_changed);
  EXPECT_FALSE(t.stream_verdict()->confident);  // the mean tops out at Rock 0.4
}

TEST(VerdictTracker, SmoothingChangeRestartsTheRunningVerdict) {
  VerdictTracker t(four_classes(), with(Smoothing::Mean));
  t.add(probs(kWindows[0]));
  t.set_options(with(Smoothing::Ema, 0.5));
  auto r = t.add(probs(kWindows[1]));
  EXPECT_EQ(r.verdict.name, "Jazz");  // the EMA starts at this window
  EXPECT_NEAR(r.verdict.score, 0.6, 1e-6);
}

TEST(VerdictTracker, RejectsBadOptionsAndBadWindows) {
  TrackerOptions o;
  o.top_k = 0;
  EXPECT_THROW(VerdictTracker(four_classes(), o), InferError);
  o = TrackerOptions{};
  o.ema_alpha = 0.0;
  EXPECT_THROW(VerdictTracker(four_classes(), o), InferError);
  o = TrackerOptions{};
  o.min_confidence = 1.5;
  EXPECT_THROW(VerdictTracker(four_classes(), o), InferError);
  VerdictTracker t(four_classes(), TrackerOptions{});
  try {
    t.add(probs({0.5f, 0.5f}));
    FAIL() << "a window with the wrong number of scores was accepted";
  } catch (const InferError& e) {
    EXPECT_NE(std::string(e.what()).find("2 scores"), std::string::npos) << e.what();
  }
}

// Silence is not a genre: windows below the floor are counted, never scored, and left out
// of the running and whole-stream verdicts.
TEST(VerdictTracker, SilentWindowsAreCountedAndLeftOutOfTheVerdicts) {
  TrackerOptions o = with(Smoothing::Mean);
  VerdictTracker t(four_classes(), o);
  EXPECT_TRUE(t.is_silent(-100.0)) << "digital silence";
  EXPECT_TRUE(t.is_silent(-50.5)) << "below the default floor of -50 dB";
  EXPECT_FALSE(t.is_silent(-50.0));
  EXPECT_FALSE(t.is_silent(-20.0));
  EXPECT_FALSE(t.is_silent(std::nan(""))) << "an unknown level is not silence";
  EXPECT_TRUE(t.is_silent(-std::numeric_limits<double>::infinity()));

  t.add_silent();
  t.add_silent();
  EXPECT_FALSE(t.stream_verdict()) << "only silence: no verdict";
  EXPECT_EQ(t.silent_windows(), 2u);
  t.add(probs(kWindows[0]));
  t.add_silent();
  const auto r = t.add(probs(kWindows[1]));
  EXPECT_EQ(r.verdict.name, "Rock");
  EXPECT_FLOAT_EQ(r.verdict.score, 0.4f) << "the running mean of the two classified windows only";
  const auto v = t.stream_verdict();
  ASSERT_TRUE(v);
  EXPECT_EQ(v->windows, 2u);
  EXPECT_EQ(v->silent_windows, 3u);
  EXPECT_EQ(v->top.front().name, "Rock");
  EXPECT_FLOAT_EQ(v->top.front().score, 0.4f);
  t.reset();
  EXPECT_EQ(t.silent_windows(), 0u);

  o.silence_floor_db = -1000.0;
  t.set_options(o);
  EXPECT_FALSE(t.is_silent(-100.0)) << "-1000: never silent";
  o.silence_floor_db = 3.0;
  EXPECT_THROW(t.set_options(o), InferError);
}
