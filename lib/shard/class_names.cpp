#include "shard/class_names.h"

#include "shard/shard_error.h"

namespace genre::shard {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Length of the UTF-8 sequence starting at s[i], 0 when it is not valid UTF-8.
std::size_t utf8_length(const std::string& s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) n = 2, cp = b & 0x1F;
  else if ((b & 0xF0) == 0xE0) n = 3, cp = b & 0x0F;
  else if ((b & 0xF8) == 0xF0) n = 4, cp = b & 0x07;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

const char* level_name(ClassLevel level) { return level == ClassLevel::kFine ? "fine" : "macro"; }

}  // namespace

std::string normalize_class_name(const std::string& name) {
  std::string out;
  bool pending_space = false;
  for (std::size_t i = 0; i < name.size();) {
    const char c = name[i];
    if (is_space(c)) {
      pending_space = !out.empty();
      ++i;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      throw ShardError("class name '" + name + "' holds a control character");
    const std::size_t n = utf8_length(name, i);
    if (n == 0) throw ShardError("class name is not valid UTF-8");
    if (pending_space) out += ' ';
    pending_space = false;
    out.append(name, i, n);
    i += n;
  }
  if (out.size() > kMaxClassNameLength)
    throw ShardError("class name '" + out.substr(0, 40) + "...' is longer than " +
                     std::to_string(kMaxClassNameLength) + " bytes");
  return out;
}

std::string class_name_key(const std::string& normalized) {
  std::string key = normalized;
  for (char& c : key)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return key;
}

bool is_class_index_text(const std::string& label) {
  std::size_t a = 0, b = label.size();
  while (a < b && is_space(label[a])) ++a;
  while (b > a && is_space(label[b - 1])) --b;
  if (a == b) return false;
  for (std::size_t i = a; i < b; ++i)
    if (label[i] < '0' || label[i] > '9') return false;
  return true;
}

int find_or_add_class_name(Manifest* m, ClassLevel level, const std::string& name, const std::string& dir,
                           bool* added) {
  *added = false;
  if (name.empty()) throw ShardError("empty class name");
  if (m->has_classes && !m->classes_from_names)
    throw ShardError("dataset " + dir + " was written with a taxonomy: its class names come from there (set "
                     "the taxonomy property to label by name), '" + name + "' cannot be added");
  if (!m->has_classes && !m->shards.empty())
    throw ShardError("dataset " + dir + " holds samples labelled by class index (no class list): a name ('" +
                     name + "') cannot be mixed in; label with indices, or write names into another directory");
  std::vector<ClassEntry>& list = level == ClassLevel::kFine ? m->classes.fine : m->classes.macro;
  const std::string key = class_name_key(name);
  for (const ClassEntry& c : list)
    if (class_name_key(c.name) == key) return c.index;
  if (list.size() >= 100000)
    throw ShardError("dataset " + dir + " already has " + std::to_string(list.size()) + " " + level_name(level) +
                     " classes grown from names; '" + name + "' would be one too many");
  m->has_classes = true;
  m->classes_from_names = true;
  const int index = static_cast<int>(list.size());
  list.push_back({index, name, -1, -1});
  *added = true;
  return index;
}

}  // namespace genre::shard
