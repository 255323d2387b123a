#!/usr/bin/env python3
"""Soak benchmark: live audio through melspec ! specresize ! genreclassify for a long time
(an hour by default), resident memory sampled every minute, and the RSS slope reported.

Two gst-launch-1.0 processes run side by side on the same live source settings:
  classify: audiotestsrc is-live=true ! ... ! melspec ! specresize ! genreclassify ! fakesink
  baseline: the same pipeline without genreclassify
so the figure that matters, the classifier's growth, is printed next to a baseline measured
in the same run on the same (shared, noisy) machine. The first samples (warm-up: LibTorch's
allocator pools, GStreamer's buffer pools) are left out of the slope.

Usage (from a build tree, e.g. `meson devenv -C build`):
  soak-live.py --make-bundle build/tests/infer/make_test_bundle [--minutes 60] [--interval 60]
  soak-live.py --model cnn.pt --middle "melspec ... ! specresize ..." [--minutes 60]
Exit status: 0 when both pipelines ran the whole time and genre messages kept arriving.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

# The reference small-CNN setup: 128 mel bands, 3 s windows with a 1 s hop, 128x128 images.
DEFAULT_MIDDLE = ("melspec sample-rate=22050 n-mels=128 ! "
                  "specresize window-frames=129 hop-frames=43 width=128 height=128")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def slope_per_hour(times_s, values):
    """Least-squares slope of values over time, in units per hour."""
    n = len(values)
    if n < 2:
        return float("nan")
    mt = sum(times_s) / n
    mv = sum(values) / n
    den = sum((t - mt) ** 2 for t in times_s)
    return 3600.0 * sum((t - mt) * (v - mv) for t, v in zip(times_s, values)) / den


class Pipeline:
    def __init__(self, name, description):
        self.name = name
        self.messages = 0
        self.last_line = ""
        self.proc = subprocess.Popen(["gst-launch-1.0", "-m", "-e"] + description.split(),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if "): genre," in line:
                self.messages += 1
            elif "ERROR" in line or "WARNING" in line:
                self.last_line = line.strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: -e turns it into EOS, a clean shutdown
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a genre-train bundle (default: one made with --make-bundle)")
    ap.add_argument("--make-bundle", help="path of make_test_bundle, used when --model is absent")
    ap.add_argument("--middle", default=DEFAULT_MIDDLE,
                    help="the melspec ! specresize part the bundle was trained with")
    ap.add_argument("--minutes", type=float, default=60.0, help="how long to run (default 60)")
    ap.add_argument("--interval", type=float, default=60.0, help="seconds between RSS samples")
    ap.add_argument("--warmup", type=int, default=3, help="samples left out of the slope")
    ap.add_argument("--csv", help="write the samples here too")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="soak-")
    model = args.model
    if not model:
        if not args.make_bundle:
            ap.error("give --model or --make-bundle")
        model = os.path.join(tmp.name, "cnn.pt")
        subprocess.run([args.make_bundle, model, "cnn", args.middle], check=True)

    source = ("audiotestsrc is-live=true wave=pink-noise samplesperbuffer=1024 ! "
              "audio/x-raw,rate=22050,channels=1 ! audioconvert ! audioresample")
    classify = Pipeline("classify", f"{source} ! {args.middle} ! genreclassify model={model} "
                        "! fakesink sync=false")
    baseline = Pipeline("baseline", f"{source} ! {args.middle} ! fakesink sync=false")
    pipelines = [classify, baseline]

    samples = []  # (seconds, classify KiB, baseline KiB, classify messages)
    start = time.monotonic()
    end = start + 60.0 * args.minutes
    print(f"soak: {args.minutes:g} min of live audio, RSS every {args.interval:g} s", flush=True)
    print(f"{'min':>6} {'classify MiB':>13} {'baseline MiB':>13} {'genre msgs':>11}", flush=True)
    failed = None
    next_sample = start + min(args.interval, 10.0)  # a first sample soon after start-up
    while True:
        now = time.monotonic()
        if now >= next_sample:
            for p in pipelines:
                if p.proc.poll() is not None:
                    failed = f"{p.name} pipeline exited {p.proc.returncode}: {p.last_line}"
            if failed:
                break
            t = now - start
            row = (t, rss_kib(classify.proc.pid), rss_kib(baseline.proc.pid), classify.messages)
            samples.append(row)
            print(f"{t / 60:6.1f} {row[1] / 1024:13.1f} {row[2] / 1024:13.1f} {row[3]:11d}", flush=True)
            if now >= end:
                break
            k = 1
            while start + args.interval * k <= now:
                k += 1
            next_sample = start + args.interval * k
        time.sleep(max(0.0, min(next_sample, end) - time.monotonic()) + 0.01)

    for p in pipelines:
        p.stop()
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("seconds,classify_kib,baseline_kib,genre_messages\n")
            for row in samples:
                f.write(",".join(str(round(v, 1)) for v in row) + "\n")
    if failed:
        print(f"soak: {failed}", file=sys.stderr)
        return 1

    steady = samples[args.warmup:] if len(samples) > args.warmup + 1 else samples
    times = [r[0] for r in steady]
    cls_slope = slope_per_hour(times, [r[1] / 1024 for r in steady])
    base_slope = slope_per_hour(times, [r[2] / 1024 for r in steady])
    mean_cls = sum(r[1] for r in steady) / len(steady) / 1024
    expected = (samples[-1][0] - 3.0) / 1.0  # one window per 1 s hop after the first 3 s
    print(f"soak: {samples[-1][0] / 60:.1f} min, {len(samples)} samples, slope over the last "
          f"{len(steady)} (after {args.warmup} warm-up samples)")
    print(f"soak: classify RSS {mean_cls:.1f} MiB mean, slope {cls_slope:+.2f} MiB/h "
          f"({100 * cls_slope / mean_cls:+.2f} %/h of its RSS)")
    print(f"soak: baseline RSS slope {base_slope:+.2f} MiB/h; classify minus baseline "
          f"{cls_slope - base_slope:+.2f} MiB/h")
    print(f"soak: {classify.messages} genre messages (~{expected:.0f} windows expected at a 1 s hop)")
    if classify.messages < 0.9 * expected:
        print("soak: genre messages stopped arriving", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
