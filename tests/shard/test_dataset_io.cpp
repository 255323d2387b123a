// DatasetWriter / DatasetReader: round trip, rollover, dedupe, resume after
// kill -9, concurrent writers (threads and processes), disk full, and every
// kind of damaged dataset the reader must reject with a clear error.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "shard/dataset_reader.h"
#include "shard/file_io.h"
#include "shard/float16.h"
#include "shard/shard_error.h"
#include "shard/tar_format.h"
#include "shard_test_util.h"

using namespace genre::shard;
using namespace genre::shard::test;
namespace fs = std::filesystem;

using genre::shard::test::expect_shard_error;

namespace {

const std::vector<std::uint64_t> kShape{1, 4, 6};

ClassLists test_classes() {
  ClassLists c;
  c.macro = {{0, "Rock", -1, -1}, {1, "Electronic", 15, -1}};
  c.fine = {{0, "Punk", 25, 0}, {1, "Indie-Rock", 66, 0}, {2, "Techno", 182, 1}};
  return c;
}

WriterOptions options(const std::string& dir, std::uint64_t max_samples = 1000) {
  WriterOptions o;
  o.dir = dir;
  o.max_samples = max_samples;
  o.classes = test_classes();
  return o;
}

std::string key_of(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06d_w%d", i / 3, i % 3);
  return buf;
}

void write_samples(DatasetWriter& w, int from, int to) {
  for (int i = from; i < to; ++i) put_sample(w, key_of(i), kShape, i % 3, (i % 3) / 2, static_cast<std::uint32_t>(i));
}

// Every sample of the reader's split, checked against the deterministic data.
std::set<std::string> check_all_samples(const DatasetReader& r, const std::string& split) {
  std::set<std::string> keys;
  std::vector<float> out(r.element_count());
  for (std::size_t i = 0; i < r.size(split); ++i) {
    const SampleView v = r.sample(split, i);
    const std::string key(v.key);
    EXPECT_TRUE(keys.insert(key).second) << "duplicate " << key;
    const int track = std::stoi(key.substr(0, 6));
    const int index = track * 3 + std::stoi(key.substr(8));
    EXPECT_EQ(v.fine, index % 3);
    EXPECT_EQ(v.macro, (index % 3) / 2);
    r.read_float32(split, i, out.data());
    const std::vector<float> want = sample_data(out.size(), static_cast<std::uint32_t>(index));
    for (std::size_t j = 0; j < out.size(); ++j) EXPECT_EQ(out[j], half_to_float(float_to_half(want[j]))) << key;
  }
  return keys;
}

}  // namespace

TEST(Dataset, RoundTripWithLabelsJsonAndManifest) {
  TempDir tmp;
  {
    DatasetWriter w(options(tmp.path()));
    write_samples(w, 0, 10);
    w.close();
    EXPECT_EQ(w.stats().samples_committed, 10u);
  }
  EXPECT_EQ(shard_files(tmp.path()), std::vector<std::string>{"train-000000.tar"});
  DatasetReader r(tmp.path(), ReaderOptions{true});
  EXPECT_EQ(r.splits(), std::vector<std::string>{"train"});
  EXPECT_EQ(r.size("train"), 10u);
  EXPECT_EQ(r.shape(), kShape);
  EXPECT_EQ(r.dtype(), Dtype::kFloat16);
  EXPECT_EQ(check_all_samples(r, "train").size(), 10u);
  const SampleView v = r.sample("train", 4);
  const auto meta = nlohmann::json::parse(v.json);
  EXPECT_EQ(meta["key"], "000001_w1");
  EXPECT_EQ(meta["track_id"], "000001");
  EXPECT_EQ(meta["fine_name"], "Indie-Rock");
  EXPECT_EQ(meta["macro_name"], "Rock");
  EXPECT_EQ(meta["split"], "train");
  const auto m = r.manifest();
  const auto splits = m.splits();
  EXPECT_EQ(splits.at("train").samples, 10u);
  EXPECT_EQ(splits.at("train").fine_counts, (ClassCounts{{0, 4}, {1, 3}, {2, 3}}));
  EXPECT_EQ(splits.at("train").macro_counts, (ClassCounts{{0, 7}, {1, 3}}));
  EXPECT_EQ(m.classes, test_classes());
  EXPECT_THROW(r.sample("train", 10), ShardError);
  EXPECT_THROW(r.sample("val", 0), ShardError);

  // Deterministic bytes: the same samples give the same shard.
  TempDir again;
  {
    DatasetWriter w(options(again.path()));
    write_samples(w, 0, 10);
  }
  EXPECT_EQ(read_bytes(tmp.sub("train-000000.tar")), read_bytes(again.sub("train-000000.tar")));
}

TEST(Dataset, RolloverByCountAndBytes) {
  TempDir tmp;
  {
    DatasetWriter w(options(tmp.path(), 3));
    write_samples(w, 0, 10);
  }
  ASSERT_EQ(shard_files(tmp.path()).size(), 4u);
  DatasetReader r(tmp.path());
  std::vector<std::uint64_t> counts;
  for (const auto& s : r.manifest().shards) counts.push_back(s.samples);
  EXPECT_EQ(counts, (std::vector<std::uint64_t>{3, 3, 3, 1}));

  TempDir bytes;
  std::uint64_t sample_bytes = 0;
  {
    TempDir one;
    {
      DatasetWriter w(options(one.path()));
      write_samples(w, 0, 1);
    }
    sample_bytes = fs::file_size(one.sub("train-000000.tar")) - 1024;  // minus the end blocks
  }
  WriterOptions o = options(bytes.path(), 0);
  o.max_bytes = 2 * sample_bytes + 1024 + 512;  // two samples fit, three do not
  {
    DatasetWriter w(o);
    write_samples(w, 0, 7);
  }
  DatasetReader rb(bytes.path());
  ASSERT_EQ(rb.manifest().shards.size(), 4u);
  for (const auto& s : rb.manifest().shards) {
    EXPECT_LE(s.bytes, o.max_bytes);
    EXPECT_EQ(fs::file_size(bytes.sub(s.name)), s.bytes);
  }
  EXPECT_EQ(rb.manifest().shards[0].samples, 2u);
  EXPECT_EQ(rb.size("train"), 7u);
}

TEST(Dataset, DuplicateKeysAreSkippedAndStagedClipsCanBeDiscarded) {
  TempDir tmp;
  {
    DatasetWriter w(options(tmp.path()));
    write_samples(w, 0, 5);
    EXPECT_EQ(put_sample(w, key_of(2), kShape, 2, 1, 2), DatasetWriter::StageResult::kDuplicate);
  }
  DatasetWriter w(options(tmp.path()));
  EXPECT_EQ(w.durable_keys().size(), 5u);
  EXPECT_TRUE(w.has_key(key_of(4)));
  write_samples(w, 0, 8);  // resume-style rerun: only 5..7 are new
  EXPECT_EQ(w.stats().duplicates_skipped, 5u);
  EXPECT_EQ(w.stats().samples_committed, 3u);
  const std::vector<float> data = sample_data(24, 99);
  SampleInput in;
  in.key = "999999";
  in.shape = kShape;
  in.data = data.data();
  in.fine = 0;
  EXPECT_EQ(w.stage(in), DatasetWriter::StageResult::kStaged);
  w.discard_staged();
  w.close();
  DatasetReader r(tmp.path());
  EXPECT_EQ(r.size("train"), 8u);
  EXPECT_EQ(check_all_samples(r, "train").count("999999"), 0u);
}

TEST(Dataset, IncompatibleWritesAreRefused) {
  TempDir tmp;
  {
    DatasetWriter w(options(tmp.path()));
    write_samples(w, 0, 2);
  }
  DatasetWriter w(options(tmp.path()));
  EXPECT_NE(w.shape_problem({1, 4, 7}).find("holds samples of shape [1,4,6]"), std::string::npos);
  std::vector<float> data(28, 0.f);
  SampleInput in;
  in.key = "x";
  in.shape = {1, 4, 7};
  in.data = data.data();
  in.fine = 0;
  expect_shard_error([&] { w.stage(in); }, "one dataset holds one sample shape");
  in.shape = kShape;
  in.fine = 3;
  expect_shard_error([&] { w.stage(in); }, "fine class 3 is not in the taxonomy");
  in.fine = 0;
  in.key = "a.b";
  expect_shard_error([&] { w.stage(in); }, "free of dots");
  WriterOptions f32 = options(tmp.path());
  f32.dtype = Dtype::kFloat32;
  expect_shard_error([&] { DatasetWriter x(f32); }, "holds float16 samples");
  WriterOptions other = options(tmp.path());
  other.classes->fine[1].name = "Post-Punk";
  expect_shard_error([&] { DatasetWriter x(other); }, "different taxonomy");
  WriterOptions badsplit = options(tmp.path());
  badsplit.split = "Train/x";
  expect_shard_error([&] { DatasetWriter x(badsplit); }, "split name");
}

TEST(Dataset, SplitsGoToTheirOwnShards) {
  TempDir tmp;
  {
    DatasetWriter w(options(tmp.path()));
    write_samples(w, 0, 3);
    w.set_split("val");
    write_samples(w, 3, 5);
    w.set_split("test");
    write_samples(w, 5, 6);
  }
  EXPECT_EQ(shard_files(tmp.path()),
            (std::vector<std::string>{"test-000000.tar", "train-000000.tar", "val-000000.tar"}));
  DatasetReader r(tmp.path());
  EXPECT_EQ(r.size("train"), 3u);
  EXPECT_EQ(r.size("val"), 2u);
  EXPECT_EQ(r.size("test"), 1u);
  EXPECT_EQ(nlohmann::json::parse(r.sample("val", 1).json)["split"], "val");
}

TEST(Dataset, DiskFullLeavesFinalizedShardsValid) {
  TempDir tmp;
  DatasetWriter w(options(tmp.path(), 4));
  write_samples(w, 0, 4);  // one finalized shard
  set_enospc_after_bytes(5000);
  try {
    write_samples(w, 4, 12);
    ADD_FAILURE() << "expected ENOSPC";
  } catch (const ShardError& e) {
    EXPECT_EQ(e.error_number(), ENOSPC);
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
  }
  set_enospc_after_bytes(-1);
  EXPECT_TRUE(shard_files(tmp.path(), ".partial").empty());  // the torn shard is gone
  {
    DatasetReader r(tmp.path(), ReaderOptions{true});
    EXPECT_EQ(r.size("train"), 4u);
  }
  write_samples(w, 4, 12);  // space is back: the lost samples are written again
  w.close();
  DatasetReader r(tmp.path(), ReaderOptions{true});
  EXPECT_EQ(check_all_samples(r, "train").size(), 12u);
}

TEST(Dataset, UnwritableLocationIsAClearError) {
  TempDir tmp;
  write_bytes(tmp.sub("file"), "x", 1);
  expect_shard_error([&] { DatasetWriter w(options(tmp.sub("file/ds"))); }, "cannot create dataset directory");
  if (geteuid() != 0) {  // root ignores directory permissions
    fs::create_directory(tmp.sub("ro"));
    ::chmod(tmp.sub("ro").c_str(), 0555);
    expect_shard_error([&] { DatasetWriter w(options(tmp.sub("ro"))); }, "not writable");
  }
}

TEST(Dataset, ConcurrentThreadsKeepNumbersAndCountsExact) {
  TempDir tmp;
  constexpr int kThreads = 4, kPerThread = 23;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      DatasetWriter w(options(tmp.path(), 5));
      write_samples(w, t * kPerThread, (t + 1) * kPerThread);
    });
  for (auto& th : threads) th.join();
  DatasetReader r(tmp.path(), ReaderOptions{true});
  EXPECT_EQ(check_all_samples(r, "train").size(), std::size_t(kThreads * kPerThread));
  EXPECT_EQ(r.manifest().shards.size(), std::size_t(kThreads * 5));  // 23 = 5+5+5+5+3 each
  ClassCounts want;
  for (int i = 0; i < kThreads * kPerThread; ++i) want[i % 3] += 1;
  EXPECT_EQ(r.manifest().splits().at("train").fine_counts, want);
}

TEST(Dataset, ConcurrentProcessesKeepNumbersAndCountsExact) {
  TempDir tmp;
  constexpr int kProcs = 3, kPer = 17;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        DatasetWriter w(options(tmp.path(), 4));
        write_samples(w, p * kPer, (p + 1) * kPer);
        w.close();
      } catch (...) {
        _exit(1);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  DatasetReader r(tmp.path(), ReaderOptions{true});
  EXPECT_EQ(check_all_samples(r, "train").size(), std::size_t(kProcs * kPer));
  EXPECT_EQ(r.manifest().shards.size(), std::size_t(kProcs * 5));  // 17 = 4+4+4+4+1
}

TEST(Dataset, KillDashNineThenResumeGivesExactlyTheFullDataset) {
  TempDir tmp;
  constexpr int kTotal = 400;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      DatasetWriter w(options(tmp.path(), 7));
      for (int i = 0;; i = (i + 1) % kTotal) write_samples(w, i, i + 1);  // never finishes
    } catch (...) {
      _exit(1);
    }
  }
  // Kill once a few shards are final and a partial one is being written.
  for (int i = 0; i < 2000 && shard_files(tmp.path()).size() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  const std::size_t finalized = shard_files(tmp.path()).size();
  ASSERT_GE(finalized, 3u);
  const auto present = list_dataset_keys(tmp.path());
  EXPECT_EQ(present.size() % 7, 0u);  // only whole shards survive
  EXPECT_EQ(present.front().track_id, "000000");
  {
    DatasetReader r(tmp.path(), ReaderOptions{true});  // no torn shard is visible
  }
  // A shard renamed but not yet in the manifest (crash between the two steps).
  Manifest m = Manifest::load_required(tmp.path());
  const std::string lost = m.shards.back().name;
  m.shards.pop_back();
  m.save(tmp.path());

  DatasetWriter w(options(tmp.path(), 7));
  // At least the one dropped above; the killed writer may have died between rename and manifest too.
  EXPECT_GE(w.stats().shards_recovered, 1u);
  EXPECT_LE(w.stats().stale_partials_removed, 1u);
  EXPECT_TRUE(shard_files(tmp.path(), ".partial").empty());
  write_samples(w, 0, kTotal);  // rerun everything
  w.close();
  EXPECT_EQ(w.stats().samples_committed + present.size(), std::size_t(kTotal));
  DatasetReader r(tmp.path(), ReaderOptions{true});
  EXPECT_NE(r.manifest().find_shard(lost), nullptr);
  EXPECT_EQ(check_all_samples(r, "train").size(), std::size_t(kTotal));
  EXPECT_EQ(r.manifest().splits().at("train").samples, std::uint64_t(kTotal));
}

// Item 10 of issue 17: a finalized shard is one manifest.journal line, not a
// rewrite of manifest.json; readers see manifest.json + journal, close() folds
// the journal in, and a line torn by a dying writer is neither fatal nor lost.
TEST(Dataset, StaleManifestTemporariesAreRemovedOnOpen) {
  TempDir tmp;
  {
    DatasetWriter w(options(tmp.path(), 4));
    write_samples(w, 0, 4);
    w.close();
  }
  // A writer killed inside lib/base's atomic write leaves "manifest.json.XXXXXX.partial";
  // older versions left "manifest.json.tmp.PID". Other files are not the writer's to remove.
  write_bytes(tmp.sub("manifest.json.Ab12Cd.partial"), "{", 1);
  write_bytes(tmp.sub("manifest.json.tmp.4242"), "{", 1);
  write_bytes(tmp.sub("notes.partial"), "keep", 4);
  { DatasetWriter w(options(tmp.path(), 4)); }
  EXPECT_FALSE(fs::exists(tmp.sub("manifest.json.Ab12Cd.partial")));
  EXPECT_FALSE(fs::exists(tmp.sub("manifest.json.tmp.4242")));
  EXPECT_TRUE(fs::exists(tmp.sub("notes.partial")));
  DatasetReader r(tmp.path());
  EXPECT_EQ(r.size("train"), 4u);
}

TEST(Dataset, ManifestJournalKeepsEveryShard) {
  TempDir tmp;
  const std::string journal = tmp.sub("manifest.journal");
  {
    DatasetWriter w(options(tmp.path(), 1));
    write_samples(w, 0, 12);
    struct stat st {};
    ASSERT_EQ(::stat(journal.c_str(), &st), 0) << "shards after the first go to the journal";
    EXPECT_LT(Manifest::from_json(nlohmann::json::parse(read_bytes(tmp.sub("manifest.json"))), "m").shards.size(),
              12u);
    DatasetReader r(tmp.path(), ReaderOptions{true});
    EXPECT_EQ(r.size("train"), 12u);
    // A writer dies half-way through a journal line (its shard file exists).
    std::ofstream(journal, std::ios::app) << "{\"shard\": {\"name\": \"train-0000";
    DatasetReader torn(tmp.path());
    EXPECT_EQ(torn.size("train"), 12u);
    write_samples(w, 12, 14);  // the next append replaces the torn tail
    EXPECT_EQ(DatasetReader(tmp.path()).size("train"), 14u);
    w.close();
  }
  struct stat st {};
  EXPECT_NE(::stat(journal.c_str(), &st), 0) << "close() folds the journal into manifest.json";
  const Manifest m = Manifest::from_json(nlohmann::json::parse(read_bytes(tmp.sub("manifest.json"))), "m");
  EXPECT_EQ(m.shards.size(), 14u);
  // A complete but malformed line is damage: reported, not skipped.
  std::ofstream(journal, std::ios::app) << "not json\n";
  expect_shard_error([&] { DatasetReader r(tmp.path()); }, "manifest.journal line at byte 0: not a");
}

// --- the reader against damaged datasets -------------------------------------------------

class DamagedDataset : public ::testing::Test {
 protected:
  void SetUp() override {
    DatasetWriter w(options(tmp.path(), 4));
    write_samples(w, 0, 6);
    w.close();
    shard = tmp.sub("train-000000.tar");
    manifest = nlohmann::json::parse(read_bytes(tmp.sub("manifest.json")));
  }
  void save_manifest() { write_bytes(tmp.sub("manifest.json"), manifest.dump().data(), manifest.dump().size()); }
  void rewrite_shard(const std::string& bytes, bool fix_manifest) {
    ::unlink(shard.c_str());
    write_bytes(shard, bytes.data(), bytes.size());
    if (fix_manifest) {
      manifest["shards"][0]["bytes"] = bytes.size();
      save_manifest();
    }
  }
  void expect_open_error(const std::string& needle, bool verify = false) {
    expect_shard_error([&] { DatasetReader r(tmp.path(), ReaderOptions{verify}); }, needle);
  }
  TempDir tmp;
  std::string shard;
  nlohmann::json manifest;
};

TEST_F(DamagedDataset, TruncatedShard) {
  const std::string bytes = read_bytes(shard);
  rewrite_shard(bytes.substr(0, 3000), false);
  expect_open_error("is 3000 bytes but the manifest says");
  rewrite_shard(bytes.substr(0, 3000), true);
  expect_open_error("train-000000.tar");
}

TEST_F(DamagedDataset, ChecksumMismatch) {
  std::string bytes = read_bytes(shard);
  bytes[512 + 200] ^= 0x40;  // inside the first tensor's data
  rewrite_shard(bytes, false);
  DatasetReader lenient(tmp.path());  // structure is fine without verification
  expect_open_error("fails its sha256 check", true);
}

TEST_F(DamagedDataset, LyingSizeField) {
  std::string bytes = read_bytes(shard);
  auto h = make_ustar_header("000000_w0.npy", 1u << 30);
  std::memcpy(&bytes[0], h.data(), h.size());
  rewrite_shard(bytes, true);
  expect_open_error("lying size field");
}

TEST_F(DamagedDataset, UnknownDtypeInNpyHeader) {
  std::string bytes = read_bytes(shard);
  const std::size_t pos = bytes.find("'<f2'");
  ASSERT_NE(pos, std::string::npos);
  bytes.replace(pos, 5, "'<i2'");
  rewrite_shard(bytes, true);
  expect_open_error("sample '000000_w0' .npy: unsupported .npy dtype '<i2'");
}

TEST_F(DamagedDataset, BadNpyHeader) {
  std::string bytes = read_bytes(shard);
  bytes[512 + 20] = '#';  // inside the header dict
  rewrite_shard(bytes, true);
  expect_open_error("malformed .npy header");
}

TEST_F(DamagedDataset, ShapeDisagreesWithManifest) {
  manifest["sample_shape"] = {1, 6, 4};
  save_manifest();
  expect_open_error("shape that disagrees with the manifest");
}

TEST_F(DamagedDataset, CountsDisagreeWithManifest) {
  manifest["shards"][0]["samples"] = 5;
  save_manifest();
  expect_open_error("holds 4 samples but the manifest says 5");
  manifest["shards"][0]["samples"] = 4;
  manifest["shards"][0]["fine_counts"]["0"] = 3;
  save_manifest();
  expect_open_error("per-class counts disagree");
}

TEST_F(DamagedDataset, LabelOutsideTheClassList) {
  manifest["classes"]["fine"].erase(2);
  for (auto& e : manifest["shards"]) e["fine_counts"].erase("2");  // the manifest alone is consistent
  save_manifest();
  expect_open_error("fine class 2 is outside the manifest's 2 classes");
}

// Item 11 of issue 17: indices and sizes out of range are refused when the
// manifest is read, before anything is allocated from them.
TEST_F(DamagedDataset, ManifestIndicesAndSizesOutOfRange) {
  const nlohmann::json good = manifest;
  manifest["classes"]["fine"][0]["macro"] = 1000000;
  save_manifest();
  expect_open_error("fine class 'Punk' maps to macro class 1000000, but there are 2 macro classes");
  manifest = good;
  manifest["shards"][0]["fine_counts"]["0"] = 1000000;
  save_manifest();
  expect_open_error("counts 1000000 samples of fine class 0 but holds 4");
  manifest = good;
  manifest["shards"][0]["macro_counts"]["1000000"] = 1;
  save_manifest();
  expect_open_error("counts macro class 1000000, but there are 2 macro classes");
  manifest = good;
  manifest["shards"][0]["samples"] = 1000000;
  save_manifest();
  expect_open_error("cannot hold 1000000 samples in");
  manifest = good;
  manifest["classes"] = nullptr;
  manifest["shards"][0]["fine_counts"] = {{"1000000", 1}};
  save_manifest();
  expect_open_error("counts fine class 1000000, beyond the 65536 classes a dataset may have");
}

// Items 7 and 11: a zero or absurd sample dimension is a one-line error at open.
TEST_F(DamagedDataset, SampleShapeZeroOrAbsurd) {
  manifest["sample_shape"] = {0, 4, 6};
  save_manifest();
  expect_open_error("sample_shape has a zero dimension");
  manifest["sample_shape"] = {100000, 100000, 100000};
  save_manifest();
  expect_open_error("sample_shape is implausibly large");
  manifest["sample_shape"] = std::vector<int>(9, 1);
  save_manifest();
  expect_open_error("sample_shape has 9 dimensions");
}

// Item 8: a FIFO or a device in place of manifest.json or a shard is refused
// at once (no blocking open, no endless read), and the manifest's size is capped.
TEST_F(DamagedDataset, ManifestOrShardNotARegularFile) {
  const std::string mpath = tmp.sub("manifest.json");
  const std::string saved = read_bytes(mpath);
  ASSERT_EQ(::unlink(mpath.c_str()), 0);
  ASSERT_EQ(::mkfifo(mpath.c_str(), 0644), 0);
  expect_open_error("manifest.json is not a regular file");
  ASSERT_EQ(::unlink(mpath.c_str()), 0);
  ASSERT_EQ(::symlink("/dev/zero", mpath.c_str()), 0);
  expect_open_error("manifest.json is not a regular file");
  ASSERT_EQ(::unlink(mpath.c_str()), 0);
  {  // sparse: costs no disk
    std::ofstream f(mpath, std::ios::binary);
  }
  ASSERT_EQ(::truncate(mpath.c_str(), static_cast<off_t>((1ull << 30) + 1)), 0);
  expect_open_error("more than the 1073741824 this reader accepts");
  ASSERT_EQ(::unlink(mpath.c_str()), 0);
  write_bytes(mpath, saved.data(), saved.size());
  ASSERT_EQ(::unlink(shard.c_str()), 0);
  ASSERT_EQ(::mkfifo(shard.c_str(), 0644), 0);
  expect_open_error("shard " + shard + " is not a regular file");
  // The writer's recovery scans shards too.
  expect_shard_error([&] { DatasetWriter w(options(tmp.path(), 4)); }, "is not a regular file");
}

TEST_F(DamagedDataset, ManifestProblems) {
  manifest["shards"][0]["name"] = "../../etc/passwd";
  save_manifest();
  expect_open_error("not a plain file name");
  manifest["shards"][0]["name"] = "train-000009.tar";
  save_manifest();
  expect_open_error("cannot open shard");
  manifest["version"] = 99;
  save_manifest();
  expect_open_error("version 99 is not supported");
  write_bytes(tmp.sub("manifest.json"), "{\"format\": ", 11);
  expect_open_error("invalid JSON");
  ::unlink(tmp.sub("manifest.json").c_str());
  expect_open_error("manifest.json");
}
