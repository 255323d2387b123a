// genre-train's pieces alone: the two-stage weight transfer, --freeze, the
// learning-rate schedules against torch's formulas, checkpoints (weights,
// optimiser, RNG) and the reference setups.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <thread>

#include "model/model_factory.h"
#include "train/checkpoint.h"
#include "train/gradient_sync.h"
#include "train/local_launcher.h"
#include "train/lr_schedule.h"
#include "train/module_state.h"
#include "train/optimizer.h"
#include "train/process_group.h"
#include "train/train_config.h"

namespace {

using namespace genre;

model::BuiltModel cnn(int64_t classes, uint64_t seed) {
  torch::manual_seed(seed);
  model::ModelSpec spec;
  spec.name = "cnn";
  spec.heads = {classes};
  return model::build_model(spec);
}

at::Tensor tensor_named(const torch::jit::Module& m, const std::string& name) {
  for (auto& [n, t] : train::named_tensors(m))
    if (n == name) return t;
  ADD_FAILURE() << "no tensor " << name;
  return {};
}

bool in_head(const std::string& name, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

TEST(TwoStageTransfer, BackboneCarriedOverHeadKeepsItsFreshInitialisation) {
  const model::BuiltModel macro = cnn(12, 1);
  model::BuiltModel fine = cnn(16, 2);
  const model::BuiltModel fresh = cnn(16, 2);  // what the fine model held before the transfer
  const train::TransferReport r = train::transfer_matching(macro.module, fine.module, fine.head_prefixes);
  ASSERT_FALSE(r.copied.empty());
  ASSERT_FALSE(r.reinitialised.empty());
  for (auto& [name, t] : train::named_tensors(fine.module)) {
    if (in_head(name, fine.head_prefixes)) {
      EXPECT_TRUE(torch::equal(t, tensor_named(fresh.module, name))) << name << " should keep its fresh init";
    } else {
      EXPECT_TRUE(torch::equal(t, tensor_named(macro.module, name))) << name << " should come from the macro stage";
      EXPECT_FALSE(torch::equal(t, tensor_named(fresh.module, name)) && t.numel() > 1 && t.std().item<double>() > 0)
          << name << " unchanged by the transfer";
    }
  }
}

TEST(TwoStageTransfer, HeadReinitialisedEvenWhenTheClassCountsAgree) {
  const model::BuiltModel a = cnn(12, 1);
  model::BuiltModel b = cnn(12, 2);
  const model::BuiltModel fresh = cnn(12, 2);
  train::transfer_matching(a.module, b.module, b.head_prefixes);
  for (auto& [name, t] : train::named_tensors(b.module))
    if (in_head(name, b.head_prefixes)) {
      EXPECT_TRUE(torch::equal(t, tensor_named(fresh.module, name))) << name;
    }
}

TEST(Freeze, UpToANamedBlockInDefinitionOrder) {
  torch::manual_seed(0);
  model::ModelSpec spec;
  spec.name = "resnet18";
  spec.height = spec.width = 64;
  spec.heads = {8};
  model::BuiltModel m = model::build_model(spec);
  const std::vector<at::Tensor> trainable = train::freeze_up_to(m.module, "layer4.0");
  int64_t frozen = 0, free = 0;
  for (const auto& p : m.module.named_parameters(true)) {
    const bool expect_trainable = p.name.rfind("layer4.1.", 0) == 0 || p.name.rfind("fc.", 0) == 0;
    EXPECT_EQ(p.value.requires_grad(), expect_trainable) << p.name;
    (expect_trainable ? free : frozen) += 1;
  }
  EXPECT_EQ(static_cast<int64_t>(trainable.size()), free);
  EXPECT_GT(frozen, free);
  EXPECT_THROW(train::freeze_up_to(m.module, "layer9"), std::invalid_argument);
}

TEST(LrSchedule, OneCycleFollowsTorchsCosineOneCycle) {
  train::ScheduleSetup s;
  s.kind = "onecycle";
  s.max_lr = 3e-3;
  s.total_steps = 100;
  auto sched = train::make_schedule(s);
  // Values printed by torch.optim.lr_scheduler.OneCycleLR(max_lr=3e-3, total_steps=100) at steps 0, 29, 65, 99.
  const std::map<int, double> torch_lr = {{0, 1.2e-4}, {29, 3e-3}, {65, 0.0014327090236632102}, {99, 1.2e-8}};
  for (int step = 0; step < 100; ++step) {
    if (torch_lr.count(step)) {
      EXPECT_NEAR(sched->lr(), torch_lr.at(step), 1e-12) << "step " << step;
    }
    sched->after_step();
  }
  const nlohmann::json state = sched->state();
  auto resumed = train::make_schedule(s);
  resumed->restore(state);
  EXPECT_EQ(resumed->lr(), sched->lr());
}

TEST(LrSchedule, PlateauCutsAfterPatienceBadEpochs) {
  train::ScheduleSetup s;
  s.kind = "plateau";
  s.base_lr = 1e-4;
  s.plateau_factor = 0.5;
  s.plateau_patience = 1;
  auto sched = train::make_schedule(s);
  sched->after_epoch(1.0);
  sched->after_epoch(1.1);  // one bad epoch: within patience
  EXPECT_DOUBLE_EQ(sched->lr(), 1e-4);
  sched->after_epoch(1.2);  // two: cut
  EXPECT_DOUBLE_EQ(sched->lr(), 5e-5);
  sched->after_epoch(0.5);
  EXPECT_DOUBLE_EQ(sched->lr(), 5e-5);
  EXPECT_THROW(train::make_schedule({"sometimes"}), std::invalid_argument);
}

TEST(Checkpoint, RestoresWeightsOptimiserAndRandomState) {
  const std::string dir = testing::TempDir() + "/checkpoint-test";
  std::filesystem::create_directories(dir);
  model::BuiltModel m = cnn(5, 3);
  train::StageSetup setup;
  setup.optimizer = "adam";
  std::vector<at::Tensor> params;
  for (const auto& p : m.module.parameters(true)) params.push_back(p);
  train::Optimizer opt(setup, params);
  auto step = [&](model::BuiltModel& model, train::Optimizer& o) {
    const at::Tensor x = torch::rand({4, 1, 128, 128});
    const at::Tensor y = torch::tensor({0, 1, 2, 3});
    const at::Tensor out = model.module.forward({x}).toTensor();
    o.zero_grad();
    at::cross_entropy_loss(out, y).backward();
    o.step();
  };
  step(m, opt);
  train::TrainerState state;
  state.next_epoch = 3;
  state.best_val_loss = 0.25;
  state.history.push_back({{"epoch", 1}});
  train::save_checkpoint(dir + "/last.pt", m.module, opt, state);
  const double next_random = torch::rand({1}).item<double>();
  step(m, opt);  // the run goes on...

  model::BuiltModel restored = cnn(5, 99);
  std::vector<at::Tensor> restored_params;
  for (const auto& p : restored.module.parameters(true)) restored_params.push_back(p);
  train::Optimizer restored_opt(setup, restored_params);
  const auto loaded = train::load_checkpoint(dir + "/last.pt", restored.module, restored_opt);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->next_epoch, 3);
  EXPECT_EQ(loaded->best_val_loss, 0.25);
  EXPECT_EQ(loaded->history.size(), 1u);
  EXPECT_EQ(torch::rand({1}).item<double>(), next_random);  // RNG continues where it was saved
  // One more identical step from the restored state matches the original's second step.
  model::BuiltModel replay = cnn(5, 3);
  std::vector<at::Tensor> replay_params;
  for (const auto& p : replay.module.parameters(true)) replay_params.push_back(p);
  train::Optimizer replay_opt(setup, replay_params);
  ASSERT_TRUE(train::load_checkpoint(dir + "/last.pt", replay.module, replay_opt).has_value());
  torch::manual_seed(7);
  step(replay, replay_opt);
  torch::manual_seed(7);
  step(restored, restored_opt);
  for (auto& [name, t] : train::named_tensors(restored.module))
    EXPECT_TRUE(torch::equal(t, tensor_named(replay.module, name))) << name;
  EXPECT_FALSE(train::load_checkpoint(dir + "/absent.pt", restored.module, restored_opt).has_value());
  model::BuiltModel other = cnn(7, 3);  // another head size: not this checkpoint's model
  std::vector<at::Tensor> other_params;
  for (const auto& p : other.module.parameters(true)) other_params.push_back(p);
  train::Optimizer other_opt(setup, other_params);
  EXPECT_THROW(train::load_checkpoint(dir + "/last.pt", other.module, other_opt), std::runtime_error);
}

TEST(ReferenceSetup, StudyRecipesAndOverrides) {
  train::TrainConfig c;
  c.model = "cnn";
  train::StageSetup macro = train::reference_stage(c, "macro");
  EXPECT_EQ(macro.optimizer, "adam");
  EXPECT_EQ(macro.epochs, 10);
  EXPECT_EQ(macro.patience, 3);
  EXPECT_EQ(train::reference_stage(c, "fine").optimizer, "adamw");
  c.model = "resnet18";
  const train::StageSetup fine = train::reference_stage(c, "fine");
  EXPECT_EQ(fine.optimizer, "adamw");
  EXPECT_DOUBLE_EQ(fine.lr, 5e-5);
  EXPECT_DOUBLE_EQ(fine.weight_decay, 1e-2);
  EXPECT_DOUBLE_EQ(fine.label_smoothing, 0.1);
  EXPECT_EQ(fine.schedule.kind, "plateau");
  EXPECT_EQ(train::reference_stage(c, "macro").epochs, 20);
  c.epochs = 2;
  c.lr = 0.01;
  c.optimizer = "sgd";
  const train::StageSetup overridden = train::reference_stage(c, "fine");
  EXPECT_EQ(overridden.epochs, 2);
  EXPECT_DOUBLE_EQ(overridden.lr, 0.01);
  EXPECT_EQ(overridden.optimizer, "sgd");
  c.scheduler = "weekly";
  EXPECT_THROW(train::reference_stage(c, "fine"), std::invalid_argument);
  train::TrainConfig round = train::TrainConfig::from_json(c.to_json());
  EXPECT_EQ(round.to_json(), c.to_json());
}

}  // namespace

// Two ranks of a real Gloo group, as two threads of this process on loopback.
// Parameters u, a, b, c of 300k floats (1.2 MB: with 1 MiB buckets, one bucket
// each); rank r's loss is sum(a*x_r0 + b*x_r1 + c*x_r2), u unused. After
// finish() every rank must hold the mean of the two ranks' gradients and a
// zero gradient for u. The loss is built c, b, a, so backward delivers a, b,
// c: in the first step the buckets (reverse definition order: c, b, a, u) wait
// for c, the last; from the second, rebuilt in arrival order (a, b, c, u), the
// all-reduces of a and b are under way before c's gradient exists (overlap).
TEST(GradientSync, MeanGradientsAndBucketsRebuiltInArrivalOrderOverlapBackward) {
  train::DistEnv env;
  env.world_size = 2;
  env.master_addr = "127.0.0.1";
  env.master_port = train::free_local_port();
  const int64_t n = 300000;
  auto inputs = [&](int rank) {
    std::vector<at::Tensor> x;
    for (int i = 0; i < 3; ++i) x.push_back(at::arange(n, at::kFloat).mul(0.001 * (i + 1)).add(rank * 10 + i));
    return x;
  };
  std::vector<std::vector<at::Tensor>> grads(2);
  std::vector<std::vector<size_t>> launched_before_c(2);
  std::vector<size_t> buckets(2);
  std::vector<std::string> errors(2);
  auto rank_main = [&](int rank) {
    try {
      train::DistEnv e = env;
      e.rank = rank;
      train::ProcessGroup group(e, std::chrono::seconds(30), false);
      std::vector<at::Tensor> params;  // u, a, b, c
      for (int i = 0; i < 4; ++i) params.push_back(at::zeros({n}, at::kFloat).set_requires_grad(true));
      train::GradientSync* sync_seen = nullptr;
      // Registered before GradientSync's own hook: runs as c's gradient arrives, before it is bucketed.
      params[3].register_hook([&, rank](at::Tensor) { launched_before_c[rank].push_back(sync_seen->launched()); });
      train::GradientSync sync(group, params, 1u << 20);
      sync_seen = &sync;
      buckets[rank] = sync.buckets();
      const std::vector<at::Tensor> x = inputs(rank);
      for (int step = 0; step < 3; ++step) {
        for (auto& p : params) p.mutable_grad() = at::Tensor();
        sync.begin();
        // One statement each (C++ leaves operand order open); backward runs them in reverse.
        const at::Tensor lc = (params[3] * x[2]).sum();
        const at::Tensor lb = (params[2] * x[1]).sum();
        const at::Tensor la = (params[1] * x[0]).sum();
        at::Tensor loss = lc + lb + la;
        loss.backward();
        sync.finish();
      }
      for (auto& p : params) grads[rank].push_back(p.grad().clone());
    } catch (const std::exception& e) {
      errors[rank] = e.what();
    }
  };
  std::thread r1(rank_main, 1);
  rank_main(0);
  r1.join();
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  const std::vector<at::Tensor> x0 = inputs(0), x1 = inputs(1);
  for (int rank = 0; rank < 2; ++rank) {
    EXPECT_EQ(buckets[rank], 4u);
    EXPECT_TRUE(at::equal(grads[rank][0], at::zeros({n}))) << "the unused parameter's gradient";
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(at::allclose(grads[rank][i + 1], (x0[i] + x1[i]) / 2)) << i;
    EXPECT_EQ(launched_before_c[rank], (std::vector<size_t>{0, 2, 2}))
        << "first step: c's bucket comes first and holds the others back; then a's and b's are under way";
  }
}
