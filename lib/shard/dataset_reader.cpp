#include "shard/dataset_reader.h"

#include "shard/file_io.h"
#include "shard/sha256.h"
#include "shard/shard_error.h"
#include "shard/shard_index.h"

namespace genre::shard {

struct DatasetReader::Shard {
  std::string name;
  MappedFile file;
};

DatasetReader::~DatasetReader() = default;

DatasetReader::DatasetReader(const std::string& dir, ReaderOptions options) : dir_(dir) {
  manifest_ = Manifest::load_required(dir);
  const std::string mpath = Manifest::path_in(dir);
  if (manifest_.shards.empty()) {
    if (!manifest_.dtype.empty()) dtype_ = dtype_from_name(manifest_.dtype);
    return;
  }
  if (manifest_.dtype.empty() || manifest_.sample_shape.empty())
    throw ShardError(mpath + ": lists shards but no dtype / sample_shape");
  dtype_ = dtype_from_name(manifest_.dtype);
  element_count_ = 1;
  for (std::uint64_t d : manifest_.sample_shape) {
    if (d != 0 && element_count_ > (std::uint64_t(1) << 40) / d)
      throw ShardError(mpath + ": sample_shape is implausibly large");
    element_count_ *= d;
  }
  data_size_ = element_count_ * dtype_size(dtype_);
  const int n_fine = manifest_.has_classes ? static_cast<int>(manifest_.classes.fine.size()) : -1;
  const int n_macro = manifest_.has_classes ? static_cast<int>(manifest_.classes.macro.size()) : -1;

  for (const ShardEntry& e : manifest_.shards) {
    const std::string path = dir + "/" + e.name;
    auto shard = std::make_unique<Shard>(Shard{e.name, MappedFile(path)});
    const MappedFile& f = shard->file;
    if (f.size() != e.bytes)
      throw ShardError("shard " + path + " is " + std::to_string(f.size()) + " bytes but the manifest says " +
                       std::to_string(e.bytes) + " (truncated or replaced)");
    if (options.verify_checksums) {
      const std::string sum = Sha256::hex_of(f.data(), f.size());
      if (sum != e.sha256)
        throw ShardError("shard " + path + " fails its sha256 check (manifest " + e.sha256 + ", file " + sum + ")");
    }
    const ShardIndex index = index_shard(f.data(), f.size(), "shard " + path);
    if (index.samples.size() != e.samples)
      throw ShardError("shard " + path + " holds " + std::to_string(index.samples.size()) +
                       " samples but the manifest says " + std::to_string(e.samples));
    if (!index.samples.empty() && (index.dtype != dtype_ || index.shape != manifest_.sample_shape))
      throw ShardError("shard " + path + " sample '" + index.samples.front().key + "' has dtype " +
                       dtype_name(index.dtype) + " / a shape that disagrees with the manifest");
    ClassCounts fine_counts, macro_counts;
    std::vector<Entry>& list = splits_[e.split];
    for (const IndexedSample& s : index.samples) {
      const std::string where = "shard " + path + " sample '" + s.key + "'";
      if (n_fine >= 0 && s.fine >= n_fine)
        throw ShardError(where + ": fine class " + std::to_string(s.fine) + " is outside the manifest's " +
                         std::to_string(n_fine) + " classes");
      if (n_macro >= 0 && s.macro >= n_macro)
        throw ShardError(where + ": macro class " + std::to_string(s.macro) + " is outside the manifest's " +
                         std::to_string(n_macro) + " classes");
      fine_counts[s.fine] += 1;
      if (s.macro >= 0) macro_counts[s.macro] += 1;
      if (shards_.size() > UINT32_MAX - 1 || keys_.size() > UINT32_MAX - s.key.size())
        throw ShardError("dataset " + dir + " is too large for this reader's index");
      Entry en;
      en.shard = static_cast<std::uint32_t>(shards_.size());
      en.key_offset = static_cast<std::uint32_t>(keys_.size());
      en.key_size = static_cast<std::uint16_t>(s.key.size());
      en.fine = s.fine;
      en.macro = s.macro;
      en.data_offset = s.data_offset;
      en.json_offset = s.json_offset;
      en.json_size = s.json_size;
      keys_ += s.key;
      list.push_back(en);
    }
    if (fine_counts != e.fine_counts || macro_counts != e.macro_counts)
      throw ShardError("shard " + path + ": per-class counts disagree with the manifest");
    shards_.push_back(std::move(shard));
  }
}

std::vector<std::string> DatasetReader::splits() const {
  std::vector<std::string> out;
  for (const auto& [name, list] : splits_)
    if (!list.empty()) out.push_back(name);
  return out;
}

std::size_t DatasetReader::size(const std::string& split) const {
  const auto it = splits_.find(split);
  return it == splits_.end() ? 0 : it->second.size();
}

const DatasetReader::Entry& DatasetReader::entry(const std::string& split, std::size_t index) const {
  const auto it = splits_.find(split);
  if (it == splits_.end()) throw ShardError("dataset " + dir_ + " has no split '" + split + "'");
  if (index >= it->second.size())
    throw ShardError("sample index " + std::to_string(index) + " is out of range for split '" + split +
                     "' (" + std::to_string(it->second.size()) + " samples)");
  return it->second[index];
}

SampleView DatasetReader::sample(const std::string& split, std::size_t index) const {
  const Entry& e = entry(split, index);
  const Shard& s = *shards_[e.shard];
  SampleView v;
  v.key = std::string_view(keys_).substr(e.key_offset, e.key_size);
  v.fine = e.fine;
  v.macro = e.macro;
  v.dtype = dtype_;
  v.data = s.file.data() + e.data_offset;
  v.data_size = data_size_;
  v.json = std::string_view(reinterpret_cast<const char*>(s.file.data() + e.json_offset), e.json_size);
  v.shard = s.name;
  return v;
}

void DatasetReader::read_float32(const std::string& split, std::size_t index, float* out) const {
  const SampleView v = sample(split, index);
  NpyView npy;
  npy.dtype = v.dtype;
  npy.shape = manifest_.sample_shape;
  npy.data = v.data;
  npy.data_size = v.data_size;
  npy_to_float32(npy, out);
}

}  // namespace genre::shard
