#include "shard/dataset_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/file_sync.h"
#include "shard/file_io.h"
#include "shard/float16.h"
#include "shard/sample_key.h"
#include "shard/sha256.h"
#include "shard/shard_error.h"
#include "shard/shard_index.h"
#include "shard/tar_format.h"

namespace genre::shard {
namespace {

constexpr std::size_t kWriteBuffer = 1 << 20;
constexpr const char* kPartialSuffix = ".partial";

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    const int err = errno;
    throw ShardError("cannot list dataset directory " + dir + ": " + errno_text(err), err);
  }
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool same_file(int fd, const std::string& path) {
  struct stat a {}, b {};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

void make_dirs(const std::string& dir) {
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      const int err = errno;
      throw ShardError("cannot create dataset directory " + partial + ": " + errno_text(err), err);
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw ShardError("dataset location " + dir + " is not a directory");
  if (::access(dir.c_str(), W_OK) != 0) {
    const int err = errno;
    throw ShardError("dataset directory " + dir + " is not writable: " + errno_text(err), err);
  }
}

std::string shape_string(const std::vector<std::uint64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// True when `params` was new.
bool merge_params(std::vector<nlohmann::json>* into, const nlohmann::json& params) {
  if (params.is_null() || params.empty()) return false;
  if (std::find(into->begin(), into->end(), params) != into->end()) return false;
  into->push_back(params);
  return true;
}

// Sample keys of a shard from its tar headers alone: a writer opening a big
// dataset learns which keys exist without pulling the shards into memory.
std::vector<std::string> shard_keys(const std::string& path) {
  std::vector<std::string> keys;
  for (const TarMember& m : scan_tar_file(path)) {
    const std::size_t dot = m.name.find('.');
    if (dot == std::string::npos || dot == 0 || m.name.find('/') != std::string::npos)
      throw ShardError(path + ": member '" + m.name + "' is not named '<key>.<extension>'");
    std::string key = m.name.substr(0, dot);
    if (keys.empty() || keys.back() != key) keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace

struct DatasetWriter::Staged {
  std::string key;
  std::string npy, cls, macro_cls, json;
  int fine = -1;
  int macro = -1;
  nlohmann::json params;
  std::uint64_t tar_bytes() const {
    std::uint64_t n = 0;
    for (const std::string* m : {&npy, &cls, &macro_cls, &json}) n += kTarBlock + m->size() + tar_padding(m->size());
    return n;
  }
};

struct DatasetWriter::OpenShard {
  UniqueFd fd;
  std::string partial_path;
  std::string final_name;
  std::uint64_t bytes = 0;  // including the buffer
  std::uint64_t samples = 0;
  Sha256 sha;
  std::string buffer;
  ClassCounts fine_counts, macro_counts;
  std::vector<std::string> keys;
  std::vector<nlohmann::json> params;
};

DatasetWriter::DatasetWriter(WriterOptions options) : opts_(std::move(options)) {
  if (opts_.dir.empty()) throw ShardError("no dataset directory given");
  while (opts_.dir.size() > 1 && opts_.dir.back() == '/') opts_.dir.pop_back();
  if (!valid_split_name(opts_.split))
    throw ShardError("split name '" + opts_.split + "' must be lowercase letters, digits or '_'");
  if (opts_.dtype == Dtype::kFloat64) throw ShardError("datasets are written as float16 or float32");
  if (opts_.classes) {
    for (const ClassEntry& c : opts_.classes->fine)
      if (c.macro >= static_cast<int>(opts_.classes->macro.size()))
        throw ShardError("fine class '" + c.name + "' maps to a macro class that does not exist");
  }
  make_dirs(opts_.dir);
  recover();
}

DatasetWriter::~DatasetWriter() {
  try {
    close();
  } catch (const std::exception&) {
    // close() reports errors to callers that want them; a destructor cannot.
  }
}

void DatasetWriter::check_manifest_compatible(const Manifest& m) const {
  const std::string where = "dataset " + opts_.dir;
  if (!m.dtype.empty() && m.dtype != dtype_name(opts_.dtype))
    throw ShardError(where + " holds " + m.dtype + " samples; cannot add " + dtype_name(opts_.dtype) +
                     " samples (set dtype=" + m.dtype + " or use another directory)");
  if (m.classes_from_names && opts_.classes)
    throw ShardError(where + " has a class list grown from label names (written without a taxonomy); "
                     "it cannot take samples labelled through a taxonomy");
  if (m.has_classes && opts_.classes && m.classes != *opts_.classes)
    throw ShardError(where + " was written with a different taxonomy (class lists differ)");
}

void DatasetWriter::note_manifest(const Manifest& m) {
  dataset_names_ = m.classes_from_names;
  if (m.classes_from_names) names_ = m.classes;
}

void DatasetWriter::use_class_indices() {
  if (opts_.classes || labels_ == LabelKind::kIndices) return;
  if (labels_ == LabelKind::kNames)
    throw ShardError("this writer labels " + opts_.dir + " by class name; a class index cannot be mixed in");
  note_manifest(Manifest::load(opts_.dir));
  if (dataset_names_)
    throw ShardError("dataset " + opts_.dir + " labels classes by name (manifest.json lists " +
                     std::to_string(names_.fine.size()) + " fine classes grown from names); a class index "
                     "cannot be mixed in: label with names, or write indices into another directory");
  labels_ = LabelKind::kIndices;
}

std::vector<int> DatasetWriter::class_indices_for_names(const std::vector<std::string>& names, ClassLevel level) {
  if (opts_.classes)
    throw ShardError("a writer with a taxonomy resolves names through the taxonomy, not by growing a class list");
  if (labels_ == LabelKind::kIndices)
    throw ShardError("this writer labels " + opts_.dir + " by class index; a name cannot be mixed in");
  std::vector<std::string> normalized;
  for (const std::string& n : names) {
    normalized.push_back(normalize_class_name(n));
    if (normalized.back().empty()) throw ShardError("empty class name ('" + n + "')");
  }
  const auto known = [&](const std::string& name) -> int {
    const auto& list = level == ClassLevel::kFine ? names_.fine : names_.macro;
    const std::string key = class_name_key(name);
    for (const ClassEntry& c : list)
      if (class_name_key(c.name) == key) return c.index;
    return -1;
  };
  std::vector<int> out;
  for (const std::string& n : normalized) out.push_back(known(n));
  if (dataset_names_ && std::find(out.begin(), out.end(), -1) == out.end()) {
    labels_ = LabelKind::kNames;
    return out;
  }
  // Read-modify-write of the class list under the same lock as shard registration.
  DirLock lock(opts_.dir);
  Manifest m = manifest_.refresh(opts_.dir);  // a copy: a failure half-way changes nothing
  bool changed = false;
  out.clear();
  for (const std::string& n : normalized) {
    bool added = false;
    out.push_back(find_or_add_class_name(&m, level, n, opts_.dir, &added));
    changed = changed || added;
  }
  if (changed) {
    manifest_.refresh(opts_.dir) = std::move(m);
    manifest_.save(opts_.dir);
  }
  note_manifest(manifest_.refresh(opts_.dir));
  labels_ = LabelKind::kNames;
  return out;
}

std::string DatasetWriter::class_name(ClassLevel level, int index) const {
  const ClassLists* lists = opts_.classes ? &*opts_.classes : labels_ == LabelKind::kNames ? &names_ : nullptr;
  if (!lists || index < 0) return {};
  const auto& list = level == ClassLevel::kFine ? lists->fine : lists->macro;
  return index < static_cast<int>(list.size()) ? list[static_cast<std::size_t>(index)].name : std::string();
}

void DatasetWriter::recover() {
  DirLock lock(opts_.dir);
  // Partial shards of dead writers: nobody holds their flock any more.
  for (const std::string& name : list_dir(opts_.dir)) {
    const std::string path = opts_.dir + "/" + name;
    if (ends_with(name, std::string(".tar") + kPartialSuffix)) {
      UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
      if (fd.get() < 0) continue;
      if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // a live writer
      if (same_file(fd.get(), path) && ::unlink(path.c_str()) == 0) ++stats_.stale_partials_removed;
    } else if (name.rfind("manifest.json.", 0) == 0 && (ends_with(name, kPartialSuffix) ||
                                                          name.rfind("manifest.json.tmp.", 0) == 0)) {
      // Manifest temporaries (lib/base's "manifest.json.XXXXXX.partial", older
      // versions' "manifest.json.tmp.PID") are only written under this lock.
      ::unlink(path.c_str());
    }
  }
  Manifest& m = manifest_.refresh(opts_.dir);
  check_manifest_compatible(m);
  bool changed = false;
  for (const std::string& name : list_dir(opts_.dir)) {
    std::string split;
    if (!parse_shard_file_name(name, &split, nullptr)) continue;
    const std::string path = opts_.dir + "/" + name;
    if (m.find_shard(name)) {
      for (std::string& key : shard_keys(path)) durable_keys_.insert(std::move(key));
      continue;
    }
    // Renamed but never registered: the writer died in between. Register it.
    MappedFile file(path);
    const ShardIndex index = index_shard(file.data(), file.size(), path);
    for (const IndexedSample& s : index.samples) durable_keys_.insert(s.key);
    ShardEntry e;
    e.name = name;
    e.split = split;
    e.samples = index.samples.size();
    e.bytes = file.size();
    e.sha256 = Sha256::hex_of(file.data(), file.size());
    for (const IndexedSample& s : index.samples) {
      e.fine_counts[s.fine] += 1;
      if (s.macro >= 0) e.macro_counts[s.macro] += 1;
    }
    if (!index.samples.empty()) {
      if (m.dtype.empty()) m.dtype = dtype_name(index.dtype);
      if (m.sample_shape.empty()) m.sample_shape = index.shape;
      const IndexedSample& first = index.samples.front();
      try {
        const auto meta = nlohmann::json::parse(file.data() + first.json_offset,
                                                file.data() + first.json_offset + first.json_size);
        if (meta.is_object() && meta.contains("params")) merge_params(&m.preprocessing, meta["params"]);
      } catch (const nlohmann::json::exception&) {
        // The parameters are informative only; a shard with unreadable JSON still registers.
      }
    }
    m.add_shard(std::move(e));
    ++stats_.shards_recovered;
    changed = true;
  }
  // At open, manifest.json takes in what the journal listed (a writer that died
  // left it behind), so readers of manifest.json alone see every shard.
  if (changed)
    manifest_.save(opts_.dir);
  else
    manifest_.compact(opts_.dir);
  dataset_shape_ = m.sample_shape;
  note_manifest(m);
}

void DatasetWriter::set_split(const std::string& split) {
  if (!valid_split_name(split))
    throw ShardError("split name '" + split + "' must be lowercase letters, digits or '_'");
  if (split == opts_.split) return;
  if (!staged_.empty()) throw ShardError("cannot change the split while samples are staged");
  close_shard();  // a shard holds one split
  opts_.split = split;
}

void DatasetWriter::set_limits(std::uint64_t max_samples, std::uint64_t max_bytes) {
  opts_.max_samples = max_samples;
  opts_.max_bytes = max_bytes;
}

std::string DatasetWriter::shape_problem(const std::vector<std::uint64_t>& shape) const {
  if (shape.empty()) return "samples need at least one dimension";
  if (!dataset_shape_.empty() && shape != dataset_shape_)
    return "dataset " + opts_.dir + " holds samples of shape " + shape_string(dataset_shape_) +
           ", not " + shape_string(shape) + " (one dataset holds one sample shape)";
  return {};
}

bool DatasetWriter::has_key(const std::string& key) const {
  if (durable_keys_.count(key) || staged_keys_.count(key)) return true;
  return shard_ && std::find(shard_->keys.begin(), shard_->keys.end(), key) != shard_->keys.end();
}

DatasetWriter::StageResult DatasetWriter::stage(const SampleInput& in) {
  const std::string problem = key_problem(in.key);
  if (!problem.empty()) throw ShardError(problem);
  const std::string shape_err = shape_problem(in.shape);
  if (!shape_err.empty()) throw ShardError("sample '" + in.key + "': " + shape_err);
  if (in.fine < 0) throw ShardError("sample '" + in.key + "' has no fine class label");
  if (in.macro < -1) throw ShardError("sample '" + in.key + "' has an invalid macro class index");
  if (!opts_.classes && labels_ == LabelKind::kUnknown) use_class_indices();
  if (!opts_.classes && labels_ == LabelKind::kNames) {
    if (in.fine >= static_cast<int>(names_.fine.size()) || in.macro >= static_cast<int>(names_.macro.size()))
      throw ShardError("sample '" + in.key + "': class " + std::to_string(in.fine) + "/" + std::to_string(in.macro) +
                       " was not registered by name (use class_indices_for_names)");
  }
  if (opts_.classes) {
    if (in.fine >= static_cast<int>(opts_.classes->fine.size()))
      throw ShardError("sample '" + in.key + "': fine class " + std::to_string(in.fine) +
                       " is not in the taxonomy (" + std::to_string(opts_.classes->fine.size()) + " classes)");
    if (in.macro >= static_cast<int>(opts_.classes->macro.size()))
      throw ShardError("sample '" + in.key + "': macro class " + std::to_string(in.macro) +
                       " is not in the taxonomy");
  }
  if (has_key(in.key)) {
    ++stats_.duplicates_skipped;
    return StageResult::kDuplicate;
  }
  if (dataset_shape_.empty()) dataset_shape_ = in.shape;

  std::uint64_t count = 1;
  for (std::uint64_t d : in.shape) count *= d;
  Staged s;
  s.key = in.key;
  s.fine = in.fine;
  s.macro = in.macro;
  s.npy = npy_header(opts_.dtype, in.shape);
  const std::size_t header = s.npy.size();
  s.npy.resize(header + count * dtype_size(opts_.dtype));
  if (opts_.dtype == Dtype::kFloat16) {
    std::vector<std::uint16_t> halves(count);
    floats_to_halves(in.data, halves.data(), count);
    std::memcpy(&s.npy[header], halves.data(), count * 2);
  } else {
    std::memcpy(&s.npy[header], in.data, count * 4);
  }
  s.cls = std::to_string(in.fine);
  s.macro_cls = std::to_string(in.macro);
  nlohmann::json meta = in.meta.is_object() ? in.meta : nlohmann::json::object();
  meta["key"] = in.key;
  meta["split"] = opts_.split;
  meta["dtype"] = dtype_name(opts_.dtype);
  meta["shape"] = in.shape;
  meta["fine_label"] = in.fine;
  meta["macro_label"] = in.macro;
  if (opts_.classes || labels_ == LabelKind::kNames) {
    meta["fine_name"] = class_name(ClassLevel::kFine, in.fine);
    meta["macro_name"] = in.macro >= 0 ? nlohmann::json(class_name(ClassLevel::kMacro, in.macro)) : nlohmann::json(nullptr);
  }
  s.params = meta.contains("params") ? meta["params"] : nlohmann::json();
  s.json = meta.dump();
  staged_bytes_ += s.tar_bytes();
  staged_keys_.insert(s.key);
  staged_.push_back(std::move(s));
  if (staged_bytes_ >= opts_.max_staged_bytes) commit();
  return StageResult::kStaged;
}

std::size_t DatasetWriter::staged_count() const { return staged_.size(); }

void DatasetWriter::discard_staged() {
  staged_.clear();
  staged_keys_.clear();
  staged_bytes_ = 0;
}

void DatasetWriter::commit() {
  std::vector<Staged> batch;
  batch.swap(staged_);
  staged_keys_.clear();
  staged_bytes_ = 0;
  try {
    for (const Staged& s : batch) {
      const std::uint64_t need = s.tar_bytes();
      if (shard_ && opts_.max_bytes > 0 && shard_->samples > 0 &&
          shard_->bytes + need + 2 * kTarBlock > opts_.max_bytes)
        finalize_shard();
      if (!shard_) open_new_shard();
      append_to_shard(s);
      ++stats_.samples_committed;
      if (opts_.max_samples > 0 && shard_->samples >= opts_.max_samples) finalize_shard();
    }
    // The clip's bytes go to the file now, so a full disk or a file size limit
    // is reported at the end of the clip that hit it, not when the shard is
    // finalized (for a gst-launch line that is after EOS, when nobody listens).
    if (shard_) flush_buffer();
  } catch (...) {
    abandon_shard();
    throw;
  }
}

void DatasetWriter::open_new_shard() {
  // The directory is listed once per split; later shards start after the last
  // number this writer claimed (O_EXCL skips those other writers took since).
  const auto known = next_number_.find(opts_.split);
  std::uint64_t next = known != next_number_.end() ? known->second : 0;
  if (known == next_number_.end()) {
    for (const std::string& name : list_dir(opts_.dir)) {
      std::string split, base = name;
      if (ends_with(base, kPartialSuffix)) base.resize(base.size() - std::strlen(kPartialSuffix));
      std::uint64_t n = 0;
      if (parse_shard_file_name(base, &split, &n) && split == opts_.split) next = std::max(next, n + 1);
    }
  }
  for (int attempts = 0; attempts < 100000; ++attempts, ++next) {
    const std::string final_name = shard_file_name(opts_.split, next);
    const std::string partial = opts_.dir + "/" + final_name + kPartialSuffix;
    UniqueFd fd(::open(partial.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
      if (errno == EEXIST) continue;  // claimed by another writer
      const int err = errno;
      throw ShardError("cannot create shard " + partial + ": " + errno_text(err), err);
    }
    while (::flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) {
        const int err = errno;
        ::unlink(partial.c_str());
        throw ShardError("cannot lock shard " + partial + ": " + errno_text(err), err);
      }
    }
    // A recovering writer may have deleted our file between open and flock.
    if (!same_file(fd.get(), partial)) {
      --next;
      continue;
    }
    struct stat st {};
    if (::stat((opts_.dir + "/" + final_name).c_str(), &st) == 0) {  // number already finalized
      ::unlink(partial.c_str());
      continue;
    }
    next_number_[opts_.split] = next + 1;
    shard_ = std::make_unique<OpenShard>();
    shard_->fd = std::move(fd);
    shard_->partial_path = partial;
    shard_->final_name = final_name;
    shard_->buffer.reserve(kWriteBuffer);
    return;
  }
  throw ShardError("could not claim a shard number in " + opts_.dir);
}

void DatasetWriter::flush_buffer() {
  if (shard_->buffer.empty()) return;
  write_all(shard_->fd.get(), shard_->buffer.data(), shard_->buffer.size(), shard_->partial_path);
  shard_->buffer.clear();
}

void DatasetWriter::append_to_shard(const Staged& s) {
  static const char zeros[kTarBlock] = {};
  const std::pair<const char*, const std::string*> members[] = {
      {".npy", &s.npy}, {".cls", &s.cls}, {".macro.cls", &s.macro_cls}, {".json", &s.json}};
  for (const auto& [ext, data] : members) {
    const auto header = make_ustar_header(s.key + ext, data->size());
    const std::size_t pad = tar_padding(data->size());
    for (const auto& [p, n] : {std::pair<const char*, std::size_t>{header.data(), header.size()},
                               {data->data(), data->size()},
                               {zeros, pad}}) {
      shard_->sha.update(p, n);
      shard_->buffer.append(p, n);
      shard_->bytes += n;
    }
    if (shard_->buffer.size() >= kWriteBuffer) flush_buffer();
  }
  shard_->samples += 1;
  shard_->fine_counts[s.fine] += 1;
  if (s.macro >= 0) shard_->macro_counts[s.macro] += 1;
  shard_->keys.push_back(s.key);
  merge_params(&shard_->params, s.params);
}

void DatasetWriter::finalize_shard() {
  if (!shard_) return;
  const char zeros[2 * kTarBlock] = {};
  shard_->sha.update(zeros, sizeof zeros);
  shard_->buffer.append(zeros, sizeof zeros);
  shard_->bytes += sizeof zeros;
  flush_buffer();
  fsync_file(shard_->fd.get(), shard_->partial_path);
  ShardEntry e;
  e.name = shard_->final_name;
  e.split = opts_.split;
  e.samples = shard_->samples;
  e.bytes = shard_->bytes;
  e.sha256 = shard_->sha.finish_hex();
  e.fine_counts = shard_->fine_counts;
  e.macro_counts = shard_->macro_counts;
  const std::string final_path = opts_.dir + "/" + shard_->final_name;
  {
    DirLock lock(opts_.dir);
    Manifest& m = manifest_.refresh(opts_.dir);
    check_manifest_compatible(m);
    if (!opts_.classes && labels_ == LabelKind::kIndices && m.classes_from_names)
      throw ShardError("dataset " + opts_.dir + " now labels classes by name (another writer registered names "
                       "meanwhile); this shard's samples are labelled by class index and were not added");
    note_manifest(m);
    if (!m.sample_shape.empty() && m.sample_shape != dataset_shape_)
      throw ShardError("dataset " + opts_.dir + " now holds samples of shape " + shape_string(m.sample_shape) +
                       " (written concurrently), not " + shape_string(dataset_shape_));
    rename_file(shard_->partial_path, final_path);
    fsync_dir(opts_.dir);
    // From here the shard is durable: a failed manifest write is repaired by
    // the next writer's recovery, so its keys count as finalized either way.
    durable_keys_.insert(shard_->keys.begin(), shard_->keys.end());
    finalized_.push_back(shard_->final_name);
    ++stats_.shards_finalized;
    std::unique_ptr<OpenShard> done = std::move(shard_);
    // A new shard alone is one journal line; anything else rewrites manifest.json.
    bool rewrite = false;
    if (m.dtype.empty()) {
      m.dtype = dtype_name(opts_.dtype);
      rewrite = true;
    }
    if (m.sample_shape.empty()) {
      m.sample_shape = dataset_shape_;
      rewrite = true;
    }
    if (!m.has_classes && opts_.classes) {
      m.has_classes = true;
      m.classes = *opts_.classes;
      rewrite = true;
    }
    for (const nlohmann::json& p : done->params) rewrite = merge_params(&m.preprocessing, p) || rewrite;
    if (rewrite) {
      m.add_shard(std::move(e));
      manifest_.save(opts_.dir);
    } else {
      manifest_.append_shard(opts_.dir, std::move(e));
    }
  }
}

void DatasetWriter::abandon_shard() {
  if (!shard_) return;
  ::unlink(shard_->partial_path.c_str());
  shard_.reset();
}

void DatasetWriter::close() {
  close_shard();
  struct stat st {};
  if (::lstat(Manifest::journal_path_in(opts_.dir).c_str(), &st) != 0) return;
  DirLock lock(opts_.dir);
  manifest_.compact(opts_.dir);
}

void DatasetWriter::close_shard() {
  discard_staged();
  if (!shard_) return;
  if (shard_->samples == 0) {
    abandon_shard();
    return;
  }
  try {
    finalize_shard();
  } catch (...) {
    abandon_shard();
    throw;
  }
}

std::vector<DatasetKey> list_dataset_keys(const std::string& dir) {
  std::vector<DatasetKey> keys;
  for (const std::string& name : list_dir(dir)) {
    std::string split;
    if (!parse_shard_file_name(name, &split, nullptr)) continue;
    for (const std::string& key : shard_keys(dir + "/" + name))
      keys.push_back({key, parse_key(key).track_id, split, name});
  }
  return keys;
}

}  // namespace genre::shard
