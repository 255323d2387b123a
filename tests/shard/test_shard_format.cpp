// Unit tests of the byte formats: float16, sha256, ustar, npy; every malformed
// input gives a ShardError that names the origin, never a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "shard/float16.h"
#include "shard/npy_format.h"
#include "shard/sha256.h"
#include "shard/shard_error.h"
#include "shard/shard_index.h"
#include "shard/tar_format.h"
#include "shard_test_util.h"

using namespace genre::shard;

using genre::shard::test::expect_shard_error;

namespace {

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// A tar archive built from (name, content) pairs with our own headers.
std::string make_tar(const std::vector<std::pair<std::string, std::string>>& members, bool end = true) {
  std::string out;
  for (const auto& [name, data] : members) {
    const auto h = make_ustar_header(name, data.size());
    out.append(h.data(), h.size());
    out += data;
    out.append(tar_padding(data.size()), '\0');
  }
  if (end) out.append(1024, '\0');
  return out;
}

std::string make_npy(Dtype dtype, const std::vector<std::uint64_t>& shape, const std::string& payload) {
  return npy_header(dtype, shape) + payload;
}

const std::uint8_t* u8(const std::string& s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

}  // namespace

TEST(Float16, KnownValues) {
  EXPECT_EQ(float_to_half(0.f), 0x0000);
  EXPECT_EQ(float_to_half(-0.f), 0x8000);
  EXPECT_EQ(float_to_half(1.f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.f), 0xc000);
  EXPECT_EQ(float_to_half(65504.f), 0x7bff);
  EXPECT_EQ(float_to_half(65520.f), 0x7c00);  // halfway to the next binade rounds to inf
  EXPECT_EQ(float_to_half(65519.f), 0x7bff);
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(float_to_half(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(float_to_half(std::ldexp(1.f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half(std::ldexp(1.f, -25)), 0x0000);  // tie to even: zero
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(float_to_half(std::ldexp(3.f, -25)), 0x0002);  // 1.5 units: tie to even -> 2
  EXPECT_EQ(float_to_half(std::ldexp(1.f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(float_to_half(1.f + std::ldexp(1.f, -11)), 0x3c00);  // tie, even stays
  EXPECT_EQ(float_to_half(1.f + 3 * std::ldexp(1.f, -11)), 0x3c02);  // tie, odd rounds up
  EXPECT_EQ(float_to_half(float_of(0x7fc00000u)), 0x7e00);  // quiet NaN
  EXPECT_EQ(float_to_half(float_of(0x7f800001u)), 0x7c01);  // payload below bit 13 stays a NaN
}

TEST(Float16, EveryHalfRoundTrips) {
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const float f = half_to_float(static_cast<std::uint16_t>(h));
    EXPECT_EQ(float_to_half(f), h) << std::hex << h;
    if (((h >> 10) & 0x1f) != 0x1f) {  // finite halves are exactly representable
      EXPECT_EQ(static_cast<double>(f), std::ldexp(static_cast<double>((h >> 10) & 0x1f ? (h & 0x3ff) + 1024 : (h & 0x3ff)),
                                                   ((h >> 10) & 0x1f ? static_cast<int>((h >> 10) & 0x1f) : 1) - 25) *
                                            ((h & 0x8000) ? -1 : 1))
          << std::hex << h;
    }
  }
}

TEST(Float16, BulkMatchesScalar) {
  std::mt19937 rng(7);
  std::vector<float> in(1 << 20);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = float_of(static_cast<std::uint32_t>(rng()));
  std::vector<std::uint16_t> out(in.size());
  floats_to_halves(in.data(), out.data(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) ASSERT_EQ(out[i], float_to_half(in[i])) << std::hex << bits_of(in[i]);
  std::vector<std::uint16_t> halves(0x10003);
  for (std::size_t i = 0; i < halves.size(); ++i) halves[i] = static_cast<std::uint16_t>(i);
  std::vector<float> back(halves.size());
  halves_to_floats(halves.data(), back.data(), halves.size());
  for (std::size_t i = 0; i < halves.size(); ++i) ASSERT_EQ(bits_of(back[i]), bits_of(half_to_float(halves[i])));
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256::hex_of("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::hex_of("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(Sha256::hex_of(m.data(), m.size()), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 inc;  // incremental updates of odd sizes agree with one-shot hashing
  const std::string million(1000000, 'a');
  for (std::size_t i = 0; i < million.size(); i += 777) inc.update(million.data() + i, std::min<std::size_t>(777, million.size() - i));
  EXPECT_EQ(inc.finish_hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Tar, HeaderIsDeterministicUstar) {
  const auto h = make_ustar_header("000002_w3.npy", 1234);
  EXPECT_EQ(std::string(h.data()), "000002_w3.npy");
  EXPECT_EQ(std::string(h.data() + 100), "0000444");
  EXPECT_EQ(std::string(h.data() + 108), "0000000");
  EXPECT_EQ(std::string(h.data() + 124), "00000002322");  // 1234 in octal
  EXPECT_EQ(std::string(h.data() + 136), "00000000000");
  EXPECT_EQ(h[156], '0');
  EXPECT_EQ(std::string(h.data() + 257, 6), std::string("ustar\0", 6));
  EXPECT_EQ(std::string(h.data() + 263, 2), "00");
  EXPECT_EQ(h, make_ustar_header("000002_w3.npy", 1234));
  expect_shard_error([] { make_ustar_header(std::string(101, 'a'), 1); }, "1..100 bytes");
}

TEST(Tar, ScanFindsMembers) {
  const std::string tar = make_tar({{"a.npy", "hello"}, {"a.cls", std::string(512, 'x')}, {"b.json", ""}});
  const auto members = scan_tar(u8(tar), tar.size(), "t.tar");
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].name, "a.npy");
  EXPECT_EQ(members[0].data_offset, 512u);
  EXPECT_EQ(members[0].size, 5u);
  EXPECT_EQ(members[1].data_offset, 1536u);
  EXPECT_EQ(members[2].size, 0u);
}

TEST(Tar, MalformedArchivesAreRejected) {
  const std::string good = make_tar({{"a.npy", std::string(700, 'q')}});
  expect_shard_error([&] { scan_tar(u8(good), 300, "t.tar"); }, "truncated tar header");
  expect_shard_error([&] { scan_tar(u8(good), 1000, "t.tar"); }, "claims 700 bytes");
  expect_shard_error([&] { scan_tar(u8(good), 512 + 1024, "t.tar"); }, "no end-of-archive");
  expect_shard_error([&] { scan_tar(u8(good), 0, "t.tar"); }, "no end-of-archive");
  std::string bad = good;
  bad[10] = 'Z';  // checksum no longer matches
  expect_shard_error([&] { scan_tar(u8(bad), bad.size(), "t.tar"); }, "checksum");
  // Lying size field with a recomputed checksum: larger than the archive.
  auto h = make_ustar_header("a.npy", 077777777777ull);
  std::string lying(h.data(), h.size());
  lying += std::string(1536, '\0');
  expect_shard_error([&] { scan_tar(u8(lying), lying.size(), "t.tar"); }, "lying size field");
  // Non-octal size with a valid checksum.
  h = make_ustar_header("a.npy", 1);
  std::memcpy(h.data() + 124, "0000000009x", 11);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  std::string badsize(h.data(), h.size());
  badsize += std::string(2048, '\0');
  expect_shard_error([&] { scan_tar(u8(badsize), badsize.size(), "t.tar"); }, "malformed size");
  // A symlink member.
  h = make_ustar_header("a.npy", 0);
  h[156] = '2';
  std::memset(h.data() + 148, ' ', 8);
  sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  std::string link(h.data(), h.size());
  link += std::string(1024, '\0');
  expect_shard_error([&] { scan_tar(u8(link), link.size(), "t.tar"); }, "unsupported type");
}

TEST(Npy, HeaderMatchesNumpyLayout) {
  // Bytes numpy 1.24 writes for np.save(np.zeros((1,32,128), np.float16)).
  const std::string h = npy_header(Dtype::kFloat16, {1, 32, 128});
  EXPECT_EQ(h.size(), 128u);
  EXPECT_EQ(h.substr(0, 10), std::string("\x93NUMPY\x01\x00\x76\x00", 10));
  const std::string dict = "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 32, 128), }";
  EXPECT_EQ(h.substr(10, dict.size()), dict);
  EXPECT_EQ(h.back(), '\n');
  const std::string dict5 = "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }";
  EXPECT_EQ(npy_header(Dtype::kFloat32, {5}).substr(10, dict5.size()), dict5);
  EXPECT_EQ(npy_header(Dtype::kFloat64, {}).size() % 64, 0u);
}

TEST(Npy, ParseRoundTrip) {
  std::string payload(2 * 3 * 4, '\0');
  for (std::size_t i = 0; i < 6; ++i) {
    const float f = static_cast<float>(i) - 2.5f;
    std::memcpy(&payload[i * 4], &f, 4);
  }
  const std::string npy = make_npy(Dtype::kFloat32, {2, 3}, payload);
  const NpyView v = parse_npy(u8(npy), npy.size(), "x.npy");
  EXPECT_EQ(v.dtype, Dtype::kFloat32);
  EXPECT_EQ(v.shape, (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(v.data_size, 24u);
  std::vector<float> out(6);
  npy_to_float32(v, out.data());
  EXPECT_EQ(out[0], -2.5f);
  EXPECT_EQ(out[5], 2.5f);
  // Hand-written headers in other legal spellings.
  const std::string dict = "{\"shape\":(2,),\"fortran_order\":False,\"descr\":\"<f8\"}\n";
  std::string v2 = std::string("\x93NUMPY\x02\x00", 8);
  const std::uint32_t len = static_cast<std::uint32_t>(dict.size());
  v2.append(reinterpret_cast<const char*>(&len), 4);
  v2 += dict;
  const double d[2] = {1.25, -3.5};
  v2.append(reinterpret_cast<const char*>(d), 16);
  const NpyView w = parse_npy(u8(v2), v2.size(), "v2.npy");
  EXPECT_EQ(w.dtype, Dtype::kFloat64);
  npy_to_float32(w, out.data());
  EXPECT_EQ(out[0], 1.25f);
  EXPECT_EQ(out[1], -3.5f);
}

TEST(Npy, MalformedHeadersAreRejected) {
  auto with_dict = [](const std::string& dict, const std::string& payload) {
    std::string s = std::string("\x93NUMPY\x01\x00", 8);
    s += static_cast<char>(dict.size() & 0xff);
    s += static_cast<char>(dict.size() >> 8);
    return s + dict + payload;
  };
  auto parse = [](const std::string& s) { return [s] { parse_npy(u8(s), s.size(), "bad.npy"); }; };
  expect_shard_error(parse("NUMPY"), "bad magic");
  expect_shard_error(parse(std::string("\x93NUMPY\x07\x00\x10\x00", 10) + std::string(16, ' ')), "version 7");
  expect_shard_error(parse(std::string("\x93NUMPY\x01\x00\xff\xff", 10) + "{}"), "exceeds the file");
  expect_shard_error(parse(with_dict("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", "abcd")),
                     "unsupported .npy dtype '<i4'");
  expect_shard_error(parse(with_dict("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "abcd")),
                     "unsupported .npy dtype '>f4'");
  expect_shard_error(parse(with_dict("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", "abcd")),
                     "Fortran");
  expect_shard_error(parse(with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "abcd")),
                     "needs 8");
  expect_shard_error(parse(with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "")),
                     "non-negative integers");
  expect_shard_error(parse(with_dict("{'descr': '<f4', 'fortran_order': False}", "")), "lacks");
  expect_shard_error(parse(with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, "
                                     "99999999999, 99999999999), }",
                                     "")),
                     "overflows");
  expect_shard_error(parse(with_dict("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (), }", "")),
                     "quoted string");
  expect_shard_error(parse(with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", "")),
                     "unknown key");
  expect_shard_error(parse(with_dict("{'descr': '<f4", "")), "unterminated");
}

TEST(ShardIndex, IncompleteAndDuplicateSamplesAreRejected) {
  const std::string npy = make_npy(Dtype::kFloat32, {1}, std::string(4, '\0'));
  auto sample = [&](const std::string& k) {
    return std::vector<std::pair<std::string, std::string>>{
        {k + ".npy", npy}, {k + ".cls", "3"}, {k + ".macro.cls", "-1"}, {k + ".json", "{}"}};
  };
  std::vector<std::pair<std::string, std::string>> ok = sample("a");
  for (auto& m : sample("b")) ok.push_back(m);
  std::string tar = make_tar(ok);
  const ShardIndex idx = index_shard(u8(tar), tar.size(), "s.tar");
  ASSERT_EQ(idx.samples.size(), 2u);
  EXPECT_EQ(idx.samples[1].key, "b");
  EXPECT_EQ(idx.samples[0].fine, 3);
  EXPECT_EQ(idx.samples[0].macro, -1);

  auto missing = sample("a");
  missing.pop_back();
  tar = make_tar(missing);
  expect_shard_error([&] { index_shard(u8(tar), tar.size(), "s.tar"); }, "incomplete sample");
  auto split = sample("a");
  for (auto& m : sample("b")) split.push_back(m);
  for (auto& m : sample("a")) split.push_back(m);
  tar = make_tar(split);
  expect_shard_error([&] { index_shard(u8(tar), tar.size(), "s.tar"); }, "appears twice");
  auto twice = sample("a");
  twice.push_back({"a.cls", "4"});
  tar = make_tar(twice);
  expect_shard_error([&] { index_shard(u8(tar), tar.size(), "s.tar"); }, "two 'cls'");
  auto badcls = sample("a");
  badcls[1].second = "3x";
  tar = make_tar(badcls);
  expect_shard_error([&] { index_shard(u8(tar), tar.size(), "s.tar"); }, "sample 'a': .cls");
  auto shape = sample("a");
  auto other = sample("b");
  other[0].second = make_npy(Dtype::kFloat32, {2}, std::string(8, '\0'));
  for (auto& m : other) shape.push_back(m);
  tar = make_tar(shape);
  expect_shard_error([&] { index_shard(u8(tar), tar.size(), "s.tar"); }, "sample 'b': dtype/shape differ");
}
