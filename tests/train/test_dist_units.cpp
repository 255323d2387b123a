// Distributed training without LibTorch in the test: the launch variables
// (torchrun's and Slurm's), the loader's rank shards (a DistributedSampler:
// disjoint, covering, the 1-process batch split across ranks with the same
// per-sample augmentation), and the local launcher's free port.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

#include "base/unique_fd.h"
#include "loader/batch_loader.h"
#include "loader_test_util.h"
#include "train/dist_env.h"
#include "train/local_launcher.h"

using namespace genre;
using namespace genre::loader;
using namespace genre::loader::test;
using genre::train::DistEnv;
using genre::train::dist_env_from;

namespace {

DistEnv parse(const std::map<std::string, std::string>& vars) {
  return dist_env_from([&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

class ShardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_tracks(tmp_.path(), plain_tracks(30), {1, 8, 12});
    reader_ = std::make_unique<shard::DatasetReader>(tmp_.path());
    table_ = std::make_unique<SampleTable>(*reader_);
    samples_ = table_->select({"train"});
  }

  std::vector<Batch> epoch(LoaderOptions o, std::int64_t epoch_index) const {
    o.epoch = epoch_index;
    BatchLoader loader(*reader_, samples_, o);
    std::vector<Batch> out;
    while (auto b = loader.next()) out.push_back(std::move(*b));
    return out;
  }

  shard::test::TempDir tmp_;
  std::unique_ptr<shard::DatasetReader> reader_;
  std::unique_ptr<SampleTable> table_;
  std::vector<const SampleInfo*> samples_;  // 30 samples
};

LoaderOptions shuffled(std::int64_t batch, std::int64_t rank, std::int64_t ranks) {
  LoaderOptions o;
  o.batch_size = batch;
  o.shuffle = true;
  o.seed = 7;
  o.workers = 1;
  o.shard_rank = rank;
  o.shard_count = ranks;
  o.augment.time_masks = 1;  // per-sample randomness that must follow the sample, not the rank
  o.augment.time_mask_max = 4;
  o.augment.hflip = true;
  return o;
}

}  // namespace

TEST(DistEnv, TorchrunVariables) {
  const DistEnv e = parse({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "node7"},
                           {"MASTER_PORT", "29500"}});
  EXPECT_TRUE(e.distributed());
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.master_addr, "node7");
  EXPECT_EQ(e.master_port, 29500);
}

TEST(DistEnv, SlurmVariablesStandInAndTorchrunsWin) {
  const DistEnv s = parse({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"}, {"MASTER_ADDR", "n1"},
                           {"MASTER_PORT", "1234"}});
  EXPECT_EQ(s.rank, 5);
  EXPECT_EQ(s.world_size, 8);
  EXPECT_EQ(s.local_rank, 1);
  const DistEnv both = parse({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"RANK", "0"}, {"WORLD_SIZE", "2"},
                              {"MASTER_ADDR", "n1"}, {"MASTER_PORT", "1234"}});
  EXPECT_EQ(both.rank, 0);
  EXPECT_EQ(both.world_size, 2);
}

TEST(DistEnv, NoVariablesOrWorldOneIsASingleProcess) {
  EXPECT_FALSE(parse({}).distributed());
  const DistEnv one = parse({{"WORLD_SIZE", "1"}, {"RANK", "0"}});
  EXPECT_FALSE(one.distributed());
  EXPECT_EQ(one.rank, 0);
}

TEST(DistEnv, InconsistentVariablesAreOneLineErrors) {
  auto message = [](const std::map<std::string, std::string>& vars) {
    try {
      parse(vars);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::map<std::string, std::string> ok{{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}};
  auto without = [&](const std::string& key) {
    auto v = ok;
    v.erase(key);
    return v;
  };
  auto with = [&](const std::string& key, const std::string& value) {
    auto v = ok;
    v[key] = value;
    return v;
  };
  EXPECT_NE(message(without("RANK")).find("RANK is not set"), std::string::npos);
  EXPECT_NE(message(without("MASTER_ADDR")).find("MASTER_ADDR"), std::string::npos);
  EXPECT_NE(message(without("MASTER_PORT")).find("MASTER_PORT"), std::string::npos);
  EXPECT_NE(message(with("RANK", "2")).find("outside WORLD_SIZE 2"), std::string::npos);
  EXPECT_NE(message(with("WORLD_SIZE", "two")).find("WORLD_SIZE='two'"), std::string::npos);
  EXPECT_NE(message(with("MASTER_PORT", "70000")).find("MASTER_PORT"), std::string::npos);
  for (const std::string& m : {message(without("RANK")), message(with("RANK", "2"))})
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

TEST_F(ShardTest, RankShardsAreDisjointCoverTheEpochAndChangeEachEpoch) {
  for (std::int64_t ranks : {2, 3, 4}) {
    std::vector<std::vector<std::int64_t>> epoch_positions;
    for (std::int64_t e = 0; e < 2; ++e) {
      std::multiset<std::int64_t> all;
      std::vector<std::int64_t> first_rank;
      for (std::int64_t r = 0; r < ranks; ++r) {
        BatchLoader loader(*reader_, samples_, [&] { auto o = shuffled(2, r, ranks); o.epoch = e; return o; }());
        EXPECT_EQ(loader.samples(), (30 + ranks - 1) / ranks) << ranks;
        all.insert(loader.order().begin(), loader.order().end());
        if (r == 0) first_rank = loader.order();
      }
      // 30 samples: every position once, plus (padding) the first ones of the order again.
      const std::int64_t padded = (30 + ranks - 1) / ranks * ranks;
      EXPECT_EQ(static_cast<std::int64_t>(all.size()), padded);
      for (std::int64_t p = 0; p < 30; ++p) EXPECT_GE(all.count(p), 1u) << p;
      std::int64_t repeats = 0;
      for (std::int64_t p = 0; p < 30; ++p) repeats += static_cast<std::int64_t>(all.count(p)) - 1;
      EXPECT_EQ(repeats, padded - 30);
      epoch_positions.push_back(first_rank);
    }
    EXPECT_NE(epoch_positions[0], epoch_positions[1]) << "the shards must be reshuffled every epoch";
  }
}

TEST_F(ShardTest, UnionOfTheRanksBatchesIsTheSingleProcessBatchWithTheSameAugmentation) {
  // 30 samples, global batch 6 over 2 and 3 ranks: no padding, so each step's
  // rank batches together are exactly the 1-process batch, sample for sample.
  for (std::int64_t ranks : {2, 3}) {
    for (std::int64_t e : {0, 3}) {
      const std::vector<Batch> whole = epoch(shuffled(6, 0, 1), e);
      std::vector<std::vector<Batch>> parts;
      for (std::int64_t r = 0; r < ranks; ++r) parts.push_back(epoch(shuffled(6 / ranks, r, ranks), e));
      ASSERT_EQ(whole.size(), 5u);
      const std::size_t image = whole[0].images.size() / 6;
      for (std::size_t s = 0; s < whole.size(); ++s) {
        std::map<std::int64_t, const float*> expected;
        for (std::size_t i = 0; i < 6; ++i) expected[whole[s].positions[i]] = whole[s].images.data() + i * image;
        std::set<std::int64_t> seen;
        for (std::int64_t r = 0; r < ranks; ++r) {
          const Batch& b = parts[static_cast<std::size_t>(r)].at(s);
          ASSERT_EQ(b.size, 6 / ranks);
          for (std::size_t i = 0; i < static_cast<std::size_t>(b.size); ++i) {
            const std::int64_t pos = b.positions[i];
            ASSERT_TRUE(expected.count(pos)) << "rank " << r << " step " << s << " has a sample of another step";
            EXPECT_TRUE(seen.insert(pos).second) << "two ranks took sample " << pos;
            EXPECT_EQ(std::memcmp(b.images.data() + i * image, expected[pos], image * sizeof(float)), 0)
                << "sample " << pos << " augmented differently on rank " << r;
          }
        }
        EXPECT_EQ(seen.size(), 6u);
      }
    }
  }
}

TEST_F(ShardTest, BadShardOptionsAreRejected) {
  LoaderOptions o = shuffled(2, 2, 2);
  EXPECT_THROW(BatchLoader(*reader_, samples_, o), std::invalid_argument);
  o.shard_rank = -1;
  EXPECT_THROW(BatchLoader(*reader_, samples_, o), std::invalid_argument);
  o.shard_rank = 0;
  o.shard_count = 0;
  EXPECT_THROW(BatchLoader(*reader_, samples_, o), std::invalid_argument);
}

TEST(LocalLauncher, FreePortCanBeListenedOnAndDiffersFromOneInUse) {
  const int port = genre::train::free_local_port();
  ASSERT_GT(port, 0);
  ASSERT_LT(port, 65536);
  const genre::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(fd.get(), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << "port " << port << " is not free";
  EXPECT_EQ(::listen(fd.get(), 1), 0);
  EXPECT_NE(genre::train::free_local_port(), port);  // held now: the kernel picks another
}
