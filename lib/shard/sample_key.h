// Sample keys: "<track_id>" for whole clips, "<track_id>_w<window>" for
// windows. Keys are dot-free (WebDataset splits member names at the first dot)
// and short enough for a plain ustar name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace genre::shard {

constexpr std::size_t kMaxKeyLength = 80;  // leaves room for ".macro.cls" in 100 bytes

// Empty string when `key` is usable, else the reason.
std::string key_problem(const std::string& key);

std::string window_key(const std::string& track_id, std::uint64_t window_index);

struct ParsedKey {
  std::string track_id;
  std::optional<std::uint64_t> window;
};
// Splits a trailing "_w<digits>" off; keys without it are whole-clip samples.
ParsedKey parse_key(const std::string& key);

// Dataset-relative shard file names: "<split>-NNNNNN.tar".
std::string shard_file_name(const std::string& split, std::uint64_t number);
// True (and fills split/number) for "<split>-<digits>.tar" names.
bool parse_shard_file_name(const std::string& name, std::string* split, std::uint64_t* number);
// A split name must be non-empty, [a-z0-9_] only (it becomes part of file names).
bool valid_split_name(const std::string& split);

}  // namespace genre::shard
