// POSIX ustar: deterministic headers for writing (mtime 0, uid/gid 0, mode
// 0444, no user/group names) and a bounds-checked member scan for reading
// untrusted archives.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace genre::shard {

constexpr std::size_t kTarBlock = 512;

// Header block for a regular file. Names longer than 100 bytes are refused
// (sample keys are short; no pax or GNU extensions are written).
std::array<char, kTarBlock> make_ustar_header(const std::string& name, std::uint64_t size);

// Zero bytes that pad a member of `size` bytes to a whole block.
std::size_t tar_padding(std::uint64_t size);

struct TarMember {
  std::string name;
  std::uint64_t header_offset = 0;
  std::uint64_t data_offset = 0;
  std::uint64_t size = 0;
};

// Every regular-file member of the archive in `data`, in order. Throws
// ShardError naming `origin` and the offset for a truncated archive, a bad
// header checksum, a malformed size, or an unsupported member type.
std::vector<TarMember> scan_tar(const std::uint8_t* data, std::size_t size, const std::string& origin);

// The same scan of a file, reading only its header blocks (pread): listing
// the members of a 100 MB shard touches a few hundred KB, not its pages.
std::vector<TarMember> scan_tar_file(const std::string& path);

}  // namespace genre::shard
