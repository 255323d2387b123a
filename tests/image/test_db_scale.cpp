// apply_db_scale against librosa.power_to_db worked out by hand:
//   10*log10(max(S, amin)) - 10*log10(max(amin, ref)), then max(x, x.max() - top_db).
#include <gtest/gtest.h>

#include <vector>

#include "image/db_scale.h"

using namespace genre::image;

namespace {

std::vector<float> run(std::vector<float> in, InputScale scale, DbRef ref, double top_db) {
  DbParams p;
  p.input_scale = scale;
  p.ref = ref;
  p.top_db = top_db;
  std::vector<float> out(in.size());
  apply_db_scale(in.data(), out.data(), in.size(), p);
  return out;
}

void expect_near(const std::vector<float>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4) << "index " << i;
}

}  // namespace

TEST(DbScale, PowerRefOneNoTopDb) {
  // 1 -> 0 dB, 0.1 -> -10, 1e-3 -> -30, 1e-12 and 0 -> amin = 1e-10 -> -100.
  expect_near(run({1.0f, 0.1f, 1e-3f, 1e-12f, 0.0f}, InputScale::Power, DbRef::One, 0.0),
              {0.0, -10.0, -30.0, -100.0, -100.0});
}

TEST(DbScale, PowerRefOneTopDb80) {
  // max is 0 dB, so everything below -80 dB becomes -80.
  expect_near(run({1.0f, 0.1f, 1e-3f, 1e-12f, 0.0f}, InputScale::Power, DbRef::One, 80.0),
              {0.0, -10.0, -30.0, -80.0, -80.0});
}

TEST(DbScale, PowerRefOneMaxBelowOne) {
  // ref = 1: values stay absolute; max 10*log10(0.01) = -20, top-db 30 floors at -50.
  expect_near(run({0.01f, 1e-4f, 1e-6f}, InputScale::Power, DbRef::One, 30.0), {-20.0, -40.0, -50.0});
}

TEST(DbScale, PowerRefMax) {
  // ref = max = 4: 10*log10(S/4): 2 -> -3.0103, 0.04 -> -20, 4e-9 -> -90.
  expect_near(run({4.0f, 2.0f, 0.04f, 4e-9f}, InputScale::Power, DbRef::Max, 0.0),
              {0.0, -3.0103, -20.0, -90.0});
  expect_near(run({4.0f, 2.0f, 0.04f, 4e-9f}, InputScale::Power, DbRef::Max, 80.0),
              {0.0, -3.0103, -20.0, -80.0});
}

TEST(DbScale, PowerAllBelowAminRefMax) {
  // librosa clamps ref at amin: every value is 10*log10(amin) - 10*log10(amin) = 0.
  expect_near(run({1e-12f, 0.0f}, InputScale::Power, DbRef::Max, 80.0), {0.0, 0.0});
}

TEST(DbScale, DbInputReapplied) {
  // Already dB: ref=max subtracts the max (-10), top-db clips at max - top_db.
  expect_near(run({-10.0f, -20.0f, -95.0f, -50.0f}, InputScale::Db, DbRef::Max, 0.0), {0.0, -10.0, -85.0, -40.0});
  expect_near(run({-10.0f, -20.0f, -95.0f, -50.0f}, InputScale::Db, DbRef::Max, 80.0), {0.0, -10.0, -80.0, -40.0});
  expect_near(run({-10.0f, -20.0f, -95.0f, -50.0f}, InputScale::Db, DbRef::One, 30.0), {-10.0, -20.0, -40.0, -40.0});
}

TEST(DbScale, InPlaceAndReturnsMax) {
  std::vector<float> v = {1.0f, 100.0f, 10.0f};
  DbParams p;
  p.input_scale = InputScale::Power;
  p.ref = DbRef::One;
  p.top_db = 0.0;
  float mx = apply_db_scale(v.data(), v.data(), v.size(), p);
  EXPECT_NEAR(mx, 20.0, 1e-4);
  expect_near(v, {0.0, 20.0, 10.0});
}

TEST(DbScale, EmptyWindowThrows) {
  DbParams p;
  float x = 0;
  EXPECT_THROW(apply_db_scale(&x, &x, 0, p), std::invalid_argument);
}
