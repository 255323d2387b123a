#include "shard/manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/file_sync.h"
#include "shard/file_io.h"
#include "shard/shard_error.h"

namespace genre::shard {
namespace {

using nlohmann::json;

json counts_to_json(const ClassCounts& c) {
  json j = json::object();
  for (const auto& [index, n] : c) j[std::to_string(index)] = n;
  return j;
}

ClassCounts counts_from_json(const json& j, const std::string& origin) {
  if (!j.is_object()) throw ShardError(origin + ": class counts must be an object");
  ClassCounts c;
  for (const auto& [key, value] : j.items()) {
    std::size_t used = 0;
    int index = 0;
    try {
      index = std::stoi(key, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != key.size() || index < 0 || !value.is_number_unsigned())
      throw ShardError(origin + ": bad class count entry '" + key + "'");
    c[index] = value.get<std::uint64_t>();
  }
  return c;
}

// Typed field access that never converts out of range (a float into an
// integer field is an error, not undefined behaviour).
const json& field(const json& j, const char* key, const std::string& origin) {
  if (!j.contains(key)) throw ShardError(origin + ": missing field '" + key + "'");
  return j.at(key);
}

std::string get_string(const json& j, const char* key, const std::string& origin) {
  const json& v = field(j, key, origin);
  if (!v.is_string()) throw ShardError(origin + ": field '" + key + "' is not a string");
  return v.get<std::string>();
}

std::uint64_t get_uint(const json& j, const char* key, const std::string& origin) {
  const json& v = field(j, key, origin);
  if (!v.is_number_unsigned()) throw ShardError(origin + ": field '" + key + "' is not a non-negative integer");
  return v.get<std::uint64_t>();
}

std::vector<std::uint64_t> get_uint_list(const json& j, const char* key, const std::string& origin) {
  const json& v = field(j, key, origin);
  if (!v.is_array()) throw ShardError(origin + ": field '" + key + "' is not a list");
  std::vector<std::uint64_t> out;
  for (const json& e : v) {
    if (!e.is_number_unsigned()) throw ShardError(origin + ": field '" + key + "' holds a non-integer");
    out.push_back(e.get<std::uint64_t>());
  }
  return out;
}

json class_to_json(const ClassEntry& c, bool fine) {
  json j = {{"index", c.index}, {"name", c.name}, {"fma_genre_id", c.fma_genre_id}};
  if (fine) j["macro"] = c.macro;
  return j;
}

std::vector<ClassEntry> class_list_from_json(const json& j, bool fine, const std::string& origin) {
  if (!j.is_array()) throw ShardError(origin + ": class list must be an array");
  std::vector<ClassEntry> out;
  for (const json& e : j) {
    if (!e.is_object() || !e.contains("index") || !e.contains("name") || !e["index"].is_number_integer() ||
        !e["name"].is_string())
      throw ShardError(origin + ": class entry without integer 'index' and string 'name'");
    ClassEntry c;
    c.index = e["index"].get<int>();
    c.name = e["name"].get<std::string>();
    if (e.contains("fma_genre_id") && e["fma_genre_id"].is_number_integer()) c.fma_genre_id = e["fma_genre_id"].get<int>();
    if (fine && e.contains("macro") && e["macro"].is_number_integer()) c.macro = e["macro"].get<int>();
    if (c.index != static_cast<int>(out.size()))
      throw ShardError(origin + ": class indices must be 0, 1, 2, ... in order (class '" + c.name + "')");
    if (out.size() >= kMaxClasses)
      throw ShardError(origin + ": more than " + std::to_string(kMaxClasses) + " classes");
    out.push_back(std::move(c));
  }
  return out;
}

ClassLists class_lists_from_json(const json& j, const std::string& origin) {
  ClassLists classes;
  classes.fine = class_list_from_json(j["fine"], true, origin);
  classes.macro = class_list_from_json(j["macro"], false, origin);
  for (const ClassEntry& c : classes.fine)
    if (c.macro < -1 || c.macro >= static_cast<int>(classes.macro.size()))
      throw ShardError(origin + ": fine class '" + c.name + "' maps to macro class " + std::to_string(c.macro) +
                       ", but there are " + std::to_string(classes.macro.size()) + " macro classes");
  return classes;
}

json shard_to_json(const ShardEntry& s) {
  return {{"name", s.name},
          {"split", s.split},
          {"samples", s.samples},
          {"bytes", s.bytes},
          {"sha256", s.sha256},
          {"fine_counts", counts_to_json(s.fine_counts)},
          {"macro_counts", counts_to_json(s.macro_counts)}};
}

// Each sample is at least four tar headers (.npy, .cls, .macro.cls, .json).
constexpr std::uint64_t kMinSampleBytes = 4 * 512;

void check_counts(const ClassCounts& counts, const char* level, int n_classes, const ShardEntry& e,
                  const std::string& origin) {
  for (const auto& [index, n] : counts) {
    if (n_classes >= 0 ? index >= n_classes : index >= static_cast<int>(kMaxClasses))
      throw ShardError(origin + ": shard " + e.name + " counts " + level + " class " + std::to_string(index) +
                       (n_classes >= 0 ? ", but there are " + std::to_string(n_classes) + " " + level + " classes"
                                       : ", beyond the " + std::to_string(kMaxClasses) + " classes a dataset may have"));
    if (n > e.samples)
      throw ShardError(origin + ": shard " + e.name + " counts " + std::to_string(n) + " samples of " + level +
                       " class " + std::to_string(index) + " but holds " + std::to_string(e.samples));
  }
}

ShardEntry shard_from_json(const json& s, const Manifest& m, const std::string& origin) {
  if (!s.is_object()) throw ShardError(origin + ": shard entry is not an object");
  ShardEntry e;
  e.name = get_string(s, "name", origin);
  if (e.name.empty() || e.name.find('/') != std::string::npos || e.name[0] == '.')
    throw ShardError(origin + ": shard name '" + e.name + "' is not a plain file name");
  e.split = get_string(s, "split", origin);
  e.samples = get_uint(s, "samples", origin);
  e.bytes = get_uint(s, "bytes", origin);
  e.sha256 = get_string(s, "sha256", origin);
  e.fine_counts = counts_from_json(s.value("fine_counts", json::object()), origin + " shard " + e.name);
  e.macro_counts = counts_from_json(s.value("macro_counts", json::object()), origin + " shard " + e.name);
  if (e.samples > e.bytes / kMinSampleBytes)
    throw ShardError(origin + ": shard " + e.name + " cannot hold " + std::to_string(e.samples) + " samples in " +
                     std::to_string(e.bytes) + " bytes");
  check_counts(e.fine_counts, "fine", m.has_classes ? static_cast<int>(m.classes.fine.size()) : -1, e, origin);
  check_counts(e.macro_counts, "macro", m.has_classes ? static_cast<int>(m.classes.macro.size()) : -1, e, origin);
  return e;
}

bool by_name(const ShardEntry& a, const ShardEntry& b) { return a.name < b.name; }

FileVersion file_version(const std::string& path) {
  FileVersion v;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return v;
  v.exists = true;
  v.dev = st.st_dev;
  v.ino = st.st_ino;
  v.size = static_cast<std::uint64_t>(st.st_size);
  v.mtime_ns = std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  v.ctime_ns = std::int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return v;
}

struct JournalRead {
  std::uint64_t end = 0;    // offset after the last complete line
  std::uint64_t lines = 0;  // complete lines read
  std::uint64_t size = 0;   // file size
};

// Applies the journal's complete lines from `offset` on (a shard already listed
// is skipped: a writer died between writing manifest.json and removing the
// journal). A last line without '\n' is a torn append of a dead writer: not
// applied (the writer's recovery registers that shard from its file).
JournalRead apply_journal(const std::string& dir, std::uint64_t offset, Manifest* m) {
  JournalRead r;
  r.end = offset;
  const std::string path = Manifest::journal_path_in(dir);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (offset > 0) throw ShardError(path + " disappeared while the dataset was locked");
    return r;
  }
  const UniqueFd fd = open_regular_file(path, "", &st);
  r.size = static_cast<std::uint64_t>(st.st_size);
  if (r.size < offset) throw ShardError(path + " shrank while the dataset was locked");
  if (r.size - offset > kMaxManifestBytes)
    throw ShardError(path + " is larger than the " + std::to_string(kMaxManifestBytes) + " bytes this reader accepts");
  std::string text(static_cast<std::size_t>(r.size - offset), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::pread(fd.get(), &text[got], text.size() - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw ShardError("cannot read " + path);
    got += static_cast<std::size_t>(n);
  }
  std::size_t pos = 0;
  for (std::size_t nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    ++r.lines;
    const std::string where = path + " line at byte " + std::to_string(offset + pos);
    const json line = json::parse(text.begin() + static_cast<long>(pos), text.begin() + static_cast<long>(nl),
                                  nullptr, false);
    if (line.is_discarded() || !line.is_object() || !line.contains("shard"))
      throw ShardError(where + ": not a {\"shard\": {...}} JSON object");
    m->add_shard(shard_from_json(line["shard"], *m, where));
  }
  r.end = offset + pos;
  return r;
}

Manifest parse_manifest_file(const std::string& path) {
  const std::string text = read_file(path, kMaxManifestBytes);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw ShardError(path + ": invalid JSON (" + e.what() + ")");
  }
  return Manifest::from_json(j, path);
}

}  // namespace

nlohmann::json classes_to_json(const ClassLists& classes) {
  json cls = json::object();
  cls["fine"] = json::array();
  for (const ClassEntry& c : classes.fine) cls["fine"].push_back(class_to_json(c, true));
  cls["macro"] = json::array();
  for (const ClassEntry& c : classes.macro) cls["macro"].push_back(class_to_json(c, false));
  return cls;
}

ClassLists classes_from_json(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object() || !j.contains("fine") || !j.contains("macro"))
    throw ShardError(origin + ": 'classes' must be an object with 'fine' and 'macro' lists");
  return class_lists_from_json(j, origin);
}

std::map<std::string, SplitSummary> Manifest::splits() const {
  std::map<std::string, SplitSummary> out;
  for (const ShardEntry& s : shards) {
    SplitSummary& sum = out[s.split];
    sum.samples += s.samples;
    sum.shards += 1;
    for (const auto& [c, n] : s.fine_counts) sum.fine_counts[c] += n;
    for (const auto& [c, n] : s.macro_counts) sum.macro_counts[c] += n;
  }
  return out;
}

const ShardEntry* Manifest::find_shard(const std::string& name) const {
  ShardEntry probe;
  probe.name = name;
  const auto it = std::lower_bound(shards.begin(), shards.end(), probe, by_name);
  return it != shards.end() && it->name == name ? &*it : nullptr;
}

bool Manifest::add_shard(ShardEntry e) {
  const auto it = std::lower_bound(shards.begin(), shards.end(), e, by_name);
  if (it != shards.end() && it->name == e.name) return false;
  shards.insert(it, std::move(e));
  return true;
}

json Manifest::to_json() const {
  json j;
  j["format"] = kManifestFormat;
  j["version"] = kManifestVersion;
  j["dtype"] = dtype;
  j["sample_shape"] = sample_shape;
  json cls = nullptr;
  if (has_classes) {
    cls = classes_to_json(classes);
  }
  j["classes"] = cls;
  if (has_classes && classes_from_names) j["class_origin"] = "names";
  j["preprocessing"] = preprocessing;
  json splits_json = json::object();
  for (const auto& [name, sum] : splits()) {
    splits_json[name] = {{"samples", sum.samples},
                         {"shards", sum.shards},
                         {"fine_counts", counts_to_json(sum.fine_counts)},
                         {"macro_counts", counts_to_json(sum.macro_counts)}};
  }
  j["splits"] = splits_json;
  j["shards"] = json::array();
  for (const ShardEntry& s : shards) j["shards"].push_back(shard_to_json(s));
  return j;
}

Manifest Manifest::from_json(const json& j, const std::string& origin) {
  if (!j.is_object()) throw ShardError(origin + ": manifest is not a JSON object");
  if (get_string(j, "format", origin) != kManifestFormat)
    throw ShardError(origin + ": not a " + std::string(kManifestFormat) + " manifest");
  const std::uint64_t version = get_uint(j, "version", origin);
  if (version > std::uint64_t(kManifestVersion) || version < 1)
    throw ShardError(origin + ": manifest version " + std::to_string(version) +
                     " is not supported (this build reads version " + std::to_string(kManifestVersion) + ")");
  Manifest m;
  m.dtype = get_string(j, "dtype", origin);
  if (!m.dtype.empty() && m.dtype != "float16" && m.dtype != "float32" && m.dtype != "float64")
    throw ShardError(origin + ": unknown dtype '" + m.dtype + "'");
  m.sample_shape = get_uint_list(j, "sample_shape", origin);
  if (m.sample_shape.size() > kMaxSampleRank)
    throw ShardError(origin + ": sample_shape has " + std::to_string(m.sample_shape.size()) +
                     " dimensions (at most " + std::to_string(kMaxSampleRank) + ")");
  std::uint64_t elements = 1;
  for (const std::uint64_t d : m.sample_shape) {
    if (d == 0) throw ShardError(origin + ": sample_shape has a zero dimension (samples would be empty)");
    if (d > kMaxSampleElements / elements)
      throw ShardError(origin + ": sample_shape is implausibly large (more than " +
                       std::to_string(kMaxSampleElements) + " values per sample)");
    elements *= d;
  }
  if (j.contains("classes") && !j["classes"].is_null()) {
    const json& c = j["classes"];
    if (!c.is_object() || !c.contains("fine") || !c.contains("macro"))
      throw ShardError(origin + ": 'classes' must hold 'fine' and 'macro' lists");
    m.has_classes = true;
    m.classes = class_lists_from_json(c, origin);
  }
  if (j.contains("class_origin") && !j["class_origin"].is_null()) {
    const json& o = j["class_origin"];
    if (!o.is_string() || (o != "names" && o != "taxonomy"))
      throw ShardError(origin + ": 'class_origin' must be \"names\" or \"taxonomy\"");
    m.classes_from_names = o == "names";
    if (m.classes_from_names && !m.has_classes)
      throw ShardError(origin + ": 'class_origin' is \"names\" but there are no classes");
  }
  if (j.contains("preprocessing")) {
    if (!j["preprocessing"].is_array()) throw ShardError(origin + ": 'preprocessing' must be an array");
    for (const json& p : j["preprocessing"]) m.preprocessing.push_back(p);
  }
  const json shards = j.contains("shards") ? j["shards"] : json::array();
  if (!shards.is_array()) throw ShardError(origin + ": 'shards' must be an array");
  for (const json& s : shards) m.shards.push_back(shard_from_json(s, m, origin));
  std::sort(m.shards.begin(), m.shards.end(), by_name);
  for (std::size_t i = 1; i < m.shards.size(); ++i)
    if (m.shards[i].name == m.shards[i - 1].name)
      throw ShardError(origin + ": shard " + m.shards[i].name + " is listed twice");
  return m;
}

std::string Manifest::path_in(const std::string& dir) { return dir + "/manifest.json"; }
std::string Manifest::journal_path_in(const std::string& dir) { return dir + "/manifest.journal"; }

Manifest Manifest::load(const std::string& dir) {
  struct stat st {};
  if (::lstat(path_in(dir).c_str(), &st) == 0) return load_required(dir);
  Manifest m;
  apply_journal(dir, 0, &m);
  return m;
}

Manifest Manifest::load_required(const std::string& dir) {
  // Without the lock a writer may compact in between (manifest.json replaced,
  // journal removed): read again then.
  for (int attempt = 0;; ++attempt) {
    const FileVersion before = file_version(path_in(dir));
    Manifest m = parse_manifest_file(path_in(dir));
    try {
      apply_journal(dir, 0, &m);
    } catch (const ShardError& e) {
      if (e.error_number() != ENOENT || attempt >= 3) throw;
      continue;
    }
    if (file_version(path_in(dir)) == before || attempt >= 3) return m;
  }
}

void Manifest::save(const std::string& dir) const {
  write_file_atomic(path_in(dir), to_json().dump(1) + "\n");
  // Everything the journal listed is in manifest.json now; a crash before this
  // unlink leaves entries that load() skips as already listed.
  if (::unlink(journal_path_in(dir).c_str()) != 0 && errno != ENOENT) {
    const int err = errno;
    throw ShardError("cannot remove " + journal_path_in(dir) + ": " + errno_text(err), err);
  }
}

Manifest& ManifestCache::refresh(const std::string& dir) {
  const FileVersion v = file_version(Manifest::path_in(dir));
  if (!valid_ || !(v == manifest_version_)) {  // first use, or another writer rewrote it
    m_ = v.exists ? parse_manifest_file(Manifest::path_in(dir)) : Manifest{};
    manifest_version_ = v;
    journal_read_ = 0;
    journal_entries_ = 0;
  }
  valid_ = false;  // until the journal is applied
  const JournalRead r = apply_journal(dir, journal_read_, &m_);
  journal_read_ = r.end;
  journal_entries_ += r.lines;
  journal_size_ = r.size;
  journal_torn_ = r.size > r.end;
  valid_ = true;
  return m_;
}

void ManifestCache::save(const std::string& dir) {
  valid_ = false;
  m_.save(dir);
  manifest_version_ = file_version(Manifest::path_in(dir));
  journal_read_ = journal_entries_ = journal_size_ = 0;
  journal_torn_ = false;
  valid_ = true;
}

void ManifestCache::compact(const std::string& dir) {
  refresh(dir);
  if (journal_size_ > 0) save(dir);
}

void ManifestCache::append_shard(const std::string& dir, ShardEntry e) {
  const json line = {{"shard", shard_to_json(e)}};
  if (!m_.add_shard(std::move(e))) return;
  // Compaction rewrites all n shards once per n/4 appends: O(1) amortised per shard.
  if (!manifest_version_.exists || journal_entries_ + 1 > std::max<std::uint64_t>(16, m_.shards.size() / 4)) {
    save(dir);
    return;
  }
  const std::string path = Manifest::journal_path_in(dir);
  valid_ = false;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    const int err = errno;
    throw ShardError("cannot open " + path + ": " + errno_text(err), err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw ShardError(path + " is not a regular file");
  if (journal_torn_ && ::ftruncate(fd.get(), static_cast<off_t>(journal_read_)) != 0) {
    const int err = errno;
    throw ShardError("cannot truncate " + path + ": " + errno_text(err), err);
  }
  const std::string text = line.dump() + "\n";
  write_all(fd.get(), text.data(), text.size(), path);
  fsync_file(fd.get(), path);
  if (journal_read_ == 0) fsync_dir(dir);
  journal_read_ += text.size();
  journal_size_ = journal_read_;
  journal_entries_ += 1;
  journal_torn_ = false;
  valid_ = true;
}

}  // namespace genre::shard
