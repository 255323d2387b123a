#!/usr/bin/python3
"""genre-classify before and after a change: files/s and per-file latency of two builds
on the same generated files, in the same run (the runs alternate, so machine load hits
both alike), and whether both give the same verdicts.

usage: classify-bench.py --old OLD --new NEW [--files 16] [--seconds 20] [--repeats 3] [--model M.pt]

OLD and NEW are build directories (or copies holding tools/genre-classify and plugins/*.so).
The bundle: NEW/tests/infer/make_test_bundle's cnn (64 mel bands, 3 s windows every second,
64x64 images, seeded weights), unless --model names one. Measured per build, median of the
repeats:
  files/s -j N    every file, N parallel pipelines (N = cores, genre-classify's default)
  files/s -j 1    every file, one pipeline: the element's forward passes in its streaming thread
  latency         one file, -j 1: process start to verdict (model load, decode, inference)
"""
import argparse
import json
import os
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
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model")
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
        print(f"  same verdicts and scores (4 decimals) for every file: {'yes' if same[0] == same[1] else 'NO'}")
        return 0 if same[0] == same[1] else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
