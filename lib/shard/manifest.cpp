#include "shard/manifest.h"

#include <sys/stat.h>

#include <algorithm>

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
    out.push_back(std::move(c));
  }
  return out;
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
  ClassLists classes;
  classes.fine = class_list_from_json(j["fine"], true, origin);
  classes.macro = class_list_from_json(j["macro"], false, origin);
  return classes;
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
  for (const ShardEntry& s : shards)
    if (s.name == name) return &s;
  return nullptr;
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
  for (const ShardEntry& s : shards) {
    j["shards"].push_back({{"name", s.name},
                           {"split", s.split},
                           {"samples", s.samples},
                           {"bytes", s.bytes},
                           {"sha256", s.sha256},
                           {"fine_counts", counts_to_json(s.fine_counts)},
                           {"macro_counts", counts_to_json(s.macro_counts)}});
  }
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
  if (j.contains("classes") && !j["classes"].is_null()) {
    const json& c = j["classes"];
    if (!c.is_object() || !c.contains("fine") || !c.contains("macro"))
      throw ShardError(origin + ": 'classes' must hold 'fine' and 'macro' lists");
    m.has_classes = true;
    m.classes.fine = class_list_from_json(c["fine"], true, origin);
    m.classes.macro = class_list_from_json(c["macro"], false, origin);
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
  for (const json& s : shards) {
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
    if (m.find_shard(e.name)) throw ShardError(origin + ": shard " + e.name + " is listed twice");
    m.shards.push_back(std::move(e));
  }
  std::sort(m.shards.begin(), m.shards.end(),
            [](const ShardEntry& a, const ShardEntry& b) { return a.name < b.name; });
  return m;
}

std::string Manifest::path_in(const std::string& dir) { return dir + "/manifest.json"; }

Manifest Manifest::load(const std::string& dir) {
  struct stat st {};
  if (::stat(path_in(dir).c_str(), &st) != 0) return Manifest{};
  return load_required(dir);
}

Manifest Manifest::load_required(const std::string& dir) {
  const std::string path = path_in(dir);
  const std::string text = read_file(path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw ShardError(path + ": invalid JSON (" + e.what() + ")");
  }
  return from_json(j, path);
}

void Manifest::save(const std::string& dir) const {
  write_file_atomic(path_in(dir), to_json().dump(1) + "\n");
}

}  // namespace genre::shard
