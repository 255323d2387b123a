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
# and datasetsink's share of the conversion, against `--fakesink` (the same
# pipelines ending in fakesink).
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

best_decode=""; best_raw=""; best_nosink=""; best_convert=""; rss=""
for round in 1 2; do
  rm -rf "$tmp/dec" "$tmp/raw" "$tmp/nosink" "$tmp/out"
  "$build/tools/fma-convert" "${common[@]}" --out "$tmp/raw" --decode-only-passthrough >/dev/null 2>&1
  r=$(field "$tmp/raw/summary.json" wall_time_s)
  "$build/tools/fma-convert" "${common[@]}" --out "$tmp/dec" --decode-only >/dev/null 2>&1
  d=$(field "$tmp/dec/summary.json" wall_time_s)
  "$build/tools/fma-convert" "${common[@]}" --out "$tmp/nosink" --fakesink >/dev/null 2>&1
  n=$(field "$tmp/nosink/summary.json" wall_time_s)
  "$build/tools/fma-convert" "${common[@]}" --out "$tmp/out" >/dev/null 2>"$tmp/err" || {
    cat "$tmp/err" >&2; exit 1; }
  c=$(field "$tmp/out/summary.json" wall_time_s)
  rss=$(field "$tmp/out/summary.json" peak_rss_kb)
  anon=$(field "$tmp/out/summary.json" peak_anon_rss_kb)
  best_decode=$($py -c "print(min(x for x in [$d, ${best_decode:-$d}]))")
  best_raw=$($py -c "print(min(x for x in [$r, ${best_raw:-$r}]))")
  best_nosink=$($py -c "print(min(x for x in [$n, ${best_nosink:-$n}]))")
  best_convert=$($py -c "print(min(x for x in [$c, ${best_convert:-$c}]))")
  echo "round $round: decode passthrough ${r}s, decode to melspec's PCM ${d}s, into fakesink ${n}s, conversion ${c}s"
done
converted=$(field "$tmp/out/summary.json" converted)
$py - "$tracks" "$workers" "$seconds" "$best_decode" "$best_convert" "$rss" "$converted" "$(nproc)" "$anon" "$best_raw" "$best_nosink" <<'PY'
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
nosink = float(sys.argv[11])
print(f"datasetsink's share of the conversion: {100 * (conv - nosink) / conv:.2f}% (same pipelines into fakesink: {nosink:.2f} s)")
print(f"throughput: {rate:.2f} tracks/s, {rate / min(workers, cores):.2f} tracks/s per core")
print(f"projected on this machine with {workers} workers: fma_small (8,000) {hms(8000 / rate)}, "
      f"fma_large (106,574) {hms(106574 / rate)}")
print(f"peak RSS of the conversion: {rss / 1024:.1f} MiB (anonymous memory peak {int(sys.argv[9]) / 1024:.1f} MiB; "
      "the rest is file-backed: the libraries and plugins)")
PY

# Wall times on a shared machine are noisy at the 2% level: count datasetsink's
# instructions instead (callgrind counts are repeatable), 8 tracks, 1 worker.
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
  rm -rf "$tmp/cg"
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$build/tools/fma-convert" \
    --audio "$tmp/tree/fma_small" --metadata "$tmp/tree/fma_metadata" --workers 1 --limit 8 \
    --progress-interval 3600 --out "$tmp/cg" >/dev/null 2>&1
  callgrind_annotate --inclusive=yes --threshold=100 "$tmp/cg.out" 2>/dev/null | $py -c '
import re, sys
total = sink = 0
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \(", line)
    if not m: continue
    n = int(m.group(1).replace(",", ""))
    if "PROGRAM TOTALS" in line: total = n
    # datasetsink entry points: events (EOS commits a clip), buffers, finalize
    elif re.search(r"(sink_event|render)\(_GstBaseSink|close_writer\(_GstDatasetSink", line): sink += n
print(f"datasetsink instructions: {100 * sink / total:.2f}% of the conversion (callgrind, 8 tracks; target < 2%)")'
fi

