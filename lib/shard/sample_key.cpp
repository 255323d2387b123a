#include "shard/sample_key.h"

#include <cstdio>

namespace genre::shard {

std::string key_problem(const std::string& key) {
  if (key.empty()) return "the sample key is empty";
  if (key.size() > kMaxKeyLength)
    return "the sample key '" + key + "' is longer than " + std::to_string(kMaxKeyLength) + " bytes";
  for (unsigned char c : key) {
    if (c == '.' || c == '/' || c < 0x20 || c == 0x7f || c == '\\')
      return "the sample key '" + key + "' contains '" + std::string(1, static_cast<char>(c)) +
             "' (keys must be free of dots, slashes and control characters)";
  }
  return {};
}

std::string window_key(const std::string& track_id, std::uint64_t window_index) {
  return track_id + "_w" + std::to_string(window_index);
}

ParsedKey parse_key(const std::string& key) {
  const std::size_t pos = key.rfind("_w");
  if (pos != std::string::npos && pos > 0 && pos + 2 < key.size()) {
    std::uint64_t w = 0;
    bool digits = true;
    for (std::size_t i = pos + 2; i < key.size(); ++i) {
      if (key[i] < '0' || key[i] > '9' || i - pos - 2 >= 19) {
        digits = false;
        break;
      }
      w = w * 10 + std::uint64_t(key[i] - '0');
    }
    if (digits) return {key.substr(0, pos), w};
  }
  return {key, std::nullopt};
}

std::string shard_file_name(const std::string& split, std::uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "-%06llu.tar", static_cast<unsigned long long>(number));
  return split + buf;
}

bool valid_split_name(const std::string& split) {
  if (split.empty() || split.size() > 32) return false;
  for (char c : split)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

bool parse_shard_file_name(const std::string& name, std::string* split, std::uint64_t* number) {
  const std::string suffix = ".tar";
  if (name.size() < suffix.size() + 3 || name.compare(name.size() - 4, 4, suffix) != 0) return false;
  const std::string stem = name.substr(0, name.size() - 4);
  const std::size_t dash = stem.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == stem.size()) return false;
  std::uint64_t n = 0;
  for (std::size_t i = dash + 1; i < stem.size(); ++i) {
    if (stem[i] < '0' || stem[i] > '9' || i - dash > 18) return false;
    n = n * 10 + std::uint64_t(stem[i] - '0');
  }
  const std::string s = stem.substr(0, dash);
  if (!valid_split_name(s)) return false;
  if (split) *split = s;
  if (number) *number = n;
  return true;
}

}  // namespace genre::shard
