// Class lists grown from label names, for datasets written without a taxonomy
// ("taginject tags=genre=jazz ! datasetsink labels-from-tags=true").
//
// The list lives in manifest.json ("classes", with "class_origin": "names") and
// is append-only: a name gets the next free index the first time any writer
// registers it, under the dataset's directory lock, BEFORE a sample labelled
// with it is written. So an index never changes meaning, writers in other
// processes agree on it, and every .cls in any shard (even one whose writer
// was killed) is in the manifest's list. Indices follow registration order,
// which with several writers depends on timing: the names are the stable
// identity of a class; read them from the manifest, never assume an order.
//
// Names are matched after normalisation: leading/trailing whitespace removed,
// inner whitespace runs collapsed to one space, ASCII letters compared without
// case ("Hip-Hop", " hip-hop ", "HIP-HOP" are one class, spelled as first
// registered). Non-ASCII letters are compared exactly.
#pragma once

#include <string>
#include <vector>

#include "shard/manifest.h"

namespace genre::shard {

enum class ClassLevel { kFine, kMacro };

constexpr std::size_t kMaxClassNameLength = 256;

// Whitespace trimmed and collapsed; empty when nothing is left. Throws
// ShardError for invalid UTF-8, control characters or a name over
// kMaxClassNameLength bytes.
std::string normalize_class_name(const std::string& name);

// What two names are compared by: the normalized name, ASCII-lowercased.
std::string class_name_key(const std::string& normalized);

// True when `label` (whitespace trimmed) is a decimal class index: digits only.
bool is_class_index_text(const std::string& label);

// Index of the normalized `name` in the manifest's list of `level`, appended
// (index = list size) when absent; *added tells which. Turns a manifest without
// classes and without shards into a names dataset. Throws ShardError, naming
// `dir`, when the dataset's classes come from a taxonomy or it already holds
// shards labelled by class index.
int find_or_add_class_name(Manifest* m, ClassLevel level, const std::string& name, const std::string& dir,
                           bool* added);

}  // namespace genre::shard
