#!/usr/bin/env bash
# Benchmark of fma-convert against decoding alone, on the same generated MP3s
# with the same worker count:
#   ratio = conversion wall time / decode-only wall time, against two baselines
#   run by fma-convert itself (same threads, track list and pipeline reuse):
#   - `--decode-only`: decodebin ! audioconvert ! audioresample to the mono
#     22050 Hz F32 that melspec gets ! fakesink: the cost of our elements;
#   - `--decode-only-passthrough`: the same string with nothing after
#     audioresample, so fakesink takes the decoder's own format and nothing is
#     downmixed or resampled: decoding alone.
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

best_decode=""; best_raw=""; best_convert=""; rss=""
for round in 1 2; do
  rm -rf "$tmp/dec" "$tmp/raw" "$tmp/out"
  "$build/tools/fma-convert" "${common[@]}" --out "$tmp/raw" --decode-only-passthrough >/dev/null 2>&1
  r=$(field "$tmp/raw/summary.json" wall_time_s)
  "$build/tools/fma-convert" "${common[@]}" --out "$tmp/dec" --decode-only >/dev/null 2>&1
  d=$(field "$tmp/dec/summary.json" wall_time_s)
  "$build/tools/fma-convert" "${common[@]}" --out "$tmp/out" >/dev/null 2>"$tmp/err" || {
    cat "$tmp/err" >&2; exit 1; }
  c=$(field "$tmp/out/summary.json" wall_time_s)
  rss=$(field "$tmp/out/summary.json" peak_rss_kb)
  anon=$(field "$tmp/out/summary.json" peak_anon_rss_kb)
  best_decode=$($py -c "print(min(x for x in [$d, ${best_decode:-$d}]))")
  best_raw=$($py -c "print(min(x for x in [$r, ${best_raw:-$r}]))")
  best_convert=$($py -c "print(min(x for x in [$c, ${best_convert:-$c}]))")
  echo "round $round: decode passthrough ${r}s, decode to melspec's PCM ${d}s, conversion ${c}s"
done
converted=$(field "$tmp/out/summary.json" converted)
$py - "$tracks" "$workers" "$seconds" "$best_decode" "$best_convert" "$rss" "$converted" "$(nproc)" "$anon" "$best_raw" <<'PY'
import sys
tracks, workers, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
dec, conv, rss, converted, cores = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
rate = tracks / conv
def hms(s): return f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m"
print(f"tracks {tracks} x {secs:g} s, workers {workers}, cores {cores}, converted {converted}")
raw = float(sys.argv[10])
print(f"decode passthrough {raw:.2f} s, decode to melspec's PCM {dec:.2f} s, conversion {conv:.2f} s (wall)")
print(f"ratio conversion / decode to melspec's PCM: {conv / dec:.3f} (target <= 1.25)")
print(f"ratio conversion / decode passthrough:      {conv / raw:.3f} (downmix + resampling included)")
print(f"throughput: {rate:.2f} tracks/s, {rate / min(workers, cores):.2f} tracks/s per core")
print(f"projected on this machine with {workers} workers: fma_small (8,000) {hms(8000 / rate)}, "
      f"fma_large (106,574) {hms(106574 / rate)}")
print(f"peak RSS of the conversion: {rss / 1024:.1f} MiB (anonymous memory peak {int(sys.argv[9]) / 1024:.1f} MiB; "
      "the rest is clean page cache of shards mapped by datasetsink, at most one shard per worker)")
PY
