#!/bin/sh
# Builds the shard-parsing fuzz target with clang (libFuzzer + ASan + UBSan)
# and runs it for a bounded time. Exit 77 (meson: skipped) without clang or
# its fuzzer runtime (Debian: clang, libclang-rt-14-dev).
# Usage: run_fuzz.sh SOURCE_ROOT BUILD_DIR SECONDS
set -eu
src=$1
out=$2/fuzz-shard
seconds=$3
CXX=${FUZZ_CXX:-clang++}
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "SKIP: $CXX not found (install clang and libclang-rt-14-dev)"; exit 77
fi
mkdir -p "$out/corpus"
lib=$src/lib/shard
if ! "$CXX" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$src/lib" "$src/tests/shard/fuzz_shard.cpp" "$lib/tar_format.cpp" "$lib/npy_format.cpp" \
    "$lib/float16.cpp" "$lib/shard_index.cpp" "$lib/manifest.cpp" "$lib/file_io.cpp" \
    "$src/lib/base/errno_text.cpp" "$src/lib/base/file_sync.cpp" "$src/lib/base/atomic_file.cpp" \
    "$src/lib/digest/digest.cpp" "$src/lib/model/bundle_info.cpp" "$src/lib/taxonomy/genre_tree.cpp" \
    "$src/lib/infer/pipeline_plan.cpp" \
    "$src/lib/infer/preprocessing_check.cpp" "$src/lib/dsp/melspec_parameters.cpp" "$src/lib/dsp/melspec_config.cpp" \
    "$src/lib/dsp/mel_filterbank.cpp" "$src/lib/dsp/mel_scale.cpp" "$src/lib/dsp/window.cpp" \
    "$src/lib/image/specresize_parameters.cpp" "$src/lib/image/image_config.cpp" "$src/lib/image/frame_windower.cpp" \
    -lcrypto \
    -o "$out/fuzz_shard" 2>"$out/build.log"; then
  if grep -q "libclang_rt.fuzzer\|fsanitize=fuzzer" "$out/build.log"; then
    echo "SKIP: $CXX has no libFuzzer runtime (install libclang-rt-14-dev)"; cat "$out/build.log"; exit 77
  fi
  cat "$out/build.log"; exit 1
fi
# Seeds: a valid one-sample shard, an npy file, a manifest, a bundle's class lists and a whole
# bundle.json (a sliding-window model's), each behind its mode byte.
if [ -x /usr/bin/python3 ]; then
  /usr/bin/python3 - "$out/corpus" <<'PY'
import io, os, sys, tarfile, json
d = sys.argv[1]
npy = (b"\x93NUMPY\x01\x00v\x00{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2, 2), }"
       .ljust(127, b" ") + b"\n" + b"\x00\x3c" * 4)
tar = io.BytesIO()
with tarfile.open(fileobj=tar, mode="w", format=tarfile.USTAR_FORMAT) as t:
    for name, data in [("k_w0.npy", npy), ("k_w0.cls", b"1"), ("k_w0.macro.cls", b"-1"), ("k_w0.json", b"{}")]:
        info = tarfile.TarInfo(name); info.size = len(data); info.mode = 0o444
        t.addfile(info, io.BytesIO(data))
shard = tar.getvalue()
manifest = json.dumps({"format": "genre-webdataset", "version": 1, "dtype": "float16", "sample_shape": [1, 2, 2],
                       "classes": None, "preprocessing": [], "shards": [{"name": "train-000000.tar", "split": "train",
                       "samples": 1, "bytes": len(shard), "sha256": "0" * 64, "fine_counts": {"1": 1}, "macro_counts": {}}]})
classes = json.dumps({"fine": [{"index": 0, "name": "Punk", "fma_genre_id": 25, "macro": 0}],
                      "macro": [{"index": 0, "name": "Rock", "fma_genre_id": 12}]})
bundle = json.dumps({"format": "genre-bundle", "version": 1, "model": "shortchunk", "regime": "standard",
                     "target": "fine", "heads": ["fine"], "input_shape": [1, 128, 128], "multi_label": False,
                     "classes": json.loads(classes), "manifest_sha256": "0" * 64, "training": {},
                     "inference": {"hop_seconds": 1.0},
                     "preprocessing": {"genre/melspec-params": {"sample-rate": 22050, "n-fft": 2048, "hop-length": 512,
                                                                "n-mels": 128, "fmin": 0.0, "fmax": 11025.0},
                                       "genre/specresize-params": {"width": 128, "height": 128, "max-frames": 128,
                                                                   "hop-frames": 43}}})
for mode, body in [(0, shard), (1, npy), (2, shard), (3, manifest.encode()), (4, classes.encode()), (5, bundle.encode())]:
    open(os.path.join(d, "seed%d" % mode), "wb").write(bytes([mode]) + body)
PY
fi
status=0
"$out/fuzz_shard" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/" -print_final_stats=1 "$out/corpus" >"$out/fuzz.log" 2>&1 || status=$?
tail -25 "$out/fuzz.log"
[ "$status" -eq 0 ] || echo "FUZZ FAILURE: crashing input saved under $out/ (crash-*)"
exit "$status"
