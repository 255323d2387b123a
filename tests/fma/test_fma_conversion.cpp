// fma-convert's GStreamer-free logic: job assignment, work order, resume
// decisions, checksum files, failures.csv.
#include "fma/conversion.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace genre::fma;

namespace {
std::filesystem::path temp_file(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("genre-fma-conv-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

DatasetPlan toy_plan(int n) {
  DatasetPlan p;
  p.taxonomy.fine = {{0, "A", 1}, {1, "B, with comma", 2}};
  p.taxonomy.macro = {{0, "M", -1}};
  p.taxonomy.fine_to_macro = {0, -1};
  for (int i = 0; i < n; ++i) {
    TrackPlan t;
    assign_fma_identity(t, 10 + 3 * i);
    t.fine = i % 2;
    t.fine_all = {t.fine, 1 - t.fine};
    t.macro = t.fine == 0 ? 0 : -1;
    t.split = i % 5 == 0 ? "test" : i % 5 == 1 ? "val" : "train";
    p.tracks.push_back(t);
  }
  return p;
}
}  // namespace

TEST(Conversion, JobsPartitionTracksDeterministically) {
  DatasetPlan p = toy_plan(200);
  std::set<int> seen;
  size_t total = 0;
  for (int job = 0; job < 4; ++job) {
    auto items = select_work(p, "/a", job, 4, 0);
    EXPECT_GT(items.size(), 20u);  // roughly balanced
    for (auto& w : items) {
      EXPECT_TRUE(seen.insert(std::stoi(w.id)).second) << "track in two jobs";
      EXPECT_EQ(job_of_track(std::stoi(w.id), 4), job);
    }
    total += items.size();
  }
  EXPECT_EQ(total, 200u);
  EXPECT_EQ(job_of_track(12345, 1), 0);
  EXPECT_THROW(select_work(p, "/a", 4, 4, 0), std::invalid_argument);
}

TEST(Conversion, WorkIsOrderedBySplitThenIdAndLimited) {
  DatasetPlan p = toy_plan(20);
  auto items = select_work(p, "/audio", 0, 1, 0);
  ASSERT_EQ(items.size(), 20u);
  auto rank = [](const std::string& s) { return s == "train" ? 0 : s == "val" ? 1 : 2; };
  for (size_t i = 1; i < items.size(); ++i) {
    ASSERT_LE(rank(items[i - 1].split), rank(items[i].split));
    if (items[i - 1].split == items[i].split) {
      EXPECT_LT(std::stoi(items[i - 1].id), std::stoi(items[i].id));
    }
  }
  EXPECT_EQ(items[0].path, "/audio/000/000016.mp3");  // id 16 is the first train track
  EXPECT_EQ(items[0].key, "000016");
  EXPECT_EQ(items[0].rel_path, "000/000016.mp3");
  const WorkItem* b = nullptr;
  for (auto& w : items)
    if (w.fine == "B, with comma") b = &w;
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->macro, "");
  EXPECT_EQ(b->fine_all_index, (std::vector<int>{1, 0}));
  auto limited = select_work(p, "/audio", 0, 1, 5);
  ASSERT_EQ(limited.size(), 5u);
  std::set<int> ids;
  for (auto& w : limited) ids.insert(std::stoi(w.id));
  EXPECT_EQ(ids, (std::set<int>{10, 13, 16, 19, 22}));  // the first five ids, whatever their split
}

TEST(Conversion, ResumeTreatsWindowsAtShardEndsAsUnsure) {
  std::vector<PresentSample> s = {
      {"000001", "000001", "train-000000.tar"},       // whole clip at a shard end: complete
      {"000002_w0", "000002", "train-000001.tar"},
      {"000002_w1", "000002", "train-000001.tar"},    // windows, all inside the shard: complete
      {"000003_w0", "000003", "train-000001.tar"},    // last of its shard: may continue elsewhere
      {"000004", "000004", "val-000000.tar"},
  };
  EXPECT_EQ(complete_tracks(s), (std::set<std::string>{"000001", "000002", "000004"}));
  EXPECT_TRUE(complete_tracks({}).empty());
}

TEST(Conversion, ChecksumFile) {
  auto path = temp_file("checksums");
  {
    std::ofstream out(path);
    out << "# comment\n"
        << "0123456789ABCDEF0123456789abcdef01234567  000/000002.mp3\n"
        << "89abcdef0123456789abcdef0123456789abcdef *./001/001234.mp3\r\n";
  }
  auto sums = load_checksums(path.string());
  ASSERT_EQ(sums.size(), 2u);
  EXPECT_EQ(sums.at("000/000002.mp3"), "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(sums.at("001/001234.mp3"), "89abcdef0123456789abcdef0123456789abcdef");
  {
    std::ofstream out(path);
    out << "xyz  000/000002.mp3\n";
  }
  EXPECT_THROW(load_checksums(path.string()), std::runtime_error);
  EXPECT_THROW(load_checksums("/nonexistent/checksums"), std::runtime_error);
}

TEST(Conversion, FailuresCsvRoundTrip) {
  auto path = temp_file("failures.csv");
  std::vector<Failure> f = {{"2", "/a/000/000002.mp3", "undecodable", "Could not decode, \"really\"\nsecond line"},
                            {"7", "/a/000/000007.mp3", "missing", "No such file"}};
  write_failures_csv(f, path.string());
  auto back = read_failures_csv(path.string());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].detail, f[0].detail);
  EXPECT_EQ(back[1].reason, "missing");
  EXPECT_EQ(back[1].track_id, "7");
}

TEST(Conversion, FailureOrderIsNumericForFmaIdsAndTextOtherwise) {
  std::vector<Failure> f = {{"10", "", "", ""}, {"9", "", "", ""}, {"rock_b", "", "", ""}, {"blues_a", "", "", ""}};
  std::sort(f.begin(), f.end(), failure_order);
  EXPECT_EQ(f[0].track_id, "9");
  EXPECT_EQ(f[1].track_id, "10");
  EXPECT_EQ(f[2].track_id, "blues_a");
  EXPECT_EQ(f[3].track_id, "rock_b");
}

TEST(Conversion, ProgressLine) {
  EXPECT_EQ(format_duration(59), "59s");
  EXPECT_EQ(format_duration(61), "1m01s");
  EXPECT_EQ(format_duration(7322), "2h02m");
  const std::string line = progress_line(100, 8000, 50, 2.0, 3);
  EXPECT_NE(line.find("100/8000 tracks"), std::string::npos);
  EXPECT_NE(line.find("2.00 tracks/s"), std::string::npos);
  EXPECT_NE(line.find("ETA 1h05m"), std::string::npos);
  EXPECT_NE(line.find("failures 3"), std::string::npos);
  EXPECT_EQ(track_key(2), "000002");
}

// Typefind's type of a file that failed to decode: only one that cannot hold audio
// makes the failure not-audio (an audio type that fails is undecodable: missing plug-in, corrupt).
TEST(Conversion, MediaTypesThatMayHoldAudio) {
  for (const char* t : {"audio/mpeg", "audio/x-wav", "audio/x-flac", "application/ogg", "application/x-id3",
                        "application/x-apetag", "video/quicktime", "video/x-matroska", "video/webm", ""})
    EXPECT_TRUE(genre::fma::media_type_may_hold_audio(t)) << t;
  for (const char* t : {"text/html", "text/plain", "image/png", "image/jpeg", "application/x-gzip", "application/zip",
                        "application/pdf", "application/x-executable"})
    EXPECT_FALSE(genre::fma::media_type_may_hold_audio(t)) << t;
}
