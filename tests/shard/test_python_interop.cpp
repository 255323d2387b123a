// The same bytes through Python: /usr/bin/python3 with tarfile + numpy reads
// the shards and must agree bit for bit with numpy's own float16 conversion,
// np.save's .npy bytes, and the C++ reader.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>

#include "shard/dataset_reader.h"
#include "shard/float16.h"
#include "shard/sha256.h"
#include "shard_test_util.h"

using namespace genre::shard;
using namespace genre::shard::test;

namespace {

#define REQUIRE_NUMPY() \
  if (!python_with_numpy()) GTEST_SKIP() << "/usr/bin/python3 with numpy (python3-numpy) is not installed"

float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Floats that stress rounding: random bit patterns (NaN payloads, subnormals,
// huge values) plus every float16 tie point and its neighbours.
std::vector<float> hard_floats() {
  std::vector<float> v;
  std::mt19937 rng(1234);
  for (int i = 0; i < (1 << 20); ++i) v.push_back(float_of(static_cast<std::uint32_t>(rng())));
  for (std::uint32_t h = 0; h < 0x7c00; ++h) {
    const float lo = half_to_float(static_cast<std::uint16_t>(h));
    const float hi = half_to_float(static_cast<std::uint16_t>(h + 1));
    const float mid = static_cast<float>((static_cast<double>(lo) + hi) / 2);
    for (float f : {mid, std::nextafter(mid, 0.f), std::nextafter(mid, 1e9f)}) {
      v.push_back(f);
      v.push_back(-f);
    }
  }
  return v;
}

std::string run_python(const std::string& args) {
  int rc = 0;
  const std::string out = run_capture(python() + " " + script_path("read_with_python.py") + " " + args, &rc);
  EXPECT_EQ(rc, 0) << "python failed for: " << args;
  return out;
}

void write_and_compare(Dtype dtype) {
  TempDir tmp;
  const std::string ds = tmp.sub("ds"), src = tmp.sub("src");
  std::filesystem::create_directories(src);
  const std::vector<std::uint64_t> shape{1, 16, 24};
  const std::vector<float> hard = hard_floats();
  {
    WriterOptions o;
    o.dir = ds;
    o.dtype = dtype;
    o.max_samples = 5;
    DatasetWriter w(o);
    for (int i = 0; i < 12; ++i) {
      std::vector<float> data = sample_data(16 * 24, static_cast<std::uint32_t>(i));
      if (i < 11) {  // most samples carry a slice of the hard values
        const std::size_t off = static_cast<std::size_t>(i) * 60000;
        for (std::size_t j = 0; j < data.size() && off + j < hard.size(); ++j) data[j] = hard[off + j];
      }
      const std::string key = "00" + std::to_string(1000 + i) + "_w" + std::to_string(i % 4);
      write_bytes(src + "/" + key + ".f32", data.data(), data.size() * 4);
      SampleInput in;
      in.key = key;
      in.shape = shape;
      in.data = data.data();
      in.fine = i % 5;
      in.macro = i % 2 ? -1 : 1;
      ASSERT_EQ(w.stage(in), DatasetWriter::StageResult::kStaged);
      w.commit();
    }
  }
  const std::string py = run_python("dataset " + ds + " " + src);
  DatasetReader r(ds, ReaderOptions{true});
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < r.size("train"); ++i) {
    const SampleView v = r.sample("train", i);
    lines.push_back(std::string(v.key) + " " + std::to_string(v.fine) + " " + std::to_string(v.macro) + " " +
                    Sha256::hex_of(v.data, v.data_size));
  }
  std::sort(lines.begin(), lines.end());
  std::string cpp;
  for (const auto& l : lines) cpp += l + "\n";
  EXPECT_EQ(lines.size(), 12u);
  EXPECT_EQ(py, cpp);
}

}  // namespace

TEST(PythonInterop, Float16ConversionMatchesNumpyBitForBit) {
  REQUIRE_NUMPY();
  TempDir tmp;
  const std::vector<float> in = hard_floats();
  write_bytes(tmp.sub("in.f32"), in.data(), in.size() * 4);
  run_python("f16 " + tmp.sub("in.f32") + " " + tmp.sub("out.f16"));
  const std::string ref = read_bytes(tmp.sub("out.f16"));
  ASSERT_EQ(ref.size(), in.size() * 2);
  std::vector<std::uint16_t> bulk(in.size());
  floats_to_halves(in.data(), bulk.data(), in.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::uint16_t want;
    std::memcpy(&want, ref.data() + 2 * i, 2);
    if (float_to_half(in[i]) != want || bulk[i] != want) {
      if (++mismatches < 10) ADD_FAILURE() << "float " << std::hexfloat << in[i] << ": numpy " << std::hex << want;
    }
  }
  EXPECT_EQ(mismatches, 0u);

  run_python("f16to32 " + tmp.sub("back.f32"));
  const std::string back = read_bytes(tmp.sub("back.f32"));
  ASSERT_EQ(back.size(), 65536u * 4);
  std::vector<std::uint16_t> all(65536);
  for (std::size_t h = 0; h < all.size(); ++h) all[h] = static_cast<std::uint16_t>(h);
  std::vector<float> bulk_back(all.size());
  halves_to_floats(all.data(), bulk_back.data(), all.size());
  for (std::size_t h = 0; h < all.size(); ++h) {
    const float scalar = half_to_float(all[h]);
    ASSERT_EQ(std::memcmp(&scalar, back.data() + 4 * h, 4), 0) << "half " << std::hex << h;
    ASSERT_EQ(std::memcmp(&bulk_back[h], back.data() + 4 * h, 4), 0) << "half " << std::hex << h;
  }
}

TEST(PythonInterop, Float16DatasetReadsIdenticallyInPython) {
  REQUIRE_NUMPY();
  write_and_compare(Dtype::kFloat16);
}

TEST(PythonInterop, Float32DatasetReadsIdenticallyInPython) {
  REQUIRE_NUMPY();
  write_and_compare(Dtype::kFloat32);
}
