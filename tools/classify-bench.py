#!/usr/bin/python3
"""genre-classify before and after a change: files/s and per-file latency of two builds
on the same generated files, in the same run (the runs alternate, so machine load hits
both alike), and whether both give the same verdicts.

usage: classify-bench.py --old OLD --new NEW [--files 16] [--seconds 20] [--repeats 5] [--live-seconds 10] [--model M.pt]

OLD and NEW are build directories (or copies holding tools/genre-classify and plugins/*.so).
The bundle: NEW/tests/infer/make_test_bundle's cnn (64 mel bands, 3 s windows every second,
64x64 images, seeded weights), unless --model names one. Measured per build, median of the
repeats:
  files/s -j N    every file, N parallel pipelines (N = cores, genre-classify's default)
  files/s -j 1    every file, one pipeline: the element's forward passes in its streaming thread
  latency         one file, -j 1: process start to verdict (model load, decode, inference)
and, with NEW/tests/infer/bench_classify built, each build's plugin in the same live pipeline
(bench_classify's part 2: audiotestsrc is-live=true, a leaky queue, genreclassify): inference
latency per window, from its arrival at genreclassify to its `genre` message, p50 and p99 of the
p50s over the repeats, for the cnn (128x128) and resnet18 (224x224x3).
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MIDDLE = "melspec sample-rate=22050 n-mels=64 ! specresize window-frames=129 hop-frames=43 width=64 height=64"
WAVES = ["sine", "square", "saw", "triangle", "pink-noise", "white-noise", "red-noise", "blue-noise"]


def make_files(directory, count, seconds):
    buffers = int(seconds * 44100 / 1024)
    paths = []
    for i in range(count):
        path = os.path.join(directory, f"track{i:03d}.wav")
        wave = WAVES[i % len(WAVES)]
        subprocess.run(["gst-launch-1.0", "-q", "audiotestsrc", f"num-buffers={buffers}", f"wave={wave}",
                        f"freq={220 + 37 * i}", "!", "audioconvert", "!", "wavenc", "!", "filesink",
                        f"location={path}"], check=True, capture_output=True, timeout=120)
        paths.append(path)
    return paths


class Build:
    def __init__(self, name, root, scratch):
        self.name = name
        self.tool = os.path.join(root, "tools", "genre-classify")
        if not os.access(self.tool, os.X_OK):
            sys.exit(f"classify-bench: {self.tool} is missing (build it: ninja -C {root} tools/genre-classify)")
        self.env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(root, "plugins"),
                        GST_REGISTRY=os.path.join(scratch, f"registry-{name}.bin"))

    def run(self, args):
        start = time.monotonic()
        p = subprocess.run([self.tool] + args, capture_output=True, text=True, env=self.env, timeout=1800)
        took = time.monotonic() - start
        if p.returncode != 0:
            sys.exit(f"classify-bench: {self.name}: genre-classify {' '.join(args)} failed ({p.returncode}):\n"
                     f"{p.stderr}")
        return took, p.stdout


LIVE_LINE = re.compile(r"^\s+(cnn|resnet18) .*-> at genreclassify p50\s+([\d.]+) ms p99\s+([\d.]+) ms .*"
                       r"-> genre message p50\s+([\d.]+) ms p99\s+([\d.]+) ms")


def live_latency(bench, build, seconds):
    """model -> (p50, p99) ms from a window's arrival at genreclassify to its message."""
    p = subprocess.run([bench, "5", str(seconds), "1"], capture_output=True, text=True, env=build.env, timeout=1800)
    if p.returncode != 0:
        sys.exit(f"classify-bench: {build.name}: bench_classify failed ({p.returncode}):\n{p.stderr}")
    out = {}
    for line in p.stdout.splitlines():
        m = LIVE_LINE.match(line)
        if m:
            arrive50, arrive99, msg50, msg99 = map(float, m.groups()[1:])
            out[m.group(1)] = (msg50 - arrive50, msg99 - arrive99)
    if set(out) != {"cnn", "resnet18"}:
        sys.exit(f"classify-bench: {build.name}: no live latency lines in bench_classify's output:\n{p.stdout}")
    return out


def verdicts(stdout):
    """file -> (verdict, rounded scores) from --format json."""
    out = {}
    for line in stdout.splitlines():
        j = json.loads(line)
        if j.get("type") == "file":
            out[j["file"]] = (j["verdict"], [round(t["score"], 4) for t in j["top"]])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--files", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--model")
    ap.add_argument("--live-seconds", type=int, default=10, help="per model and build; 0: no live latency")
    a = ap.parse_args()

    scratch = tempfile.mkdtemp(prefix="classify-bench-")
    try:
        builds = [Build("old", a.old, scratch), Build("new", a.new, scratch)]
        model = a.model
        if not model:
            model = os.path.join(scratch, "cnn.pt")
            subprocess.run([os.path.join(a.new, "tests", "infer", "make_test_bundle"), model, "cnn", MIDDLE],
                           check=True, capture_output=True, timeout=600, env=builds[1].env)
        files_dir = os.path.join(scratch, "files")
        os.makedirs(files_dir)
        files = make_files(files_dir, a.files, a.seconds)
        cores = os.cpu_count() or 1

        # Warm-up (registry, page cache) and the verdict comparison.
        same = [verdicts(b.run(["-m", model, "-q", "--format", "json", files_dir])[1]) for b in builds]
        cases = [(f"files/s -j {cores}", ["-j", str(cores), files_dir], len(files)),
                 ("files/s -j 1", ["-j", "1", files_dir], len(files)),
                 ("latency, 1 file (s)", ["-j", "1", files[0]], None)]
        results = {(label, b.name): [] for label, _, _ in cases for b in builds}
        for _ in range(a.repeats):
            for label, args, count in cases:
                for b in builds:
                    took, _ = b.run(["-m", model, "-q"] + args)
                    results[(label, b.name)].append(count / took if count else took)

        print(f"genre-classify before/after: {len(files)} generated files of {a.seconds:g} s, cnn 64x64, "
              f"3 s windows every 1 s, {cores} cores, median of {a.repeats} alternating runs")
        print(f"  {'':24} {'old':>9} {'new':>9} {'new/old':>8}")
        for label, _, _ in cases:
            old = statistics.median(results[(label, 'old')])
            new = statistics.median(results[(label, 'new')])
            print(f"  {label:24} {old:9.3f} {new:9.3f} {new / old:8.3f}")
        bench = os.path.join(a.new, "tests", "infer", "bench_classify")
        if a.live_seconds > 0 and not os.access(bench, os.X_OK):
            print(f"  (no live latency: build it first, `ninja -C {a.new} tests/infer/bench_classify`)")
        if a.live_seconds > 0 and os.access(bench, os.X_OK):
            live = {b.name: [] for b in builds}
            for _ in range(a.repeats):
                for b in builds:
                    live[b.name].append(live_latency(bench, b, a.live_seconds))
            for model in ("cnn", "resnet18"):
                for i, what in enumerate(("p50", "p99")):
                    old = statistics.median(r[model][i] for r in live["old"])
                    new = statistics.median(r[model][i] for r in live["new"])
                    print(f"  {model + ' inference ' + what + ' (ms)':24} {old:9.1f} {new:9.1f} "
                          f"{new / old if old > 0 else float('nan'):8.3f}")
        print(f"  same verdicts and scores (4 decimals) for every file: {'yes' if same[0] == same[1] else 'NO'}")
        return 0 if same[0] == same[1] else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
