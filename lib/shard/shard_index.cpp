#include "shard/shard_index.h"

#include <algorithm>

#include "shard/shard_error.h"
#include "shard/tar_format.h"

namespace genre::shard {

bool parse_class_text(const std::uint8_t* data, std::size_t size, int* out) {
  std::size_t i = 0;
  bool negative = false;
  if (i < size && data[i] == '-') {
    negative = true;
    ++i;
  }
  long long v = 0;
  std::size_t digits = 0;
  for (; i < size && data[i] >= '0' && data[i] <= '9'; ++i, ++digits) {
    v = v * 10 + (data[i] - '0');
    if (v > 2147483647LL) return false;
  }
  if (digits == 0) return false;
  for (; i < size; ++i)
    if (data[i] != ' ' && data[i] != '\n' && data[i] != '\r' && data[i] != '\t') return false;
  *out = static_cast<int>(negative ? -v : v);
  return true;
}

namespace {

struct PendingSample {
  std::string key;
  const TarMember* npy = nullptr;
  const TarMember* cls = nullptr;
  const TarMember* macro_cls = nullptr;
  const TarMember* json = nullptr;
};

void finish_sample(const PendingSample& p, const std::uint8_t* data, const std::string& origin,
                   ShardIndex* index) {
  const std::string where = origin + " sample '" + p.key + "'";
  if (!p.npy || !p.cls || !p.macro_cls || !p.json)
    throw ShardError(where + ": incomplete sample (needs .npy, .cls, .macro.cls and .json members)");
  const NpyView npy = parse_npy(data + p.npy->data_offset, static_cast<std::size_t>(p.npy->size), where + " .npy");
  IndexedSample s;
  s.key = p.key;
  s.data_offset = p.npy->data_offset + npy.header_size;
  s.data_size = npy.data_size;
  s.json_offset = p.json->data_offset;
  s.json_size = p.json->size;
  if (!parse_class_text(data + p.cls->data_offset, static_cast<std::size_t>(p.cls->size), &s.fine) ||
      s.fine < 0)
    throw ShardError(where + ": .cls is not a non-negative decimal class index");
  if (!parse_class_text(data + p.macro_cls->data_offset, static_cast<std::size_t>(p.macro_cls->size),
                        &s.macro) ||
      s.macro < -1)
    throw ShardError(where + ": .macro.cls is not a decimal class index (or -1)");
  if (index->samples.empty()) {
    index->dtype = npy.dtype;
    index->shape = npy.shape;
  } else if (npy.dtype != index->dtype || npy.shape != index->shape) {
    throw ShardError(where + ": dtype/shape differ from the shard's first sample");
  }
  index->samples.push_back(std::move(s));
}

}  // namespace

ShardIndex index_shard(const std::uint8_t* data, std::size_t size, const std::string& origin) {
  const std::vector<TarMember> members = scan_tar(data, size, origin);
  ShardIndex index;
  PendingSample pending;
  std::vector<std::string> done;
  for (const TarMember& m : members) {
    if (m.name.find('/') != std::string::npos)
      throw ShardError(origin + ": member '" + m.name + "' has a directory part (not a sample member)");
    const std::size_t dot = m.name.find('.');
    if (dot == std::string::npos || dot == 0)
      throw ShardError(origin + ": member '" + m.name + "' has no '<key>.<extension>' name");
    const std::string key = m.name.substr(0, dot);
    const std::string ext = m.name.substr(dot + 1);
    if (key != pending.key) {
      if (!pending.key.empty()) {
        finish_sample(pending, data, origin, &index);
        done.push_back(pending.key);
      }
      pending = PendingSample{};
      pending.key = key;
    }
    const TarMember** slot = nullptr;
    if (ext == "npy") slot = &pending.npy;
    else if (ext == "cls") slot = &pending.cls;
    else if (ext == "macro.cls") slot = &pending.macro_cls;
    else if (ext == "json") slot = &pending.json;
    if (!slot) continue;  // unknown extensions are tolerated and ignored
    if (*slot) throw ShardError(origin + ": sample '" + key + "' has two '" + ext + "' members");
    *slot = &m;
  }
  if (!pending.key.empty()) {
    finish_sample(pending, data, origin, &index);
    done.push_back(pending.key);
  }
  std::sort(done.begin(), done.end());
  for (std::size_t i = 1; i < done.size(); ++i)
    if (done[i] == done[i - 1])
      throw ShardError(origin + ": sample '" + done[i] + "' appears twice (members not adjacent)");
  return index;
}

}  // namespace genre::shard
