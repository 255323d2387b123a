#include "taxonomy/genre_tree.h"

#include <gtest/gtest.h>

using genre::taxonomy::fine_parents_from_fma;
using genre::taxonomy::GenreTree;

namespace {

// Macro 0: Rock(0) with children Indie-Rock(1), Punk(2); Metal(3) directly under macro 0.
// Macro 1: Jazz(4). No macrogenre: Spoken(5).
GenreTree rock_jazz_tree() { return GenreTree({0, 0, 0, 0, 1, -1}, {-1, 0, 0, -1, -1, -1}, 2); }

}  // namespace

TEST(GenreTree, DistancesCountTheEdgesBetweenTwoGenres) {
  const GenreTree t = rock_jazz_tree();
  EXPECT_EQ(t.distance(1, 1), 0);
  EXPECT_EQ(t.distance(1, 0), 1);  // child and parent
  EXPECT_EQ(t.distance(1, 2), 2);  // siblings under Rock
  EXPECT_EQ(t.distance(0, 3), 2);  // siblings under the macrogenre
  EXPECT_EQ(t.distance(1, 3), 3);  // cousins in one macrogenre
  EXPECT_EQ(t.distance(1, 4), 5);  // other macrogenres: up to the root and down
  EXPECT_EQ(t.distance(4, 5), 4);  // a genre without a macrogenre is a group of its own
  EXPECT_EQ(t.distance(1, 5), 5);
  EXPECT_EQ(t.distance(4, 1), t.distance(1, 4));
  EXPECT_EQ(t.max_distance(), 5);
}

TEST(GenreTree, TwoLevelTreeWithoutParents) {
  const GenreTree t({0, 0, 1}, {}, 2);
  EXPECT_EQ(t.distance(0, 1), 2);
  EXPECT_EQ(t.distance(0, 2), 4);
  EXPECT_EQ(t.fine_parent(), (std::vector<int>{-1, -1, -1}));
}

TEST(GenreTree, MinRiskPrefersTheMacrogenreThatHoldsTheMass) {
  const GenreTree t({0, 0, 1}, {}, 2);
  // Arg max is class 2 (0.4), but classes 0 and 1 of the other macrogenre hold 0.6 together.
  const float p[] = {0.3f, 0.3f, 0.4f};
  EXPECT_EQ(t.min_risk_class(p), 0);  // risk: 0*0.3+2*0.3+4*0.4=2.2 vs 2.2 for 1, 2.4 for 2: ties to 0
  const float q[] = {0.1f, 0.1f, 0.8f};
  EXPECT_EQ(t.min_risk_class(q), 2);
  const float parent_heavy[] = {0.45f, 0.55f, 0.0f};
  EXPECT_EQ(t.min_risk_class(parent_heavy), 1);
}

TEST(GenreTree, RefusesParentsThatCannotBeATree) {
  EXPECT_THROW(GenreTree({0, 1}, {1, -1}, 2), std::invalid_argument);   // parent in another macrogenre
  EXPECT_THROW(GenreTree({0, 0}, {1, 0}, 1), std::invalid_argument);    // a cycle
  EXPECT_THROW(GenreTree({0, 3}, {}, 2), std::invalid_argument);        // macro out of range
  EXPECT_THROW(GenreTree({0, 0}, {0, -1}, 1), std::invalid_argument);   // its own parent
  EXPECT_THROW(GenreTree({0, 0}, {-1}, 1), std::invalid_argument);      // wrong size
}

TEST(GenreTree, JsonRoundTripAndAbsentTree) {
  const GenreTree t = rock_jazz_tree();
  const GenreTree back = GenreTree::from_json(t.to_json(), t.fine_to_macro(), 2, "bundle.json");
  EXPECT_EQ(back.fine_parent(), t.fine_parent());
  EXPECT_EQ(back.distance(1, 3), 3);
  const GenreTree plain = GenreTree::from_json(nullptr, {0, 0, 1}, 2, "old bundle");
  EXPECT_EQ(plain.distance(0, 1), 2);
  EXPECT_THROW(GenreTree::from_json({{"fine_parent", "x"}}, {0}, 1, "b"), std::invalid_argument);
  EXPECT_THROW(GenreTree::from_json({{"fine_parent", {1.5}}}, {0}, 1, "b"), std::invalid_argument);
  try {
    GenreTree::from_json({{"fine_parent", {1, 0}}}, {0, 0}, 1, "m/bundle.json");
    FAIL() << "a cycle was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("m/bundle.json"), std::string::npos) << e.what();
  }
}

TEST(GenreTree, FineParentsFromFmaAncestorsInTheSameMacrogenre) {
  // FMA ids: Rock 12, Indie-Rock 66 (parent 12), Post-Rock 26 (parent 12), Shoegaze 113 (parent 66? no:
  // take a grandchild) 999 (parent 66), Jazz 4, Free-Jazz 74 (parent 4) in another macro than Jazz.
  const std::vector<std::pair<int, int>> parent{{12, 0}, {66, 12}, {26, 12}, {999, 66}, {4, 0}, {74, 4}};
  const std::vector<int> ids{12, 66, 999, 26, 4, 74, -1};
  const std::vector<int> macro{0, 0, 0, 0, 1, 2, 0};
  const std::vector<int> parents = fine_parents_from_fma(ids, macro, parent);
  EXPECT_EQ(parents, (std::vector<int>{-1, 0, 1, 0, -1, -1, -1}));
  const GenreTree t(macro, parents, 3);
  EXPECT_EQ(t.distance(2, 3), 3);  // grandchild of Rock to a child of Rock
}
