#include "fma/conversion.h"

#include "base/atomic_file.h"
#include "base/prng.h"
#include "fma/csv_reader.h"
#include "fma/field_parse.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <stdexcept>

namespace genre::fma {

std::string track_key(int track_id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06d", track_id);
  return buf;
}

int job_of_hash(uint64_t job_hash, int job_count) {
  if (job_count <= 1) return 0;
  return static_cast<int>(splitmix64(job_hash) % static_cast<uint64_t>(job_count));
}

int job_of_track(int track_id, int job_count) { return job_of_hash(static_cast<uint64_t>(track_id), job_count); }

std::vector<WorkItem> select_work(const DatasetPlan& plan, const std::string& audio_dir, int job_index,
                                  int job_count, size_t limit) {
  if (job_count < 1 || job_index < 0 || job_index >= job_count)
    throw std::invalid_argument("shard index " + std::to_string(job_index) + " is not in [0, " +
                                std::to_string(job_count) + ")");
  const auto& tax = plan.taxonomy;
  std::vector<WorkItem> items;
  for (const auto& t : plan.tracks) {  // ascending id
    if (job_of_hash(t.job_hash, job_count) != job_index) continue;
    if (limit && items.size() >= limit) break;
    WorkItem w;
    w.key = t.key;
    w.id = t.id;
    w.rel_path = t.rel_path;
    w.path = audio_dir + "/" + t.rel_path;
    nlohmann::json meta = {{"relative_path", t.rel_path}};
    if (!t.artist.empty()) meta["artist"] = t.artist;
    if (!t.album.empty()) meta["album"] = t.album;
    w.meta = meta.dump();
    w.split = t.split;
    w.fine = tax.fine[static_cast<size_t>(t.fine)].name;
    for (int f : t.fine_all) {
      w.fine_all.push_back(tax.fine[static_cast<size_t>(f)].name);
      w.fine_all_index.push_back(f);
    }
    if (t.macro >= 0) w.macro = tax.macro[static_cast<size_t>(t.macro)].name;
    items.push_back(std::move(w));
  }
  auto rank = [](const std::string& s) { return s == "train" ? 0 : s == "val" ? 1 : 2; };
  std::stable_sort(items.begin(), items.end(),
                   [&](const WorkItem& a, const WorkItem& b) { return rank(a.split) < rank(b.split); });
  return items;
}

std::set<std::string> complete_tracks(const std::vector<PresentSample>& samples) {
  std::set<std::string> present, unsure;
  for (size_t i = 0; i < samples.size(); ++i) {
    const PresentSample& s = samples[i];
    present.insert(s.track);
    const bool shard_tail = i + 1 == samples.size() || samples[i + 1].shard != s.shard;
    if (shard_tail && s.key != s.track) unsure.insert(s.track);
  }
  std::set<std::string> done;
  for (const auto& t : present)
    if (!unsure.count(t)) done.insert(t);
  return done;
}

std::map<std::string, std::string> load_checksums(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open checksum file");
  std::map<std::string, std::string> out;
  std::string line;
  long n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line.size() < 43 || (line[40] != ' ') || (line[41] != ' ' && line[41] != '*'))
      throw std::runtime_error(path + ":" + std::to_string(n) + ": not sha1sum format (\"<sha1>  <file>\")");
    std::string sum = line.substr(0, 40);
    for (char& c : sum) {
      if (!std::isxdigit(static_cast<unsigned char>(c)))
        throw std::runtime_error(path + ":" + std::to_string(n) + ": sha1 is not 40 hex digits");
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string file = line.substr(42);
    if (file.rfind("./", 0) == 0) file = file.substr(2);
    out[file] = sum;
  }
  return out;
}

void write_failures_csv(const std::vector<Failure>& failures, const std::string& path) {
  write_file_atomically_with(path, [&failures](AtomicFileOutput& file) {
    std::ostream& out = file.stream();
    out << "track_id,path,reason,detail\n";
    for (const auto& f : failures)
      out << csv_quote(f.track_id) << ',' << csv_quote(f.path) << ',' << csv_quote(f.reason) << ',' << csv_quote(f.detail) << '\n';
  });
}

bool media_type_may_hold_audio(const std::string& media_type) {
  static const std::set<std::string> kAudioApplication = {
      "application/ogg",   "application/x-ogg",     "application/x-id3",     "application/x-apetag",
      "application/x-3gp", "application/x-annodex", "application/vnd.rn-realmedia", "application/mxf",
      "application/x-ape", "application/x-wavpack"};
  auto starts = [&](const char* prefix) { return media_type.rfind(prefix, 0) == 0; };
  if (media_type.empty() || starts("audio/") || starts("video/")) return true;
  return starts("application/") && kAudioApplication.count(media_type) > 0;
}

bool failure_order(const Failure& a, const Failure& b) {
  auto numeric = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (numeric(a.track_id) && numeric(b.track_id)) {
    auto trim = [](const std::string& s) { return s.substr(std::min(s.find_first_not_of('0'), s.size() - 1)); };
    const std::string x = trim(a.track_id), y = trim(b.track_id);
    return x.size() != y.size() ? x.size() < y.size() : x < y;
  }
  return a.track_id < b.track_id;
}

std::vector<Failure> read_failures_csv(const std::string& path) {
  auto rows = read_csv_file(path);
  std::vector<Failure> out;
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() == 1 && rows[r][0].empty()) continue;
    if (rows[r].size() != 4) throw std::runtime_error(path + " row " + std::to_string(r + 1) + ": expected 4 fields");
    if (rows[r][0].empty()) throw std::runtime_error(path + " row " + std::to_string(r + 1) + ": empty track_id");
    out.push_back({rows[r][0], rows[r][1], rows[r][2], rows[r][3]});
  }
  return out;
}

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

std::string progress_line(size_t done, size_t total, double elapsed_s, double rate, size_t failures) {
  char buf[160];
  const double eta = rate > 0 ? static_cast<double>(total - std::min(done, total)) / rate : -1;
  std::snprintf(buf, sizeof buf, "%zu/%zu tracks  %.2f tracks/s  elapsed %s  ETA %s  failures %zu", done, total, rate,
                format_duration(elapsed_s).c_str(), rate > 0 ? format_duration(eta).c_str() : "?", failures);
  return buf;
}

}  // namespace genre::fma
