// fma-convert: turns an FMA download (audio tree + fma_metadata) into
// train/val/test WebDataset shards with the project's elements, in parallel
// worker threads each owning one reused GStreamer pipeline. Resumable, and
// splittable over cluster jobs that share one dataset directory.
#include "fma-convert-worker.h"
#include "base/atomic_file.h"
#include "base/errno_text.h"
#include "fma/conversion.h"
#include "fma/dataset_plan.h"
#include "fma/folder_plan.h"
#include "fma/genre_map.h"
#include "fma/macro_map.h"
#include "shard/dataset_writer.h"
#include "shard/manifest.h"
#include "command_line.h"
#include "text/terminal_text.h"

#include <gst/gst.h>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <sys/resource.h>
#include <thread>

namespace fs = std::filesystem;
using namespace genre::fma;
using nlohmann::json;

namespace {

constexpr int kExitInterrupted = 130;

struct Options {
  std::string audio, metadata, out;
  std::string folders, label_csv, genre_map = "auto";
  std::string split_group;  // "": none for FMA, artist for --folders with a --label-csv group column
  std::string subset = "small";
  int workers = 0;
  std::string middle = fma_convert::kDefaultMiddle;
  bool resume = false;
  int shard_index = 0, shard_count = 1;
  bool shard_count_given = false;
  size_t limit = 0;
  double min_duration = 0;
  std::string checksums;
  std::string split = "stratified";
  uint64_t seed = 42;
  std::string labels = "single";
  std::string macro;  // "": annex for FMA, top-level for --folders
  bool macro_given = false;
  int fine_min_tracks = 1;
  std::string fine_count = "primary";
  std::string sink_properties;
  double track_timeout = 300;
  bool merge = false;
  bool dry_run = false;
  fma_convert::DecodeOnly decode_only = fma_convert::DecodeOnly::kOff;
  double progress_interval = -1;  // <0: 0.5 s on a terminal, 10 s otherwise
};

// Unsigned options: CLI11 would wrap "-1" around to a huge count.
const CLI::Validator kNotNegative(
    [](const std::string& v) { return v.find('-') == std::string::npos ? std::string() : "must not be negative"; },
    "", "NOT NEGATIVE");

void add_flags(CLI::App& app, Options& o) {
  const char* const sel = "Selection and labels";
  app.add_option("--audio", o.audio, "FMA audio directory (DIR/NNN/NNNNNN.mp3)")->group("Input and output");
  app.add_option("--metadata", o.metadata, "fma_metadata directory (tracks.csv, genres.csv)")->group("Input and output");
  app.add_option("--out", o.out, "Dataset directory: <split>-NNNNNN.tar shards, manifest.json, taxonomy.json, "
                 "failures.csv, summary.json")->group("Input and output");
  const char* const folders = "Genre-labelled folders (instead of --audio/--metadata)";
  app.add_option("--folders", o.folders, "Root of a genre-labelled tree (ROOT/<genre>/.../file, e.g. GTZAN's "
                 "genres_original): every regular file below a genre folder is converted (hidden files and "
                 "folders and an --out inside ROOT skipped; files that do not decode go to failures.csv); the "
                 "label is the first folder under ROOT. --subset, --fine-min-tracks, --fine-count apply to FMA only")->group(folders);
  app.add_option("--label-csv", o.label_csv, "Labels from a CSV instead of folder names: rows path,genre[,group] "
                 "(path relative to --folders, optional header path,genre,...; group = the artist or any id "
                 "whose tracks must stay in one split); only the listed files are converted")->group(folders);
  app.add_option("--genre-map", o.genre_map, "label -> FMA genre CSV (label,fma_genre_id) giving the labels FMA "
                 "genres and so macrogenres (--macro). auto: the shipped GTZAN map when every label is a GTZAN "
                 "genre, else none; none: fine labels only (no macrogenres: the standard regime trains on it)")
      ->capture_default_str()->group(folders);
  app.add_option("--subset", o.subset, "FMA subset to convert")
      ->capture_default_str()->check(CLI::IsMember({"small", "medium", "large", "full"}))->group(sel);
  app.add_option("--split", o.split, "stratified: 80/10/10 per fine class; official: FMA's set/split")
      ->capture_default_str()->check(CLI::IsMember({"stratified", "official"}))->group(sel);
  app.add_option("--split-group", o.split_group, "Group-disjoint stratified split: none, artist or album (FMA's "
                 "artist/album ids; --folders: artist = the --label-csv group column). Default: none for FMA "
                 "(the reference split), artist for --folders with a group column, else none")
      ->check(CLI::IsMember({"none", "artist", "album"}))->group(sel);
  app.add_option("--seed", o.seed, "Stratified split seed")->capture_default_str()->check(kNotNegative)->group(sel);
  app.add_option("--labels", o.labels, "single: one fine label; multi: all of the track's genres")
      ->capture_default_str()->check(CLI::IsMember({"single", "multi"}))->group(sel);
  app.add_option("--macro", o.macro, "Macrogenres: annex (built-in 12-group table), top-level (FMA's 16 roots) "
                 "or a CSV FILE (macrogenre,fma_genre_id[,fine_class]: a row without an id names a label). Default: annex for FMA, top-level for --folders (it gives all ten GTZAN genres "
                 "a macrogenre; the annex has no Blues, Disco or Reggae)")->group(sel);
  app.add_option("--fine-min-tracks", o.fine_min_tracks, "Fine classes = genres with at least N tracks in the subset")
      ->capture_default_str()->group(sel);
  app.add_option("--fine-count", o.fine_count, "primary: count a track for its first genre; any: for every listed genre")
      ->capture_default_str()->check(CLI::IsMember({"primary", "any"}))->group(sel);
  app.add_option("--limit", o.limit, "Convert only the first K tracks (by id) of this job (0 = all)")
      ->check(kNotNegative)->group(sel);

  const char* const proc = "Processing";
  app.add_option("--workers", o.workers, "Parallel pipelines (default: number of cores)")->group(proc);
  app.add_option("--pipeline", o.middle, "Middle part between decodebin and datasetsink")
      ->capture_default_str()->group(proc);
  app.add_option("--sink-properties", o.sink_properties, "Extra datasetsink properties, \"k=v ...\" "
                 "(e.g. \"dtype=float32 max-samples=500\")")->group(proc);
  app.add_option("--min-duration", o.min_duration, "Fail clips that decode to less than S seconds (0 = off)")
      ->capture_default_str()->group(proc);
  app.add_option("--checksums", o.checksums, "sha1sum-format list (paths relative to --audio); mismatches fail")
      ->group(proc);
  app.add_option("--track-timeout", o.track_timeout, "Fail a track that has not finished after S seconds")
      ->capture_default_str()->group(proc);
  app.add_flag("--resume", o.resume, "Skip tracks already complete in --out's finalized shards")->group(proc);
  app.add_flag("--dry-run", o.dry_run, "Print the plan (classes, splits, outside-taxonomy report) and exit")->group(proc);
  app.add_option("--progress-interval", o.progress_interval, "Seconds between progress lines on stderr "
                 "(default: 0.5 on a terminal, 10 otherwise)")->group(proc);
  auto* decode_only = app.add_flag_callback("--decode-only", [&o] { o.decode_only = fma_convert::DecodeOnly::kMelspecPcm; },
      "Benchmark baseline: decode to the PCM melspec gets (mono F32 at 22050 Hz) into fakesink, same workers "
      "and tracks, only the summary")->group(proc);
  auto* passthrough = app.add_flag_callback("--decode-only-passthrough",
      [&o] { o.decode_only = fma_convert::DecodeOnly::kPassthrough; },
      "Baseline: decodebin ! audioconvert ! audioresample ! fakesink taken literally (fakesink accepts "
      "anything: no downmix, no resampling)")->group(proc);
  auto* fakesink = app.add_flag_callback("--fakesink", [&o] { o.decode_only = fma_convert::DecodeOnly::kNoSink; },
      "Baseline: the whole conversion pipeline into fakesink instead of datasetsink (the sink's share of the "
      "conversion)")->group(proc);
  decode_only->excludes(passthrough)->excludes(fakesink);
  passthrough->excludes(fakesink);

  const char* const cluster = "Cluster";
  app.add_option("--shard-index", o.shard_index, "This job converts the tracks with splitmix64(id) % N == I; all "
                 "jobs write into the same --out (safe for concurrent writers)")->capture_default_str()->group(cluster);
  app.add_option("--shard-count", o.shard_count, "N, the number of jobs (required with --merge)")
      ->capture_default_str()->group(cluster);
  app.add_flag("--merge", o.merge, "After all jobs: register shards, combine failures and summaries, check every "
               "planned track is converted or failed")->group(cluster);
}

// Checks CLI11 cannot express; std::invalid_argument is a usage error.
void check_options(Options& o) {
  if (o.out.empty()) throw std::invalid_argument("--out DIR is required");
  if (o.merge && !o.shard_count_given)
    throw std::invalid_argument("--merge needs --shard-count N, the number of jobs to combine (so that a missing "
                                "job is reported, not merged over)");
  const bool folder_mode = !o.folders.empty();
  if (!o.merge && folder_mode && (!o.audio.empty() || !o.metadata.empty()))
    throw std::invalid_argument("--folders replaces --audio and --metadata: give one or the other");
  if (!o.merge && !folder_mode && (o.audio.empty() || o.metadata.empty()))
    throw std::invalid_argument("--audio and --metadata (an FMA download) or --folders ROOT are required");
  if (!folder_mode && (!o.label_csv.empty() || o.genre_map != "auto"))
    throw std::invalid_argument("--label-csv and --genre-map apply to --folders only");
  if (folder_mode && o.split == "official") throw std::invalid_argument("--split official needs FMA metadata");
  if (folder_mode && o.labels == "multi") throw std::invalid_argument("--labels multi needs FMA metadata");
  if (folder_mode && o.split_group == "album")
    throw std::invalid_argument("--folders has one group column (--label-csv's third, the artist): use --split-group artist");
  if (o.split == "official" && !o.split_group.empty() && o.split_group != "none")
    throw std::invalid_argument("--split-group applies to --split stratified only");
  o.macro_given = !o.macro.empty();
  if (o.macro.empty()) o.macro = folder_mode ? "top-level" : "annex";
  if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count)
    throw std::invalid_argument("--shard-index must be in [0, --shard-count)");
  if (o.workers < 0) throw std::invalid_argument("--workers must be positive");
  if (o.fine_min_tracks < 1) throw std::invalid_argument("--fine-min-tracks must be at least 1");
  if (o.min_duration < 0 || o.track_timeout <= 0) throw std::invalid_argument("durations must be positive");
  if (o.workers == 0) o.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  parse_subset(o.subset);
  parse_split_policy(o.split);
  parse_label_policy(o.labels);
  parse_fine_count(o.fine_count);
}

std::string job_suffix(const Options& o) {
  if (o.shard_count == 1) return "";
  return "-" + std::to_string(o.shard_index) + "-of-" + std::to_string(o.shard_count);
}

DatasetPlan make_fma_plan(const Options& o) {
  const fs::path meta(o.metadata);
  GenreTable genres = GenreTable::load((meta / "genres.csv").string());
  std::vector<Track> tracks = load_tracks_csv((meta / "tracks.csv").string());
  const MacroMap macros = select_macro_map(o.macro, genres);
  PlanOptions po;
  po.subset = parse_subset(o.subset);
  po.fine_min_tracks = o.fine_min_tracks;
  po.fine_count = parse_fine_count(o.fine_count);
  po.labels = parse_label_policy(o.labels);
  po.split = parse_split_policy(o.split);
  po.split_group = parse_split_group(o.split_group.empty() ? "none" : o.split_group);
  po.seed = o.seed;
  return build_plan(tracks, genres, macros, po);
}

// --folders: labels from the tree or --label-csv, FMA genres from --genre-map,
// macrogenres from --macro against the built-in FMA genre table.
DatasetPlan make_folder_plan(const Options& o, json& info) {
  bool has_group = false;
  std::vector<LabelledFile> files;
  std::vector<std::string> unlabelled;
  if (!o.label_csv.empty()) {
    files = load_label_csv(o.label_csv, &has_group);
  } else {
    files = scan_label_folders(o.folders, {o.out}, &unlabelled);
  }
  const GenreTable genres = GenreTable::builtin();
  std::set<std::string> labels;
  for (const auto& f : files) labels.insert(f.label);
  std::optional<GenreMap> map;
  if (o.genre_map == "auto") {
    if (labels_are_gtzan(labels, genres)) map = gtzan_genre_map(genres);
  } else if (o.genre_map != "none") {
    map = load_genre_map(o.genre_map, genres);
  }
  // Without FMA genres only a FILE can group the labels, by its fine_class column.
  const bool by_name = o.macro != "annex" && o.macro != "top-level";
  if (!map && o.macro_given && !by_name)
    throw std::runtime_error("--macro needs the labels' FMA genres for " + o.macro + ": these labels are not GTZAN's, "
                             "give a --genre-map FILE (label,fma_genre_id) or a --macro FILE naming the labels "
                             "(fine_class)");
  std::optional<MacroMap> macros;
  if (map || (o.macro_given && by_name)) macros = select_macro_map(o.macro, genres);
  FolderPlanOptions fo;
  fo.seed = o.seed;
  fo.split_group = parse_split_group(o.split_group.empty() ? (has_group ? "artist" : "none") : o.split_group);
  if (fo.split_group != SplitGroup::None && !has_group)
    throw std::runtime_error("--split-group artist needs a --label-csv with a group column (path,genre,group)");
  info = {{"root", o.folders},
          {"labels_from", o.label_csv.empty() ? "folders" : o.label_csv},
          {"genre_map", map ? json(map->source) : json(nullptr)},
          {"macro", macros ? json(macros->source) : json(nullptr)},
          {"files_outside_label_folders", unlabelled}};
  return build_folder_plan(files, map ? &*map : nullptr, macros ? &*macros : nullptr, fo);
}

DatasetPlan make_plan(const Options& o, json& info) {
  if (!o.folders.empty()) return make_folder_plan(o, info);
  info = json::object();
  return make_fma_plan(o);
}

json plan_report_json(const DatasetPlan& p) {
  const auto& r = p.report;
  json outside_by_genre = json::object();
  for (auto& [g, n] : r.outside_by_genre) outside_by_genre[std::to_string(g)] = n;
  json no_macro = json::object();
  for (auto& [g, n] : r.no_macro_by_genre) no_macro[std::to_string(g)] = n;
  return {{"tracks_in_metadata", r.tracks_in_metadata}, {"tracks_in_subset", r.tracks_in_subset},
          {"labelled", r.labelled}, {"outside_taxonomy", r.outside_taxonomy},
          {"outside_without_genre", r.no_genre}, {"outside_by_first_genre", outside_by_genre},
          {"outside_track_ids", r.outside_track_ids}, {"without_official_split", r.no_split},
          {"without_official_split_ids", r.no_split_track_ids}, {"labelled_via_ancestor", r.via_ancestor},
          {"without_macro", r.no_macro}, {"without_macro_by_fine_genre", no_macro},
          {"fine_classes", p.taxonomy.fine.size()}, {"macro_classes", p.taxonomy.macro.size()},
          {"source", p.source}, {"split_group", split_group_name(p.split_group)}};
}

// Writes taxonomy.json, or checks that the one already there is the same.
void write_taxonomy(const DatasetPlan& plan, const std::string& path) {
  const std::string text = plan.taxonomy.to_json_string();
  if (fs::exists(path)) {
    std::ifstream in(path);
    std::string old((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (old != text)
      throw std::runtime_error(path + " was written with another taxonomy (different --subset, --macro, "
                               "--fine-min-tracks or metadata); use a new --out directory");
    return;
  }
  plan.taxonomy.save_json(path);
}

json manifest_counts(const std::string& out, const genre::taxonomy::Taxonomy& tax) {
  json j = json::object();
  genre::shard::Manifest m = genre::shard::Manifest::load(out);
  for (const auto& [split, s] : m.splits()) {
    json fine = json::object(), macro = json::object();
    for (auto& [i, n] : s.fine_counts)
      fine[i >= 0 && i < static_cast<int>(tax.fine.size()) ? tax.fine[static_cast<size_t>(i)].name : std::to_string(i)] = n;
    for (auto& [i, n] : s.macro_counts)
      macro[i >= 0 && i < static_cast<int>(tax.macro.size()) ? tax.macro[static_cast<size_t>(i)].name : std::to_string(i)] = n;
    j[split] = {{"samples", s.samples}, {"shards", s.shards}, {"fine", fine}, {"macro", macro}};
  }
  return j;
}

// Anonymous (heap, stacks) resident memory from /proc/self/status, 0 where unavailable;
// peak RSS also counts the file-backed pages of the libraries and plugins.
long anon_rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("RssAnon:", 0) == 0) return std::atol(line.c_str() + 8);
  return 0;
}

long peak_rss_kb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

void write_json(const std::string& path, const json& j) { genre::write_file_atomically(path, j.dump(2) + "\n"); }

// A read-only or forbidden --out is found before any track is converted
// (root ignores permissions: only a read-only filesystem stops it).
void check_output_dir(const std::string& out) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw std::runtime_error("cannot create --out " + out + ": " + ec.message());
  const std::string probe = (fs::path(out) / (".write-test." + std::to_string(::getpid()))).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) throw std::runtime_error("cannot write in --out " + out + ": " + genre::errno_text(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

std::atomic<int> g_interrupts{0};
extern "C" void on_signal(int) {
  if (++g_interrupts >= 2) std::_Exit(kExitInterrupted);  // second Ctrl-C: stop now, --resume redoes the rest
}

int run_merge(const Options& o) {
  const fs::path out(o.out);
  const std::string tax_path = (out / "taxonomy.json").string();
  genre::taxonomy::Taxonomy tax = genre::taxonomy::Taxonomy::load_json(tax_path);
  {  // Opening a writer registers finalized shards missing from the manifest and drops dead partials.
    genre::shard::WriterOptions wo;
    wo.dir = o.out;
    genre::shard::DatasetWriter w(wo);
    w.close();
  }
  std::vector<Failure> failures;
  std::set<std::string> failed_ids;
  json jobs = json::array();
  size_t planned = 0;
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("failures-", 0) == 0 && e.path().extension() == ".csv")
      for (auto& f : read_failures_csv(e.path().string())) failures.push_back(f);
    if (name.rfind("summary-", 0) == 0 && e.path().extension() == ".json") {
      std::ifstream in(e.path());
      json s = json::parse(in);
      planned += s.value("planned", 0);
      jobs.push_back({{"file", name}, {"planned", s.value("planned", 0)}, {"failed", s.value("failed", 0)}});
    }
  }
  std::sort(failures.begin(), failures.end(), failure_order);
  for (auto& f : failures) failed_ids.insert(f.track_id);
  write_failures_csv(failures, (out / "failures.csv").string());
  std::set<std::string> tracks_present;
  for (const auto& k : genre::shard::list_dataset_keys(o.out)) tracks_present.insert(k.track_id);
  json summary = {{"merged_jobs", jobs}, {"planned", planned}, {"tracks_in_dataset", tracks_present.size()},
                  {"failed", failures.size()}, {"dataset", manifest_counts(o.out, tax)}};
  std::map<std::string, size_t> by_reason;
  for (auto& f : failures) ++by_reason[f.reason];
  summary["failures_by_reason"] = by_reason;
  const size_t accounted = tracks_present.size() + failed_ids.size();
  summary["missing"] = planned > accounted ? planned - accounted : 0;
  write_json((out / "summary.json").string(), summary);
  std::printf("%s\n", summary.dump(2).c_str());
  if (o.shard_count > 1 && jobs.size() != static_cast<size_t>(o.shard_count)) {
    std::fprintf(stderr, "fma-convert --merge: %zu job summaries found, expected %d\n", jobs.size(), o.shard_count);
    return kExitIncomplete;
  }
  if (planned > accounted) {
    std::fprintf(stderr, "fma-convert --merge: %zu planned tracks are neither in the dataset nor in failures.csv "
                 "(rerun the jobs with --resume)\n", planned - accounted);
    return kExitIncomplete;
  }
  return failures.empty() ? kExitOk : kExitTrackFailures;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Converts FMA audio (DIR/NNN/NNNNNN.mp3) labelled by fma_metadata/{tracks.csv,genres.csv}, or a "
               "genre-labelled folder tree (GTZAN, your Music/<Genre>/...), into train/val/test shards in --out "
               "(datasetsink format: <split>-NNNNNN.tar + manifest.json).\n"
               "  fma-convert --audio DIR --metadata DIR --out DIR [options]\n"
               "  fma-convert --folders ROOT [--label-csv FILE] [--genre-map auto|none|FILE] --out DIR [options]\n"
               "  fma-convert --merge --out DIR --shard-count N",
               "fma-convert"};
  add_flags(app, o);
  app.footer("Output: --out/taxonomy.json, shards + manifest.json, failures.csv (track_id,path,reason,detail) and "
             "summary.json (per job: failures-I-of-N.csv, summary-I-of-N.json). The summary is also printed.\n"
             "Exit status: 0 all tracks converted; 1 finished but some tracks failed (see failures.csv); 2 usage "
             "error; 3 fatal error (metadata, a malformed --label-csv or --genre-map, labels missing from the genre map, two "
             "files with one sample key, elements, output); 4 --merge found tracks neither converted nor "
             "failed; 130 interrupted (rerun with --resume).\n"
             "--folders: sample keys are the relative path without extension, characters other than letters, "
             "digits, '-' and '_' made '_' (rock/a.b.wav -> rock_a_b); each sample's .json holds relative_path "
             "(and artist/album where known; FMA: tracks.csv's artist/id and album/id).");
  if (const int status = genre::tools::parse_command_line(app, argc, argv, [&] {
        o.shard_count_given = app.count("--shard-count") > 0;
        check_options(o);
      }); status >= 0)
    return status;
  gst_init(nullptr, nullptr);  // flags are ours: GStreamer's own (--gst-*) are not taken
  // A file size limit (ulimit -f) is reported like a full disk (write() fails
  // with EFBIG), not a signal that kills the process in the middle of a shard.
  std::signal(SIGXFSZ, SIG_IGN);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    if (o.merge) return run_merge(o);

    json source_info;
    DatasetPlan plan = make_plan(o, source_info);
    if (plan.tracks.empty()) throw std::runtime_error("no track of the subset has a label: nothing to convert");
    json report_json = plan_report_json(plan);
    if (!source_info.empty()) report_json["folders"] = source_info;
    // Small datasets: say now what the splits lack, not when training fails.
    const std::vector<std::string> split_warnings = genre::fma::split_coverage_warnings(plan);
    for (const std::string& w : split_warnings) std::fprintf(stderr, "fma-convert: warning: %s\n", genre::text::escape_controls(w).c_str());
    report_json["split_warnings"] = split_warnings;
    if (o.dry_run) {
      json j = report_json;
      j["taxonomy"] = json::parse(plan.taxonomy.to_json_string());
      json splits = json::object();
      for (auto& t : plan.tracks) splits[t.split] = splits.value(t.split, 0) + 1;
      j["splits"] = splits;
      std::printf("%s\n", j.dump(2).c_str());
      return kExitOk;
    }
    std::map<std::string, std::string> checksums;
    if (!o.checksums.empty()) checksums = load_checksums(o.checksums);

    check_output_dir(o.out);
    const std::string tax_path = (fs::path(o.out) / "taxonomy.json").string();
    write_taxonomy(plan, tax_path);

    std::vector<WorkItem> items =
        select_work(plan, o.folders.empty() ? o.audio : o.folders, o.shard_index, o.shard_count, o.limit);
    RunCounts counts;
    counts.planned = items.size();
    if (o.resume) {
      std::vector<PresentSample> keys;
      for (const auto& k : genre::shard::list_dataset_keys(o.out)) keys.push_back({k.key, k.track_id, k.shard});
      const std::set<std::string> done = complete_tracks(keys);
      std::vector<WorkItem> rest;
      for (auto& w : items)
        if (!done.count(w.key)) rest.push_back(std::move(w));
      counts.skipped_done = items.size() - rest.size();
      items = std::move(rest);
    }

    fma_convert::WorkerConfig wc;
    wc.out_dir = o.out;
    wc.taxonomy_path = tax_path;
    wc.middle = o.middle;
    wc.sink_properties = o.sink_properties;
    wc.audio_dir = o.folders.empty() ? o.audio : o.folders;
    wc.min_duration_s = o.min_duration;
    wc.track_timeout_s = o.track_timeout;
    wc.multi_label = o.labels == "multi";
    wc.decode_only = o.decode_only;
    wc.checksums = o.checksums.empty() ? nullptr : &checksums;

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    const int n_workers = std::max(1, std::min<int>(o.workers, static_cast<int>(std::max<size_t>(1, items.size()))));
    std::atomic<size_t> next{0}, done{0}, failed{0};
    std::uint64_t duplicates_skipped = 0;  // under mu
    std::mutex mu;
    std::vector<Failure> failures;
    std::string fatal;
    std::atomic<bool> stop{false};
    // Each worker reuses one pipeline for all its tracks. The queue is ordered
    // by split, so a worker's sink finalizes a shard at most twice for a change
    // of split, and once more when the pipeline goes to NULL.
    auto worker = [&] {
      std::unique_ptr<fma_convert::ConvertWorker> w;
      try {
        w = std::make_unique<fma_convert::ConvertWorker>(wc);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu);
        if (fatal.empty()) fatal = e.what();
        stop = true;
        return;
      }
      for (size_t i; !stop && g_interrupts == 0 && (i = next++) < items.size();) {
        const WorkItem& item = items[i];
        fma_convert::TrackResult r = w->convert(item);
        std::lock_guard<std::mutex> lock(mu);
        duplicates_skipped += r.duplicates_skipped;
        if (r.outcome == fma_convert::Outcome::kConverted && r.duplicates_skipped > 0 && !o.resume)
          r = {fma_convert::Outcome::kFailed, "duplicate-key",
               std::to_string(r.duplicates_skipped) + " sample(s) not written: key '" + item.key +
                   "' is already in --out (written from another file or an earlier conversion)",
               r.duplicates_skipped};
        if (r.outcome == fma_convert::Outcome::kConverted) {
          ++counts.converted;
          ++counts.converted_by_split[item.split];
          ++counts.converted_by_split_class[item.split][item.fine];
        } else if (r.outcome == fma_convert::Outcome::kFailed) {
          failures.push_back({item.id, item.path, r.reason, r.detail});
          ++failed;
        } else {
          if (fatal.empty()) fatal = "track " + item.id + ": " + r.detail;
          stop = true;
        }
        ++done;
      }
      const std::string err = w->finish();  // NULL: the sink finalizes its last shard
      if (!err.empty()) {
        std::lock_guard<std::mutex> lock(mu);
        if (fatal.empty()) fatal = "closing the dataset: " + err;
        stop = true;
      }
    };

    // Progress: rewritten in place on a terminal, plain lines otherwise.
    const bool tty = ::isatty(STDERR_FILENO);
    const double interval = o.progress_interval > 0 ? o.progress_interval : tty ? 0.5 : 10.0;
    std::mutex pmu;
    std::condition_variable pcv;
    bool finished = false;
    auto report = [&](bool final_line) {
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double rate = el > 0 ? static_cast<double>(done) / el : 0;
      std::string line = progress_line(done, items.size(), el, rate, failed);
      if (tty) std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
      else std::fprintf(stderr, "fma-convert: %s\n", line.c_str());
      std::fflush(stderr);
    };
    std::atomic<long> peak_anon{anon_rss_kb()};
    std::thread progress([&] {
      std::unique_lock<std::mutex> lock(pmu);
      auto last = std::chrono::steady_clock::now();
      while (!pcv.wait_for(lock, std::chrono::milliseconds(200), [&] { return finished; })) {
        peak_anon = std::max<long>(peak_anon, anon_rss_kb());
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - last).count() >= interval) {
          report(false);
          last = std::chrono::steady_clock::now();
        }
      }
    });
    std::fprintf(stderr, "fma-convert: %zu track%s to convert (%zu already complete), %d worker%s, %zu fine / %zu macro classes, %zu outside the taxonomy\n",
                 items.size(), items.size() == 1 ? "" : "s", counts.skipped_done, n_workers, n_workers == 1 ? "" : "s",
                 plan.taxonomy.fine.size(), plan.taxonomy.macro.size(),
                 plan.report.outside_taxonomy);
    std::vector<std::thread> pool;
    for (int i = 0; i < n_workers; ++i) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    {
      std::lock_guard<std::mutex> lock(pmu);
      finished = true;
    }
    pcv.notify_all();
    progress.join();
    report(true);

    std::sort(failures.begin(), failures.end(), failure_order);
    const std::string suffix = job_suffix(o);
    // The reports go to the same disk: when it is full or read-only, the
    // error that stopped the conversion is still the one printed.
    std::string report_error;
    try {
      write_failures_csv(failures, (fs::path(o.out) / ("failures" + suffix + ".csv")).string());
    } catch (const std::exception& e) {
      report_error = e.what();
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::map<std::string, size_t> by_reason;
    for (auto& f : failures) ++by_reason[f.reason];
    json summary = {{"job", {{"shard_index", o.shard_index}, {"shard_count", o.shard_count}}},
                    {"planned", counts.planned},
                    {"already_complete", counts.skipped_done},
                    {"converted", counts.converted},
                    {"failed", failures.size()},
                    {"duplicates_skipped", duplicates_skipped},
                    {"not_attempted", items.size() - done},
                    {"failures_by_reason", by_reason},
                    {"converted_by_split", counts.converted_by_split},
                    {"converted_by_split_class", counts.converted_by_split_class},
                    {"dataset", manifest_counts(o.out, plan.taxonomy)},
                    {"metadata", report_json},
                    {"source", plan.source},
                    {"split_group", split_group_name(plan.split_group)},
                    {"workers", n_workers},
                    {"wall_time_s", wall},
                    {"tracks_per_s", wall > 0 ? static_cast<double>(done) / wall : 0.0},
                    {"peak_rss_kb", peak_rss_kb()},
                    {"peak_anon_rss_kb", std::max<long>(peak_anon, anon_rss_kb())},
                    {"interrupted", g_interrupts > 0}};
    if (!fatal.empty()) summary["fatal"] = fatal;
    if (report_error.empty()) {
      try {
        write_json((fs::path(o.out) / ("summary" + suffix + ".json")).string(), summary);
      } catch (const std::exception& e) {
        report_error = e.what();
      }
    }
    std::printf("%s\n", summary.dump(2).c_str());
    if (!fatal.empty()) {
      std::fprintf(stderr, "fma-convert: %s\n", genre::text::escape_controls(fatal).c_str());
      return kExitFatal;
    }
    if (!report_error.empty()) {
      std::fprintf(stderr, "fma-convert: %s\n", genre::text::escape_controls(report_error).c_str());
      return kExitFatal;
    }
    if (g_interrupts > 0) {
      std::fprintf(stderr, "fma-convert: interrupted; rerun the same command with --resume to finish\n");
      return kExitInterrupted;
    }
    if (!failures.empty()) {
      std::fprintf(stderr, "fma-convert: %zu track%s failed, listed in %s\n", failures.size(),
                   failures.size() == 1 ? "" : "s",
                   genre::text::escape_controls((fs::path(o.out) / ("failures" + suffix + ".csv")).string()).c_str());
      return kExitTrackFailures;
    }
    return kExitOk;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fma-convert: %s\n", genre::text::escape_controls(e.what()).c_str());
    return kExitFatal;
  }
}
