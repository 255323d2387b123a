// VerdictTracker's decodings: crm against expected costs worked out by hand on
// the two-level tree of the class lists and on a deeper tree, its macrogenre
// always the verdict's, the refusal of multi-label models, the arg max on a
// macro-target model.
#include <gtest/gtest.h>

#include "infer/infer_error.h"
#include "infer/verdict_tracker.h"
#include "verdict_test_models.h"

using genre::infer::Decoding;
using genre::infer::HeadProbabilities;
using genre::infer::InferError;
using genre::infer::ModelDescription;
using genre::infer::Smoothing;
using genre::infer::TrackerOptions;
using genre::infer::VerdictTracker;
using genre::infer::testing::four_classes;
using genre::infer::testing::probs;

namespace {

TrackerOptions decoding(Decoding d) {
  TrackerOptions o;
  o.decoding = d;
  o.smoothing = Smoothing::None;
  return o;
}

}  // namespace

TEST(VerdictDecoding, Names) {
  EXPECT_STREQ(to_string(Decoding::Argmax), "argmax");
  EXPECT_STREQ(to_string(Decoding::Crm), "crm");
  EXPECT_EQ(genre::infer::decoding_from_string("crm"), Decoding::Crm);
  EXPECT_EQ(genre::infer::decoding_from_string("argmax"), Decoding::Argmax);
  EXPECT_FALSE(genre::infer::decoding_from_string("CRM"));
}

// Jazz 0.40 | Rock 0.32 | Pop 0.28: expected costs Rock 0.40*4 + 0.28*2 = 2.16, Pop 0.32*2 + 0.40*4
// = 2.24, Jazz 0.60*4 = 2.40, Blues 0.40*2 + 0.60*4 = 3.20. The arg max says Jazz, with the
// macrogenre Band (0.60) that does not contain it; crm says Rock, in Band.
TEST(VerdictDecoding, CrmTakesTheLeastExpectedDistanceAndItsOwnMacrogenre) {
  const std::vector<float> p = {0.32f, 0.40f, 0.28f, 0.0f};
  VerdictTracker argmax(four_classes(), decoding(Decoding::Argmax));
  const auto a = argmax.add(probs(p));
  EXPECT_EQ(a.verdict.name, "Jazz");
  EXPECT_EQ(a.verdict_macro->name, "Band");
  EXPECT_EQ(a.decoding, Decoding::Argmax);

  VerdictTracker crm(four_classes(), decoding(Decoding::Crm));
  const auto c = crm.add(probs(p));
  EXPECT_EQ(c.verdict.name, "Rock");
  EXPECT_EQ(c.verdict.index, 0);
  EXPECT_EQ(c.verdict.fma_genre_id, 12);
  EXPECT_FLOAT_EQ(c.verdict.score, 0.32f) << "the verdict's score is its probability";
  ASSERT_TRUE(c.verdict_macro);
  EXPECT_EQ(c.verdict_macro->name, "Band");
  EXPECT_NEAR(c.verdict_macro->score, 0.60, 1e-6);
  EXPECT_EQ(c.decoding, Decoding::Crm);
  // The probability ranking and the most probable macrogenre are the same under both.
  ASSERT_EQ(c.top.size(), a.top.size());
  for (size_t i = 0; i < c.top.size(); ++i) EXPECT_EQ(c.top[i].name, a.top[i].name);
  EXPECT_EQ(c.macro->name, a.macro->name);

  // A clear verdict stays: Jazz 0.7 costs 0.1*4 + 0.1*2 + 0.1*4 = 1.0, the least.
  EXPECT_EQ(crm.add(probs({0.1f, 0.7f, 0.1f, 0.1f})).verdict.name, "Jazz");

  // The whole-stream verdict decodes the mean: (0.32+0.1)/2 Rock, (0.4+0.7)/2 Jazz, ... -> Jazz.
  const auto v = crm.stream_verdict();
  ASSERT_TRUE(v);
  EXPECT_EQ(v->decoding, Decoding::Crm);
  EXPECT_EQ(v->verdict.name, "Jazz");
  EXPECT_EQ(v->verdict_macro->name, "Roots");
  EXPECT_NEAR(v->verdict.score, 0.55, 1e-6);
}

// The bundle's tree, not only its class lists: Pop hangs under Rock (Rock-Pop 1, Pop-Jazz 5).
// Jazz 0.45 | Pop 0.30 | Rock 0.25: Rock costs 0.45*4 + 0.30*1 = 2.10, Jazz 0.25*4 + 0.30*5 = 2.50,
// Pop 0.45*5 + 0.25*1 = 2.50. On the two-level tree Jazz would win (2.20 vs Rock 2.40, Pop 2.30).
TEST(VerdictDecoding, CrmUsesTheDescriptionsTree) {
  const std::vector<float> p = {0.25f, 0.45f, 0.30f, 0.0f};
  VerdictTracker flat(four_classes(), decoding(Decoding::Crm));
  EXPECT_EQ(flat.add(probs(p)).verdict.name, "Jazz");
  ModelDescription d = four_classes();
  d.tree = genre::taxonomy::GenreTree({0, 1, 0, 1}, {-1, -1, 0, -1}, 2);
  VerdictTracker deep(d, decoding(Decoding::Crm));
  EXPECT_EQ(deep.add(probs(p)).verdict.name, "Rock");
}

// A fine class without a macrogenre has no macrogenre verdict under crm.
TEST(VerdictDecoding, CrmVerdictWithoutMacrogenre) {
  ModelDescription d = four_classes();
  d.classes.fine.push_back({4, "Noise", 1, -1});
  VerdictTracker t(d, decoding(Decoding::Crm));
  const auto r = t.add(probs({0.0f, 0.0f, 0.0f, 0.0f, 1.0f}));
  EXPECT_EQ(r.verdict.name, "Noise");
  EXPECT_FALSE(r.verdict_macro);
}

TEST(VerdictDecoding, MultiLabelModelsRefuseCrm) {
  ModelDescription d = four_classes();
  d.multi_label = true;
  try {
    VerdictTracker t(d, decoding(Decoding::Crm));
    FAIL() << "crm accepted on a multi-label model";
  } catch (const InferError& e) {
    EXPECT_NE(std::string(e.what()).find("multi-label"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.pt"), std::string::npos) << e.what();
  }
  EXPECT_THROW(genre::infer::check_decoding(d, Decoding::Crm), InferError);
  EXPECT_NO_THROW(genre::infer::check_decoding(d, Decoding::Argmax));
  VerdictTracker t(d, decoding(Decoding::Argmax));
  EXPECT_THROW(t.set_options(decoding(Decoding::Crm)), InferError);
  EXPECT_EQ(t.options().decoding, Decoding::Argmax) << "a refused change leaves the options as they were";
}

// The classes of a macro-target model are the tree's top level, all 2 apart: crm is the arg max.
TEST(VerdictDecoding, CrmOnAMacroTargetModelIsTheArgmax) {
  ModelDescription d = four_classes();
  d.target = "macro";
  VerdictTracker t(d, decoding(Decoding::Crm));
  const auto r = t.add(probs({0.3f, 0.7f}));
  EXPECT_EQ(r.verdict.name, "Roots");
  EXPECT_EQ(r.verdict_macro->name, "Roots");
}

// A switch of decoding takes effect at the next window, without restarting the running verdict.
TEST(VerdictDecoding, SwitchingDecodingKeepsTheRunningState) {
  TrackerOptions o = decoding(Decoding::Argmax);
  o.smoothing = Smoothing::Mean;
  VerdictTracker t(four_classes(), o);
  t.add(probs({0.32f, 0.40f, 0.28f, 0.0f}));
  o.decoding = Decoding::Crm;
  t.set_options(o);
  const auto r = t.add(probs({0.32f, 0.40f, 0.28f, 0.0f}));
  EXPECT_EQ(r.verdict.name, "Rock");
  EXPECT_FLOAT_EQ(r.verdict.score, 0.32f);
  EXPECT_EQ(t.stream_verdict()->windows, 2u);
}
