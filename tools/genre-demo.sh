#!/usr/bin/env bash
# genre-demo: the main job on a built-in default, with no user data. It
# generates a small synthetic FMA download (official layout, MP3s, three bad
# files among them), converts it into train/val/test shards with
# fma-convert, the way a real fma_small download is converted, and reads the
# shards back with the C++ reader. Usage: genre-demo [WORK-DIR]
set -euo pipefail
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/genre-demo.XXXXXX")}
mkdir -p "$work"
echo "== generating a synthetic FMA tree in $work/fma (120 tracks of 10 s, 3 of them bad)"
fma-synth --out "$work/fma" --tracks 120 --duration 10 --seed 1 \
  --bad-missing 1 --bad-non-audio 1 --bad-too-short 1 >/dev/null

echo "== fma-convert: decode, melspec, specresize 224x224, datasetsink"
rc=0
fma-convert --audio "$work/fma/fma_small" --metadata "$work/fma/fma_metadata" --out "$work/dataset" \
  --min-duration 5 --progress-interval 5 >"$work/summary.txt" || rc=$?
# 1 = finished, with the bad files listed in failures.csv; anything else is a real failure.
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
  cat "$work/summary.txt" >&2
  exit "$rc"
fi
echo "failures.csv:"
sed 's/^/  /' "$work/dataset/failures.csv"

echo "== reading the shards back"
dataset-info "$work/dataset"
echo "dataset in $work/dataset (manifest.json, <split>-NNNNNN.tar); summary in $work/summary.txt"
