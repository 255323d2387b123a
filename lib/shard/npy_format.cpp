#include "shard/npy_format.h"

#include <algorithm>
#include <cstring>

#include "shard/float16.h"
#include "shard/shard_error.h"

namespace genre::shard {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
constexpr std::size_t kGrowthAxisMaxDigits = 21;  // numpy pads so the first axis can grow in place
constexpr std::size_t kAlign = 64;

// A tiny parser for the Python literal dict numpy writes:
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class DictParser {
 public:
  DictParser(const std::string& s, const std::string& origin) : s_(s), origin_(origin) {}

  void parse(std::string* descr, bool* fortran, std::vector<std::uint64_t>* shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip_ws();
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      const std::string key = parse_string();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        *descr = parse_string();
        have_descr = true;
      } else if (key == "fortran_order") {
        *fortran = parse_bool();
        have_fortran = true;
      } else if (key == "shape") {
        *shape = parse_tuple();
        have_shape = true;
      } else {
        fail("unknown key '" + key + "'");
      }
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_ws();
      expect('}');
      break;
    }
    skip_ws();
    if (pos_ != s_.size()) fail("trailing characters after the header dict");
    if (!have_descr || !have_fortran || !have_shape)
      fail("header dict lacks one of 'descr', 'fortran_order', 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw ShardError(origin_ + ": malformed .npy header: " + why);
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "' at column " + std::to_string(pos_));
    ++pos_;
  }
  std::string parse_string() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string at column " + std::to_string(pos_));
    ++pos_;
    const std::size_t end = s_.find(q, pos_);
    if (end == std::string::npos) fail("unterminated string");
    std::string out = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }
  bool parse_bool() {
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    fail("fortran_order is neither True nor False");
  }
  std::vector<std::uint64_t> parse_tuple() {
    expect('(');
    std::vector<std::uint64_t> dims;
    for (;;) {
      skip_ws();
      if (peek() == ')') {
        ++pos_;
        return dims;
      }
      std::uint64_t v = 0;
      std::size_t digits = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (UINT64_MAX - 9) / 10) fail("shape dimension too large");
        v = v * 10 + std::uint64_t(peek() - '0');
        ++pos_;
        ++digits;
      }
      if (digits == 0) fail("shape holds something other than non-negative integers");
      if (dims.size() >= 32) fail("more than 32 dimensions");
      dims.push_back(v);
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(')');
      return dims;
    }
  }

  const std::string& s_;
  const std::string& origin_;
  std::size_t pos_ = 0;
};

std::uint64_t checked_product(const std::vector<std::uint64_t>& shape, std::uint64_t item,
                              const std::string& origin) {
  std::uint64_t n = item;
  for (std::uint64_t d : shape) {
    if (d != 0 && n > UINT64_MAX / d) throw ShardError(origin + ": .npy shape overflows 64 bits");
    n *= d;
  }
  return n;
}

}  // namespace

std::size_t dtype_size(Dtype d) {
  switch (d) {
    case Dtype::kFloat16: return 2;
    case Dtype::kFloat32: return 4;
    case Dtype::kFloat64: return 8;
  }
  return 0;
}

const char* dtype_name(Dtype d) {
  switch (d) {
    case Dtype::kFloat16: return "float16";
    case Dtype::kFloat32: return "float32";
    case Dtype::kFloat64: return "float64";
  }
  return "?";
}

const char* dtype_descr(Dtype d) {
  switch (d) {
    case Dtype::kFloat16: return "<f2";
    case Dtype::kFloat32: return "<f4";
    case Dtype::kFloat64: return "<f8";
  }
  return "?";
}

Dtype dtype_from_name(const std::string& name) {
  if (name == "float16") return Dtype::kFloat16;
  if (name == "float32") return Dtype::kFloat32;
  if (name == "float64") return Dtype::kFloat64;
  throw ShardError("unknown dtype '" + name + "' (expected float16, float32 or float64)");
}

std::uint64_t NpyView::element_count() const {
  std::uint64_t n = 1;
  for (std::uint64_t d : shape) n *= d;
  return n;
}

std::string npy_header(Dtype dtype, const std::vector<std::uint64_t>& shape) {
  std::string shape_str = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) shape_str += ", ";
    shape_str += std::to_string(shape[i]);
  }
  if (shape.size() == 1) shape_str += ",";
  shape_str += ")";
  std::string dict = std::string("{'descr': '") + dtype_descr(dtype) +
                     "', 'fortran_order': False, 'shape': " + shape_str + ", }";
  if (!shape.empty()) dict.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(), ' ');
  const std::size_t unpadded = kMagicLen + 2 + 2 + dict.size() + 1;  // +1 for the final '\n'
  dict.append(kAlign - unpadded % kAlign, ' ');
  dict += '\n';
  if (dict.size() > 0xffff) throw ShardError("npy header too long for format 1.0");
  std::string out(kMagic, kMagicLen);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  out += dict;
  return out;
}

NpyView parse_npy(const std::uint8_t* data, std::size_t size, const std::string& origin) {
  if (size < 10 || std::memcmp(data, kMagic, kMagicLen) != 0)
    throw ShardError(origin + ": not a .npy file (bad magic or shorter than 10 bytes)");
  const int major = data[6];
  std::size_t header_len = 0;
  std::size_t prefix = 0;
  if (major == 1) {
    header_len = std::size_t(data[8]) | (std::size_t(data[9]) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw ShardError(origin + ": truncated .npy header");
    header_len = std::size_t(data[8]) | (std::size_t(data[9]) << 8) | (std::size_t(data[10]) << 16) |
                 (std::size_t(data[11]) << 24);
    prefix = 12;
  } else {
    throw ShardError(origin + ": unsupported .npy format version " + std::to_string(major));
  }
  if (header_len > size - prefix)
    throw ShardError(origin + ": .npy header length " + std::to_string(header_len) +
                     " exceeds the file (" + std::to_string(size) + " bytes)");
  if (header_len > 1 << 20) throw ShardError(origin + ": .npy header longer than 1 MiB");
  const std::string header(reinterpret_cast<const char*>(data + prefix), header_len);
  std::string descr;
  bool fortran = false;
  NpyView view;
  DictParser(header, origin).parse(&descr, &fortran, &view.shape);
  if (descr == "<f2") {
    view.dtype = Dtype::kFloat16;
  } else if (descr == "<f4") {
    view.dtype = Dtype::kFloat32;
  } else if (descr == "<f8") {
    view.dtype = Dtype::kFloat64;
  } else {
    throw ShardError(origin + ": unsupported .npy dtype '" + descr +
                     "' (only little-endian <f2, <f4, <f8 are read)");
  }
  if (fortran) throw ShardError(origin + ": Fortran-ordered .npy arrays are not supported");
  view.header_size = prefix + header_len;
  const std::uint64_t want = checked_product(view.shape, dtype_size(view.dtype), origin);
  const std::uint64_t have = size - view.header_size;
  if (want != have)
    throw ShardError(origin + ": .npy data is " + std::to_string(have) + " bytes but its shape needs " +
                     std::to_string(want));
  view.data = data + view.header_size;
  view.data_size = want;
  return view;
}

void npy_to_float32(const NpyView& view, float* out) {
  const std::uint64_t n = view.element_count();
  switch (view.dtype) {
    case Dtype::kFloat32:
      std::memcpy(out, view.data, n * 4);
      return;
    case Dtype::kFloat16: {
      // The data may be unaligned inside the tar; halves_to_floats reads unaligned.
      constexpr std::size_t kChunk = 4096;
      std::uint16_t tmp[kChunk];
      for (std::uint64_t i = 0; i < n; i += kChunk) {
        const std::size_t m = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, n - i));
        std::memcpy(tmp, view.data + i * 2, m * 2);
        halves_to_floats(tmp, out + i, m);
      }
      return;
    }
    case Dtype::kFloat64:
      for (std::uint64_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, view.data + i * 8, 8);
        out[i] = static_cast<float>(d);
      }
      return;
  }
}

}  // namespace genre::shard
