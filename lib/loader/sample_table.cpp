#include "loader/sample_table.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "shard/sample_key.h"
#include "shard/shard_error.h"

namespace genre::loader {

namespace {

using nlohmann::json;

constexpr std::size_t kSamplesPerThread = 4096;

int to_int(const json& value, const std::string& where, const char* field) {
  if (!value.is_number_integer())
    throw shard::ShardError(where + ": '" + field + "' is " + value.dump() + ", not an integer");
  const auto v = value.get<long long>();
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    throw shard::ShardError(where + ": '" + field + "' " + value.dump() + " is out of range");
  return static_cast<int>(v);
}

// datasetsink writes {"index": i, "name": ...} per label; plain integers are accepted too.
std::vector<int> parse_fine_labels(const json& meta, int fine, const std::string& where) {
  const auto it = meta.find("fine_labels");
  if (it == meta.end() || it->is_null()) return {fine};
  if (!it->is_array()) throw shard::ShardError(where + ": 'fine_labels' is not an array");
  std::vector<int> out;
  for (const json& label : *it) {
    if (label.is_object()) {
      const auto index = label.find("index");
      if (index == label.end()) throw shard::ShardError(where + ": a 'fine_labels' entry has no 'index'");
      out.push_back(to_int(*index, where, "fine_labels[].index"));
    } else {
      out.push_back(to_int(label, where, "fine_labels[]"));
    }
    if (out.back() < 0) throw shard::ShardError(where + ": 'fine_labels' holds the negative class " +
                                                std::to_string(out.back()));
  }
  if (out.empty()) out.push_back(fine);
  return out;
}

// window null or a whole-clip window meta (no index): the whole clip. A JSON
// without the field falls back on the key's "_w<n>" suffix.
int parse_window(const json& meta, const shard::ParsedKey& key, const std::string& where) {
  const auto it = meta.find("window");
  if (it == meta.end()) {
    if (!key.window) return -1;
    if (*key.window > std::uint64_t(std::numeric_limits<int>::max()))
      throw shard::ShardError(where + ": window index is out of range");
    return static_cast<int>(*key.window);
  }
  if (it->is_null()) return -1;
  if (!it->is_object()) throw shard::ShardError(where + ": 'window' is neither null nor an object");
  const auto whole = it->find("whole_clip");
  if (whole != it->end() && whole->is_boolean() && whole->get<bool>()) return -1;
  const auto index = it->find("index");
  if (index == it->end()) return -1;
  const int w = to_int(*index, where, "window.index");
  if (w < 0) throw shard::ShardError(where + ": 'window.index' is negative");
  return w;
}

// "artist"/"album": a string, or an integer id written as one; null or absent: "".
std::string parse_group(const json& meta, const char* field, const std::string& where) {
  const auto it = meta.find(field);
  if (it == meta.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  throw shard::ShardError(where + ": '" + field + "' is " + it->dump() + ", not a string");
}

SampleInfo parse_sample(const shard::DatasetReader& reader, const std::string& split, std::size_t index) {
  const shard::SampleView view = reader.sample(split, index);
  const std::string key(view.key);
  const std::string where = "split '" + split + "' sample '" + key + "' (shard " + std::string(view.shard) + ")";
  json meta = json::parse(view.json.begin(), view.json.end(), nullptr, /*allow_exceptions=*/false);
  if (meta.is_discarded() || !meta.is_object()) throw shard::ShardError(where + ": its .json is not a JSON object");
  const shard::ParsedKey parsed = shard::parse_key(key);

  SampleInfo info;
  info.split = split;
  info.index = index;
  const auto track = meta.find("track_id");
  if (track != meta.end() && !track->is_null()) {
    if (!track->is_string()) throw shard::ShardError(where + ": 'track_id' is not a string");
    info.track_id = track->get<std::string>();
  } else {
    info.track_id = parsed.track_id;
  }
  info.window = parse_window(meta, parsed, where);
  info.fine = view.fine;
  info.macro = view.macro;
  info.fine_labels = parse_fine_labels(meta, view.fine, where);
  info.artist = parse_group(meta, "artist", where);
  info.album = parse_group(meta, "album", where);
  return info;
}

}  // namespace

SampleTable::SampleTable(const shard::DatasetReader& reader) {
  // JSON parsing dominates (~20 us a sample): large splits are parsed by several
  // threads, each filling its own slice; the first error by index is rethrown.
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  for (const std::string& split : reader.splits()) {
    std::vector<SampleInfo>& list = splits_[split];
    const std::size_t n = reader.size(split);
    list.resize(n);
    const std::size_t threads = std::min(cores, n / kSamplesPerThread + 1);
    const std::size_t chunk = (n + threads - 1) / threads;
    std::vector<std::exception_ptr> errors(threads);
    auto parse_range = [&](std::size_t t) {
      try {
        for (std::size_t i = t * chunk; i < std::min(n, (t + 1) * chunk); ++i) list[i] = parse_sample(reader, split, i);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    };
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(parse_range, t);
    parse_range(0);
    for (std::thread& th : pool) th.join();
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
    for (const SampleInfo& s : list) windowed_ = windowed_ || s.window >= 0;
  }
}

const std::vector<SampleInfo>& SampleTable::split(const std::string& name) const {
  static const std::vector<SampleInfo> kEmpty;
  const auto it = splits_.find(name);
  return it == splits_.end() ? kEmpty : it->second;
}

std::vector<std::string> SampleTable::split_names() const {
  std::vector<std::string> out;
  for (const auto& [name, list] : splits_) out.push_back(name);
  return out;
}

std::vector<const SampleInfo*> SampleTable::select(const std::vector<std::string>& names) const {
  std::vector<const SampleInfo*> out;
  for (const std::string& name : names)
    for (const SampleInfo& s : split(name)) out.push_back(&s);
  return out;
}

void SampleTable::set_macro_labels(const std::vector<int>& fine_to_macro) {
  for (auto& [name, list] : splits_)
    for (SampleInfo& s : list) {
      if (s.fine < 0) {
        s.macro = -1;
        continue;
      }
      if (static_cast<std::size_t>(s.fine) >= fine_to_macro.size())
        throw std::invalid_argument("sample " + s.track_id + " has fine label " + std::to_string(s.fine) + " of " +
                                    std::to_string(fine_to_macro.size()) + " classes");
      s.macro = fine_to_macro[static_cast<std::size_t>(s.fine)];
    }
}

}  // namespace genre::loader
