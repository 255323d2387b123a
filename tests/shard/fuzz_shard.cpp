// libFuzzer target over everything that parses untrusted shard bytes: the tar
// scan, the npy header parser (+ conversion), the whole-shard indexer, the
// manifest reader, and a model bundle's JSON (BundleInfo::from_json, lib/model/bundle_info,
// then the inference pipeline plan made from its preprocessing). Any crash, ASan report or
// exception other than the readers' own errors (ShardError, BundleError, InferError) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "infer/infer_error.h"
#include "infer/pipeline_plan.h"
#include "model/bundle_info.h"
#include "shard/manifest.h"
#include "shard/npy_format.h"
#include "shard/shard_error.h"
#include "shard/shard_index.h"
#include "shard/tar_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int mode = data[0] % 6;
  // An exact-size heap copy, so reading one byte past the input is an ASan error.
  const std::size_t n = size - 1;
  std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[n ? n : 1]);
  if (n) std::memcpy(buf.get(), data + 1, n);
  try {
    switch (mode) {
      case 0: {
        for (const auto& m : genre::shard::scan_tar(buf.get(), n, "fuzz.tar"))
          if (m.data_offset + m.size > n) __builtin_trap();
        break;
      }
      case 1: {
        const auto v = genre::shard::parse_npy(buf.get(), n, "fuzz.npy");
        std::vector<float> out(static_cast<std::size_t>(v.element_count()));
        genre::shard::npy_to_float32(v, out.data());
        break;
      }
      case 2: {
        const auto idx = genre::shard::index_shard(buf.get(), n, "fuzz.tar");
        for (const auto& s : idx.samples)
          if (s.data_offset + s.data_size > n || s.json_offset + s.json_size > n) __builtin_trap();
        break;
      }
      case 3: {
        const auto j = nlohmann::json::parse(buf.get(), buf.get() + n, nullptr, false);
        if (!j.is_discarded()) (void)genre::shard::Manifest::from_json(j, "fuzz manifest").to_json().dump();
        break;
      }
      case 4: {
        const auto j = nlohmann::json::parse(buf.get(), buf.get() + n, nullptr, false);
        if (!j.is_discarded()) (void)genre::shard::classes_to_json(genre::shard::classes_from_json(j, "fuzz bundle")).dump();
        break;
      }
      case 5: {
        const auto j = nlohmann::json::parse(buf.get(), buf.get() + n, nullptr, false);
        if (j.is_discarded()) break;
        const auto info = genre::model::BundleInfo::from_json(j, "fuzz bundle");
        (void)info.to_json().dump();
        for (bool live : {false, true}) {
          try {
            (void)genre::infer::plan_pipeline(info.preprocessing, {1.0, live});
          } catch (const genre::infer::InferError&) {
          }
        }
        break;
      }
    }
  } catch (const genre::shard::ShardError&) {
    // The expected outcome for malformed input.
  } catch (const genre::model::BundleError&) {
  }
  return 0;
}
