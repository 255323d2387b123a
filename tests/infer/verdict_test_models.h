// Model descriptions and probabilities the VerdictTracker tests share (tracker and decoding).
#pragma once

#include <utility>
#include <vector>

#include "infer/verdict_tracker.h"

namespace genre::infer::testing {

// Rock and Pop are Band (0), Jazz and Blues are Roots (1); Noise has no macrogenre. No genre
// tree: the class lists' two levels (siblings 2 apart, other macrogenres 4).
inline ModelDescription four_classes(bool with_noise = false) {
  ModelDescription d;
  d.path = "test.pt";
  d.classes.fine = {{0, "Rock", 12, 0}, {1, "Jazz", 4, 1}, {2, "Pop", 10, 0}, {3, "Blues", 3, 1}};
  if (with_noise) d.classes.fine.push_back({4, "Noise", 1, -1});
  d.classes.macro = {{0, "Band", -1, -1}, {1, "Roots", -1, -1}};
  d.input_shape = {1, 4, 8};
  return d;
}

// A window of target probabilities alone (no macro head).
inline HeadProbabilities probs(std::vector<float> p) { return HeadProbabilities{std::move(p), {}}; }

}  // namespace genre::infer::testing
