#!/usr/bin/env bash
# genre-demo: the whole system on a built-in synthetic dataset, no user data needed.
#   1. fma-synth      a synthetic FMA download (official layout, MP3s, a learnable genre
#                     hierarchy: 16 fine genres in 7 macrogenres; three bad files among them)
#   2. fma-convert    decode ! melspec ! specresize 128x128 windows ! datasetsink shards, twice:
#                     the reference CNN's squashed images and shortchunk's native-resolution windows
#   3. genre-train    cnn, two-stage (macrogenres, then fine genres) vs standard: --regime compare;
#                     beside it shortchunk, the recipe recommended for real music (a short budget here)
#   4. genre-classify held-out tracks (another seed: never seen in training), accuracy of both
#   5. tags           the verdict written into a copy of one file's tags, read back
#   6. live           a bounded live pipeline (a held-out stream paced in real time by
#                     identity sync=true) printing genre verdicts as they arrive
# Each step's result is kept: a second run reuses what is complete (an interrupted conversion
# or training resumes); --fresh starts over. Run from a build tree: meson devenv -C build genre-demo
set -euo pipefail

usage() {
  cat <<EOF
usage: genre-demo [--work DIR] [--fresh] [--tracks N] [--duration S] [--threads N]
  --work DIR     where everything goes (default: \${XDG_CACHE_HOME:-~/.cache}/gst-genre/demo)
  --fresh        delete DIR's previous demo results first
  --tracks N     synthetic training tracks (default 320: 20 per fine genre)
  --duration S   seconds per synthetic clip (default 10)
  --threads N    compute threads (default: the number of cores)
EOF
}

work="${XDG_CACHE_HOME:-$HOME/.cache}/gst-genre/demo"
fresh=0 tracks=320 duration=10 threads=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work="${2:?--work needs a directory}"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --tracks) tracks="${2:?--tracks needs a number}"; shift 2 ;;
    --duration) duration="${2:?--duration needs seconds}"; shift 2 ;;
    --threads) threads="${2:?--threads needs a number}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "genre-demo: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for tool in fma-synth fma-convert genre-train genre-classify dataset-info gst-launch-1.0 gst-discoverer-1.0; do
  command -v "$tool" >/dev/null || { echo "genre-demo: $tool not found: run it as 'meson devenv -C build genre-demo'" >&2; exit 2; }
done
gst-inspect-1.0 genreclassify >/dev/null 2>&1 ||
  { echo "genre-demo: the genreclassify element is missing (was the build configured with LibTorch?)" >&2; exit 2; }

# Results are kept per parameter set: other --tracks/--duration values start afresh.
params="tracks=$tracks duration=$duration"
if [ "$fresh" = 1 ] || { [ -f "$work/params" ] && [ "$(cat "$work/params")" != "$params" ]; }; then
  rm -rf "$work"
fi
mkdir -p "$work"
echo "$params" >"$work/params"
cd "$work"
start=$SECONDS
step() { printf '\n== [%s] %s\n' "$(date -u +%M:%S -d @$((SECONDS - start)))" "$*"; }
done_mark() { touch ".done-$1"; }
is_done() { [ -f ".done-$1" ]; }

# The reference small-CNN input (128x128 log-mel images), cut into 3 s windows with a 1.5 s hop
# so that a live stream gets a verdict every window.
middle="audioconvert ! audioresample ! melspec sample-rate=22050 n-mels=128 ! specresize window-frames=129 hop-frames=65 width=128 height=128"
# shortchunk's input: 128 mel bands x 128 frames (3 s) at native resolution, in dB, a window
# every 22 frames (0.5 s): random time crops in training, dense windows when classifying.
native="audioconvert ! audioresample ! melspec sample-rate=22050 n-mels=128 ! specresize window-frames=128 hop-frames=22 width=128 height=128 db-ref=one normalization=none"

step "1/6 fma-synth: $tracks synthetic tracks of ${duration} s (3 bad files among them) + 48 held-out tracks"
if is_done synth; then
  echo "reusing $work/fma and $work/heldout"
else
  rm -rf fma heldout
  fma-synth --out fma --tracks "$tracks" --duration "$duration" --seed 1 --workers "$threads" \
    --bad-missing 1 --bad-non-audio 1 --bad-truncated 1 >/dev/null
  # Another seed: the same genres, other keys, tempi, melodies and mixes.
  fma-synth --out heldout --tracks 48 --duration "$duration" --seed 2 --workers "$threads" >/dev/null
  done_mark synth
fi
echo "$(find fma/fma_small -name '*.mp3' | wc -l) MP3s in fma/fma_small, metadata in fma/fma_metadata"

step "2/6 fma-convert: decodebin ! $middle ! datasetsink"
if is_done convert; then
  echo "reusing $work/dataset"
else
  resume=()
  [ -f dataset/manifest.json ] && resume=(--resume)  # an interrupted conversion continues
  rc=0
  fma-convert --audio fma/fma_small --metadata fma/fma_metadata --out dataset --workers "$threads" \
    --pipeline "$middle" --min-duration 5 --progress-interval 2 "${resume[@]}" >convert-summary.json || rc=$?
  # 1 = finished, the bad files listed in failures.csv; anything else is a real failure.
  [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { echo "genre-demo: fma-convert failed ($rc)" >&2; exit 1; }
  rc=0
  fma-convert --audio fma/fma_small --metadata fma/fma_metadata --out dataset-native --workers "$threads" \
    --pipeline "$native" --min-duration 5 --progress-interval 2 "${resume[@]}" >convert-native-summary.json || rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { echo "genre-demo: fma-convert (native windows) failed ($rc)" >&2; exit 1; }
  done_mark convert
fi
echo "failures.csv (the injected bad files, skipped with a reason; nothing else):"
sed 's/^/  /' dataset/failures.csv
dataset-info dataset >dataset-info.txt  # (a file, not a pipe into head: no SIGPIPE under pipefail)
head -n 12 dataset-info.txt

step "3/6 genre-train: cnn, two-stage vs standard (--regime compare), $threads threads"
if is_done train; then
  echo "reusing $work/run"
else
  if [ -f run/config.json ]; then
    genre-train --resume run --threads "$threads" >train.log  # an interrupted run continues
  else
    rm -rf run
    genre-train --data dataset --model cnn --regime compare --out run --threads "$threads" >train.log
  fi
  done_mark train
fi
cat train.log
model=run/two_stage/model.pt
echo
echo "shortchunk (native-resolution windows, the recipe for real music; a short budget here: 6 epochs of 4 windows per track):"
if is_done train-shortchunk; then
  echo "reusing $work/run-shortchunk"
else
  if [ -f run-shortchunk/config.json ]; then
    genre-train --resume run-shortchunk --threads "$threads" >train-shortchunk.log
  else
    rm -rf run-shortchunk
    genre-train --data dataset-native --model shortchunk --epochs 6 --windows-per-track 4 --out run-shortchunk \
      --threads "$threads" >train-shortchunk.log
  fi
  done_mark train-shortchunk
fi
grep -E "^test|^run:|^bundle:" train-shortchunk.log || tail -n 5 train-shortchunk.log

step "4/6 genre-classify: 48 held-out tracks the models never saw"
genre-classify -m run-shortchunk/model.pt --format csv -q -j "$threads" heldout/fma_small >heldout-shortchunk.csv
genre-classify -m "$model" --format csv -q -j "$threads" heldout/fma_small >heldout-verdicts.csv
# Scores a verdict CSV against the held-out tree's own labels (first line: the accuracy), and
# picks three tracks of different macrogenres for the live step.
score() {
  /usr/bin/python3 - "$@" <<'PY'
import csv, os, sys
meta, verdicts, live_list = sys.argv[1:4]
genres = {r["genre_id"]: r for r in csv.DictReader(open(os.path.join(meta, "genres.csv")))}
rows = list(csv.reader(open(os.path.join(meta, "tracks.csv"))))  # FMA's 3-row header
column = [f"{a}.{b}" for a, b in zip(rows[0], rows[1])].index("track.genres")
truth = {}
for r in rows[3:]:
    first = r[column].strip("[]").split(",")[0].strip()
    if first:
        truth[r[0]] = genres[first]
got = list(csv.DictReader(open(verdicts)))
track = lambda v: os.path.splitext(os.path.basename(v["file"]))[0].lstrip("0")
right = sum(v["verdict"] == truth[track(v)]["title"] for v in got)
print(f"held-out accuracy: {right}/{len(got)} tracks = {100 * right / max(1, len(got)):.1f}% "
      f"(chance {100 / len({g['title'] for g in truth.values()}):.1f}%)")
for v in got[:6]:
    print(f"  {os.path.basename(v['file'])}: {v['verdict']:<20} {float(v['score']):.2f}  "
          f"(truly {truth[track(v)]['title']})")
picked, macros = [], set()
for v in sorted(got, key=lambda v: v["file"]):
    top = truth[track(v)]["top_level"]
    if top not in macros and len(picked) < 3:
        macros.add(top)
        picked.append(v["file"])
open(live_list, "w").write("\n".join(picked) + "\n")
PY
}
score heldout/fma_metadata heldout-shortchunk.csv /dev/null >heldout-shortchunk.txt
echo "shortchunk:    $(head -n 1 heldout-shortchunk.txt)"
echo "cnn two-stage: (the live step's model)"
score heldout/fma_metadata heldout-verdicts.csv live-tracks.txt

step "5/6 tags: the verdict written into a copy of one held-out file"
sample=$(find heldout/fma_small -name '*.mp3' | sort | head -n 1)
mkdir -p tagged
cp "$sample" tagged/
tagged="tagged/$(basename "$sample")"
genre_tag() { gst-discoverer-1.0 -v "$1" >discoverer.txt; grep -i -m1 'genre:' discoverer.txt | sed 's/^ *//' || echo "no genre tag"; }
echo "before (fma-synth's own tag): $(genre_tag "$tagged")"
genre-classify -m "$model" --write-tags --genre-format macro/fine -q "$tagged"
echo "after, read back:            $(genre_tag "$tagged")"

step "6/6 live: three held-out tracks as one stream, paced in real time, verdicts as they arrive"
# Concatenated MP3s are a valid MP3 stream (as internet radio sends them); identity sync=true
# plays it at real-time speed, so verdicts come once per window hop like a live source.
xargs cat <live-tracks.txt >live-stream.mp3
sed 's/^/  /' live-tracks.txt
timeout 300 genre-classify -m "$model" --live --source \
  "filesrc location=live-stream.mp3 ! decodebin ! audioconvert ! identity sync=true" --format text

step "done in $((SECONDS - start)) s"
cat <<EOF
  dataset      $work/dataset           (manifest.json, train/val/test-NNNNNN.tar, failures.csv)
  training run $work/run                (two_stage/ and standard/: model.pt, checkpoints, metrics.csv)
  report       $work/run/report.md      (both regimes beside the reference figures)
  plots        $work/run/two_stage/confusion_fine.png, .../learning_curves.png
  bundle       $work/$model  (torch.jit.load, genreclassify, genre-classify)
  shortchunk   $work/run-shortchunk/model.pt  (the recipe for real music, on $work/dataset-native)

On a real FMA download (https://github.com/mdeff/fma: fma_metadata.zip + fma_small.zip):
  fma-convert --audio fma_small --metadata fma_metadata --out fma_small-128 \\
    --pipeline "audioconvert ! audioresample ! melspec sample-rate=22050 ! specresize width=128 height=128"
  genre-train --data fma_small-128 --model cnn --regime compare --out runs/cnn
  genre-train --data fma_small-224 --model resnet18 --init resnet18.pt --regime two-stage --out runs/r18
  genre-classify -m runs/cnn/two_stage/model.pt --write-tags ~/Music
On real music in genre folders (GTZAN's genres_original/<genre>/, or your Music/<Genre>/...):
  fma-convert --folders genres_original --out gtzan --sink-properties dtype=float32 \
    --pipeline "$native"
  genre-train --data gtzan --model shortchunk --out runs/gtzan
  genre-classify -m runs/gtzan/model.pt --write-tags ~/Music
See README.md (real music, GPU training, clusters) and pipelines/*.md.
EOF
