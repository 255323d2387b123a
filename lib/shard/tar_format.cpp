#include "shard/tar_format.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shard/file_io.h"
#include "shard/shard_error.h"

namespace genre::shard {
namespace {

void put_octal(char* field, std::size_t width, std::uint64_t value) {
  // width-1 octal digits, zero-padded, then NUL.
  for (std::size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = '\0';
}

std::uint32_t header_checksum(const std::uint8_t* h) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < kTarBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return sum;
}

// Parses a NUL/space-terminated octal field; false for anything else
// (including base-256 sizes, which our shards never contain).
bool parse_octal(const std::uint8_t* field, std::size_t width, std::uint64_t* out) {
  std::size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  std::uint64_t v = 0;
  std::size_t digits = 0;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i, ++digits) {
    if (v > (UINT64_MAX >> 3)) return false;
    v = (v << 3) | std::uint64_t(field[i] - '0');
  }
  if (digits == 0) return false;
  for (; i < width; ++i)
    if (field[i] != ' ' && field[i] != '\0') return false;
  *out = v;
  return true;
}

std::string field_string(const std::uint8_t* field, std::size_t width) {
  std::size_t n = 0;
  while (n < width && field[n] != '\0') ++n;
  return std::string(reinterpret_cast<const char*>(field), n);
}

bool all_zero(const std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

}  // namespace

std::array<char, kTarBlock> make_ustar_header(const std::string& name, std::uint64_t size) {
  if (name.empty() || name.size() > 100)
    throw ShardError("tar member name '" + name + "' must be 1..100 bytes long");
  if (size >= (std::uint64_t(1) << 33))
    throw ShardError("tar member '" + name + "' is larger than 8 GiB, which ustar cannot record");
  std::array<char, kTarBlock> h{};
  std::memcpy(h.data(), name.data(), name.size());
  put_octal(h.data() + 100, 8, 0444);  // mode
  put_octal(h.data() + 108, 8, 0);     // uid
  put_octal(h.data() + 116, 8, 0);     // gid
  put_octal(h.data() + 124, 12, size);
  put_octal(h.data() + 136, 12, 0);  // mtime: fixed, so shards are reproducible
  h[156] = '0';                      // regular file
  std::memcpy(h.data() + 257, "ustar", 6);  // magic with its NUL
  h[263] = '0';
  h[264] = '0';
  const std::uint32_t sum = header_checksum(reinterpret_cast<const std::uint8_t*>(h.data()));
  put_octal(h.data() + 148, 7, sum);  // six digits, NUL, then a space
  h[155] = ' ';
  return h;
}

std::size_t tar_padding(std::uint64_t size) {
  return static_cast<std::size_t>((kTarBlock - size % kTarBlock) % kTarBlock);
}

namespace {

// The scan itself, over any source of header blocks: `block(off)` gives the
// kTarBlock bytes at `off` (which the caller has checked lie inside `size`).
std::vector<TarMember> scan_blocks(const std::function<const std::uint8_t*(std::uint64_t)>& block,
                                   std::uint64_t size, const std::string& origin) {
  std::vector<TarMember> members;
  std::uint64_t off = 0;
  bool saw_end = false;
  while (off < size) {
    if (size - off < kTarBlock)
      throw ShardError(origin + ": truncated tar header at offset " + std::to_string(off));
    const std::uint8_t* h = block(off);
    if (all_zero(h, kTarBlock)) {
      saw_end = true;
      break;
    }
    std::uint64_t stored_sum = 0;
    if (!parse_octal(h + 148, 8, &stored_sum) || stored_sum != header_checksum(h))
      throw ShardError(origin + ": bad tar header checksum at offset " + std::to_string(off) +
                       " (not a tar file, or corrupted)");
    const bool ustar = std::memcmp(h + 257, "ustar", 5) == 0;
    std::string name = field_string(h, 100);
    if (ustar) {
      const std::string prefix = field_string(h + 345, 155);
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    std::uint64_t member_size = 0;
    if (!parse_octal(h + 124, 12, &member_size))
      throw ShardError(origin + ": malformed size field of tar member '" + name + "' at offset " +
                       std::to_string(off));
    const char type = static_cast<char>(h[156]);
    const std::uint64_t data_off = off + kTarBlock;
    if (member_size > size - data_off)
      throw ShardError(origin + ": tar member '" + name + "' claims " + std::to_string(member_size) +
                       " bytes but only " + std::to_string(size - data_off) +
                       " remain (truncated shard or lying size field)");
    const std::uint64_t padded = member_size + tar_padding(member_size);
    if (type == '0' || type == '\0') {
      if (name.empty()) throw ShardError(origin + ": tar member with an empty name at offset " + std::to_string(off));
      members.push_back({name, off, data_off, member_size});
    } else if (type != '5') {  // directories carry no data and are skipped
      throw ShardError(origin + ": tar member '" + name + "' has unsupported type '" +
                       std::string(1, type) + "' (only plain ustar files are read)");
    }
    off = data_off + padded;  // may step past `size` when the last padding is cut: loop ends
  }
  if (!saw_end && off != size)
    throw ShardError(origin + ": truncated tar archive (last member's padding is cut)");
  if (!saw_end)
    throw ShardError(origin + ": truncated tar archive (no end-of-archive blocks)");
  return members;
}

}  // namespace

std::vector<TarMember> scan_tar(const std::uint8_t* data, std::size_t size, const std::string& origin) {
  return scan_blocks([data](std::uint64_t off) { return data + off; }, size, origin);
}

std::vector<TarMember> scan_tar_file(const std::string& path) {
  struct stat st {};
  const UniqueFd fd = open_regular_file(path, "shard ", &st);
  std::uint8_t buf[kTarBlock];
  return scan_blocks(
      [&](std::uint64_t off) -> const std::uint8_t* {
        if (::pread(fd.get(), buf, kTarBlock, static_cast<off_t>(off)) != static_cast<ssize_t>(kTarBlock))
          throw ShardError(path + ": cannot read the tar header at offset " + std::to_string(off));
        return buf;
      },
      static_cast<std::uint64_t>(st.st_size), path);
}

}  // namespace genre::shard
