// The hierarchy-aware losses (train/hierarchy_loss.h): --loss tree's soft targets and loss, and
// --fn-weight on bce.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <cmath>

#include "train/hierarchy_loss.h"

using namespace genre;
using train::soft_target_cross_entropy;
using train::tree_soft_targets;

namespace {

// Two macrogenres: {0, 1, 2} with 1 and 2 under 0 (Rock: Indie-Rock, Post-Rock), and {3, 4}.
taxonomy::GenreTree two_level_tree() { return taxonomy::GenreTree({0, 0, 0, 1, 1}, {-1, 0, 0, -1, -1}, 2); }

at::Tensor labels(const std::vector<int64_t>& v) { return torch::tensor(v, at::kLong); }

float at2(const at::Tensor& t, int64_t i, int64_t j) { return t[i][j].item<float>(); }

}  // namespace

TEST(TreeTargets, MassByDistanceWithinTheMacrogenreOnly) {
  const at::Tensor q = tree_soft_targets(two_level_tree(), 1.0);
  ASSERT_EQ(q.sizes(), (std::vector<int64_t>{5, 5}));
  EXPECT_TRUE(torch::allclose(q.sum(1), torch::ones({5})));
  // Indie-Rock (1): itself exp(0), its parent Rock at distance 1, its sibling Post-Rock at 2.
  const double z = 1 + std::exp(-1.0) + std::exp(-2.0);
  EXPECT_NEAR(at2(q, 1, 1), 1 / z, 1e-6);
  EXPECT_NEAR(at2(q, 1, 0), std::exp(-1.0) / z, 1e-6);
  EXPECT_NEAR(at2(q, 1, 2), std::exp(-2.0) / z, 1e-6);
  EXPECT_EQ(at2(q, 1, 3), 0.0f);  // another macrogenre: as far as any, no mass
  EXPECT_EQ(at2(q, 1, 4), 0.0f);
  // Siblings 3 and 4 (distance 2).
  EXPECT_NEAR(at2(q, 3, 4), std::exp(-2.0) / (1 + std::exp(-2.0)), 1e-6);
  // A colder temperature keeps more on the true genre.
  EXPECT_GT(at2(tree_soft_targets(two_level_tree(), 0.5), 1, 1), at2(q, 1, 1));
  EXPECT_TRUE(train::spreads_mass(q));
  EXPECT_THROW(tree_soft_targets(two_level_tree(), 0.0), std::invalid_argument);
  EXPECT_THROW(tree_soft_targets(two_level_tree(), NAN), std::invalid_argument);
}

TEST(TreeLoss, EqualsCrossEntropyOnAFlatTreeAndAsTheTemperatureGoesToZero) {
  torch::manual_seed(1);
  const at::Tensor y = labels({0, 3, 1, 4, -1, 2});  // -1: no label, ignored like ignore_index
  const taxonomy::GenreTree flat({-1, -1, -1, -1, -1}, {}, 0);
  const at::Tensor flat_q = tree_soft_targets(flat, 1.0);
  EXPECT_FALSE(train::spreads_mass(flat_q));
  const at::Tensor cold_q = tree_soft_targets(two_level_tree(), 0.01);
  for (double smoothing : {0.0, 0.1}) {
    SCOPED_TRACE(smoothing);
    const at::Tensor z1 = torch::randn({6, 5}).requires_grad_(), z2 = z1.detach().clone().requires_grad_();
    const at::Tensor ce = at::cross_entropy_loss(z1, y, {}, at::Reduction::Mean, -1, smoothing);
    const at::Tensor tree = soft_target_cross_entropy(z2, y, flat_q, smoothing);
    EXPECT_NEAR(tree.item<double>(), ce.item<double>(), 1e-5);
    ce.backward();
    tree.backward();
    EXPECT_TRUE(torch::allclose(z1.grad(), z2.grad(), 1e-5, 1e-6));
    EXPECT_NEAR(soft_target_cross_entropy(z1.detach(), y, cold_q, smoothing).item<double>(), ce.item<double>(), 1e-5);
  }
}

// A track of Indie-Rock (1): CE charges the same for answering Post-Rock (its sibling) or a genre
// of the other macrogenre; the tree loss charges the near miss less, and its gradient at an
// undecided model raises the relatives against the rest, the parent most.
TEST(TreeLoss, PrefersNearMisses) {
  const at::Tensor q = tree_soft_targets(two_level_tree(), 1.0);
  const at::Tensor y = labels({1});
  const at::Tensor near = torch::tensor({{0.f, 0.f, 4.f, 0.f, 0.f}}), far = torch::tensor({{0.f, 0.f, 0.f, 4.f, 0.f}});
  EXPECT_NEAR(at::cross_entropy_loss(near, y).item<double>(), at::cross_entropy_loss(far, y).item<double>(), 1e-6);
  EXPECT_LT(soft_target_cross_entropy(near, y, q, 0.0).item<double>(),
            soft_target_cross_entropy(far, y, q, 0.0).item<double>() - 0.1);
  const at::Tensor z = torch::zeros({1, 5}).requires_grad_();
  soft_target_cross_entropy(z, y, q, 0.0).backward();
  const at::Tensor g = z.grad()[0];  // gradient descent raises the logits with a negative gradient
  EXPECT_LT(g[1].item<float>(), g[0].item<float>());
  EXPECT_LT(g[0].item<float>(), g[2].item<float>());
  EXPECT_LT(g[2].item<float>(), g[3].item<float>());
  EXPECT_NEAR(g[3].item<float>(), g[4].item<float>(), 1e-7);
}

// Mixup mixes the losses of the two label sets, as it does with plain CE: the mixed loss equals
// CE against the mixed soft targets.
TEST(TreeLoss, MixupIsTheLossOfTheMixedTargets) {
  torch::manual_seed(2);
  const at::Tensor q = tree_soft_targets(two_level_tree(), 1.0);
  const at::Tensor z = torch::randn({3, 5});
  const at::Tensor a = labels({0, 1, 3}), b = labels({4, 2, 3});
  const double lambda = 0.7, smoothing = 0.1;
  const double mixed = lambda * soft_target_cross_entropy(z, a, q, smoothing).item<double>() +
                       (1 - lambda) * soft_target_cross_entropy(z, b, q, smoothing).item<double>();
  const at::Tensor t = lambda * q.index_select(0, a) + (1 - lambda) * q.index_select(0, b);
  const at::Tensor expected = -(((1 - smoothing) * t + smoothing / 5) * at::log_softmax(z, 1)).sum(1).mean();
  EXPECT_NEAR(mixed, expected.item<double>(), 1e-5);
}

TEST(FnWeight, MultipliesThePositiveTermOnTopOfPosWeight) {
  const std::vector<double> positives{2, 5, 0};
  const std::vector<float> inverse = train::bce_positive_weights(positives, 10, "inverse", 1.0);
  EXPECT_EQ(inverse, (std::vector<float>{4.0f, 1.0f, 1.0f}));
  EXPECT_EQ(train::bce_positive_weights(positives, 10, "inverse", 3.0), (std::vector<float>{12.0f, 3.0f, 3.0f}));
  EXPECT_TRUE(train::bce_positive_weights(positives, 10, "none", 1.0).empty());
  EXPECT_EQ(train::bce_positive_weights(positives, 10, "none", 2.0), (std::vector<float>{2.0f, 2.0f, 2.0f}));
  EXPECT_NEAR(train::bce_positive_weights(positives, 10, "log-inverse", 2.0)[0], 2 * std::log1p(4.0), 1e-6);
  EXPECT_THROW(train::bce_positive_weights(positives, 10, "none", 0.0), std::invalid_argument);

  // The loss: -(W p y log s(z) + (1 - y) log(1 - s(z))), mean over every entry; W scales only
  // the missed-label term, so a model answering "negative" everywhere pays W times more.
  torch::manual_seed(3);
  const at::Tensor z = torch::randn({4, 3}), t = torch::randint(0, 2, {4, 3}).to(at::kFloat);
  const at::Tensor w = torch::tensor(train::bce_positive_weights(positives, 10, "inverse", 3.0));
  const at::Tensor got = at::binary_cross_entropy_with_logits(z, t, {}, w, at::Reduction::Mean);
  const at::Tensor s = z.sigmoid();
  const at::Tensor expected = -(w * t * s.log() + (1 - t) * (1 - s).log()).mean();
  EXPECT_NEAR(got.item<double>(), expected.item<double>(), 1e-5);
  const at::Tensor negative = torch::full({1, 3}, -3.0f), positive = torch::ones({1, 3});
  const at::Tensor w1 = torch::tensor(train::bce_positive_weights(positives, 10, "none", 2.0));
  EXPECT_NEAR(at::binary_cross_entropy_with_logits(negative, positive, {}, w1).item<double>(),
              2 * at::binary_cross_entropy_with_logits(negative, positive).item<double>(), 1e-5);
}
