// Taxonomy: JSON round trip, validation and lookups. The JSON is the contract
// between fma-convert (writes it), datasetsink (reads it) and the training tool.
#include "taxonomy/taxonomy.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include "base/atomic_file.h"

namespace genre::taxonomy {
namespace {

using nlohmann::json;

// "12" -> 12; anything that is not a plain non-negative decimal -> nullopt.
std::optional<int> parse_index(const std::string& s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<int> lookup(const std::vector<ClassInfo>& list, const std::string& key) {
  for (const auto& c : list)
    if (c.name == key) return c.index;
  if (auto i = parse_index(key); i && *i < static_cast<int>(list.size())) return *i;
  return std::nullopt;
}

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
  throw std::runtime_error("taxonomy " + origin + ": " + what);
}

ClassInfo parse_class(const json& j, size_t pos, const char* list, const std::string& origin) {
  const std::string where = std::string(list) + "[" + std::to_string(pos) + "]";
  if (!j.is_object()) fail(origin, where + " is not an object");
  ClassInfo c;
  if (!j.contains("name") || !j["name"].is_string()) fail(origin, where + " has no string \"name\"");
  c.name = j["name"].get<std::string>();
  if (c.name.empty()) fail(origin, where + " has an empty name");
  c.index = static_cast<int>(pos);
  if (j.contains("index")) {
    if (!j["index"].is_number_integer() || j["index"].get<long long>() != static_cast<long long>(pos))
      fail(origin, where + " (\"" + c.name + "\") has index " + j["index"].dump() +
                       ", expected its position " + std::to_string(pos));
  }
  if (j.contains("fma_genre_id") && !j["fma_genre_id"].is_null()) {
    if (!j["fma_genre_id"].is_number_integer()) fail(origin, where + " fma_genre_id is not an integer");
    c.fma_genre_id = j["fma_genre_id"].get<int>();
  }
  return c;
}

void check_unique(const std::vector<ClassInfo>& list, const char* what, const std::string& origin) {
  std::unordered_set<std::string> seen;
  for (const auto& c : list)
    if (!seen.insert(c.name).second) fail(origin, std::string("duplicate ") + what + " class name \"" + c.name + "\"");
}

}  // namespace

std::optional<int> Taxonomy::fine_index(const std::string& name_or_index) const {
  return lookup(fine, name_or_index);
}

std::optional<int> Taxonomy::macro_index(const std::string& name_or_index) const {
  return lookup(macro, name_or_index);
}

std::optional<int> Taxonomy::fine_index_by_fma_id(int fma_genre_id) const {
  for (const auto& c : fine)
    if (c.fma_genre_id == fma_genre_id) return c.index;
  return std::nullopt;
}

int Taxonomy::macro_of(int fine_idx) const {
  if (fine_idx < 0 || fine_idx >= static_cast<int>(fine_to_macro.size())) return -1;
  return fine_to_macro[static_cast<size_t>(fine_idx)];
}

void Taxonomy::validate(const std::string& origin) const {
  for (size_t i = 0; i < fine.size(); ++i)
    if (fine[i].index != static_cast<int>(i)) fail(origin, "fine class \"" + fine[i].name + "\" index is not its position");
  for (size_t i = 0; i < macro.size(); ++i)
    if (macro[i].index != static_cast<int>(i)) fail(origin, "macro class \"" + macro[i].name + "\" index is not its position");
  check_unique(fine, "fine", origin);
  check_unique(macro, "macro", origin);
  if (fine_to_macro.size() != fine.size())
    fail(origin, "fine_to_macro has " + std::to_string(fine_to_macro.size()) + " entries for " +
                     std::to_string(fine.size()) + " fine classes");
  for (size_t i = 0; i < fine_to_macro.size(); ++i) {
    int m = fine_to_macro[i];
    if (m < -1 || m >= static_cast<int>(macro.size()))
      fail(origin, "fine class \"" + fine[i].name + "\" maps to macro index " + std::to_string(m) +
                       " outside [0, " + std::to_string(macro.size()) + ")");
  }
}

std::string Taxonomy::to_json_string() const {
  validate("(in memory)");
  json j;
  j["fine"] = json::array();
  for (size_t i = 0; i < fine.size(); ++i) {
    const auto& c = fine[i];
    j["fine"].push_back({{"index", c.index}, {"name", c.name}, {"fma_genre_id", c.fma_genre_id},
                         {"macro", fine_to_macro[i]}});
  }
  j["macro"] = json::array();
  for (const auto& c : macro)
    j["macro"].push_back({{"index", c.index}, {"name", c.name}, {"fma_genre_id", c.fma_genre_id}});
  return j.dump(2) + "\n";
}

Taxonomy Taxonomy::from_json_string(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    fail(origin, std::string("invalid JSON: ") + e.what());
  }
  if (!j.is_object()) fail(origin, "top level is not a JSON object");
  if (!j.contains("fine") || !j["fine"].is_array()) fail(origin, "missing array \"fine\"");
  Taxonomy t;
  if (j.contains("macro")) {
    if (!j["macro"].is_array()) fail(origin, "\"macro\" is not an array");
    for (size_t i = 0; i < j["macro"].size(); ++i) t.macro.push_back(parse_class(j["macro"][i], i, "macro", origin));
  }
  for (size_t i = 0; i < j["fine"].size(); ++i) {
    const json& e = j["fine"][i];
    t.fine.push_back(parse_class(e, i, "fine", origin));
    int m = -1;
    if (e.contains("macro") && !e["macro"].is_null()) {
      if (!e["macro"].is_number_integer())
        fail(origin, "fine[" + std::to_string(i) + "] \"macro\" is not an integer index");
      m = e["macro"].get<int>();
    }
    t.fine_to_macro.push_back(m);
  }
  t.validate(origin);
  return t;
}

Taxonomy Taxonomy::load_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail(path, "read error");
  return from_json_string(ss.str(), path);
}

void Taxonomy::save_json(const std::string& path) const {
  // Replaced atomically: concurrent readers (several sinks) never see half a file.
  write_file_atomically(path, to_json_string());
}

}  // namespace genre::taxonomy
