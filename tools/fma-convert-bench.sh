#!/usr/bin/env bash
# Benchmark of fma-convert against decoding alone, on the same generated MP3s
# with the same worker count:
#   ratio = conversion wall time / decode-only wall time
#           (decode-only = filesrc ! decodebin ! audioconvert ! audioresample ! fakesink,
#            run by `fma-convert --decode-only`, same threads and track list)
# plus tracks/s per core, projected times for fma_small (8,000) and fma_large
# (106,574), and peak RSS of the conversion.
# usage: fma-convert-bench.sh BUILD_DIR [TRACKS=100] [WORKERS=nproc] [SECONDS=30]
set -euo pipefail
build=${1:?usage: fma-convert-bench.sh BUILD_DIR [TRACKS] [WORKERS] [SECONDS]}
tracks=${2:-100}
workers=${3:-$(nproc)}
seconds=${4:-30}
export GST_PLUGIN_PATH="$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
py=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fma-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$build/tools/fma-synth" --out "$tmp/tree" --tracks "$tracks" --duration "$seconds" --seed 7 \
  --workers "$workers" >/dev/null
cat "$tmp"/tree/fma_small/*/*.mp3 >/dev/null  # page cache warm for both runs
common=(--audio "$tmp/tree/fma_small" --metadata "$tmp/tree/fma_metadata" --workers "$workers"
        --progress-interval 3600)
field() { $py -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

best_decode=""; best_convert=""; rss=""
for round in 1 2; do
  rm -rf "$tmp/dec" "$tmp/out"
  "$build/tools/fma-convert" "${common[@]}" --out "$tmp/dec" --decode-only >/dev/null 2>&1
  d=$(field "$tmp/dec/summary.json" wall_time_s)
  "$build/tools/fma-convert" "${common[@]}" --out "$tmp/out" >/dev/null 2>"$tmp/err" || {
    cat "$tmp/err" >&2; exit 1; }
  c=$(field "$tmp/out/summary.json" wall_time_s)
  rss=$(field "$tmp/out/summary.json" peak_rss_kb)
  anon=$(field "$tmp/out/summary.json" peak_anon_rss_kb)
  best_decode=$($py -c "print(min(x for x in [$d, ${best_decode:-$d}]))")
  best_convert=$($py -c "print(min(x for x in [$c, ${best_convert:-$c}]))")
  echo "round $round: decode-only ${d}s, conversion ${c}s"
done
converted=$(field "$tmp/out/summary.json" converted)
$py - "$tracks" "$workers" "$seconds" "$best_decode" "$best_convert" "$rss" "$converted" "$(nproc)" "$anon" <<'PY'
import sys
tracks, workers, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
dec, conv, rss, converted, cores = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
rate = tracks / conv
def hms(s): return f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m"
print(f"tracks {tracks} x {secs:g} s, workers {workers}, cores {cores}, converted {converted}")
print(f"decode-only wall {dec:.2f} s, conversion wall {conv:.2f} s")
print(f"ratio conversion/decode-only: {conv / dec:.3f} (target <= 1.25)")
print(f"throughput: {rate:.2f} tracks/s, {rate / min(workers, cores):.2f} tracks/s per core")
print(f"projected on this machine with {workers} workers: fma_small (8,000) {hms(8000 / rate)}, "
      f"fma_large (106,574) {hms(106574 / rate)}")
print(f"peak RSS of the conversion: {rss / 1024:.1f} MiB (anonymous memory peak {int(sys.argv[9]) / 1024:.1f} MiB; "
      "the rest is clean page cache of shards mapped by datasetsink, at most one shard per worker)")
PY
