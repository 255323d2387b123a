#!/usr/bin/python3
"""Data-parallel genre-train: samples/s with 1 process and with --nproc 2 on this machine, the
same global batch, and the share of a step the ranks spend waiting on gradient all-reduces.

usage: dist-bench.py BUILD_DIR [--work DIR] [--model cnn] [--batch 32] [--epochs 2] [--cores N]

A dataset made by the real tools (fma-synth, fma-convert with melspec/specresize, 128x128x1,
3 s windows); then `genre-train --regime standard --patience 0 --batch-size B` once as one
process with --threads N (the machine's cores), once as --nproc 2 with --threads N/2 per
rank (both use the whole machine: what data parallelism gains or loses on it), and once as one
process with N/2 threads (the work of one rank: the ideal 2-process figure is twice it). The figure of a run is its best epoch's train_samples_per_s (the first includes
warm-up); the all-reduce share is rank 0's allreduce_wait_s / epoch time from metrics.jsonl
(waiting the backward pass did not hide). Prints the figures; exit status 1 only when a run failed.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

from bench_common import BenchError, load_average, make_windowed_dataset, run


def make_dataset(build, work, cores):
    return make_windowed_dataset(build, os.path.join(work, "dist-data"), tracks=120, seconds=8,
                                 image="specresize width=128 height=128", hop=16, workers=cores)


def train(binary, data, out, model, batch, epochs, threads, nproc):
    shutil.rmtree(out, ignore_errors=True)
    args = [binary, "--data", data, "--out", out, "--model", model, "--regime", "standard", "--epochs",
            str(epochs), "--patience", "0", "--batch-size", str(batch), "--threads", str(threads),
            "--workers", "1"]
    if nproc > 1:
        args += ["--nproc", str(nproc)]
    run(args)
    with open(os.path.join(out, "metrics.jsonl")) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    shutil.rmtree(out, ignore_errors=True)
    if len(rows) != epochs:
        raise BenchError(f"{out}/metrics.jsonl: expected {epochs} epochs, found {len(rows)}")
    best = max(rows, key=lambda r: r["train_samples_per_s"])
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--work")
    ap.add_argument("--model", default="cnn")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    binary = os.path.join(a.build, "tools", "genre-train")
    work = a.work or tempfile.mkdtemp(prefix="dist-bench-")
    os.makedirs(work, exist_ok=True)
    try:
        data = make_dataset(a.build, work, a.cores)
        manifest = json.load(open(os.path.join(data, "manifest.json")))
        print(f"dataset: {manifest['splits']['train']['samples']} training samples "
              f"{'x'.join(str(d) for d in manifest['sample_shape'])}; model {a.model}, global batch {a.batch}, "
              f"{a.epochs} epochs; {a.cores} cores; load average {load_average()}")
        half = max(1, a.cores // 2)
        one = train(binary, data, os.path.join(work, "run-1"), a.model, a.batch, a.epochs, a.cores, 1)
        two = train(binary, data, os.path.join(work, "run-2"), a.model, a.batch, a.epochs, half, 2)
        one_half = train(binary, data, os.path.join(work, "run-1h"), a.model, a.batch, a.epochs, half, 1) \
            if half != a.cores else one
        r1, r2, rh = one["train_samples_per_s"], two["train_samples_per_s"], one_half["train_samples_per_s"]
        print(f"1 process   x {a.cores} threads   : {r1:8.1f} samples/s")
        if half != a.cores:
            print(f"1 process   x {half} thread(s) : {rh:8.1f} samples/s")
        print(f"2 processes x {half} thread(s) : {r2:8.1f} samples/s (c10d Gloo, loopback)")
        print(f"ratio 2 processes / 1 process with all cores: {r2 / r1:.2f}x")
        if half != a.cores:
            print(f"ratio 2 processes / 1 process with the threads of one rank: {r2 / rh:.2f}x (ideal 2)")
        print(f"all-reduce wait (rank 0): {two['allreduce_wait_s']:.2f} s of {two['seconds']:.1f} s epoch, "
              f"{100 * two['allreduce_share']:.1f}% of the training time")
    except BenchError as e:
        print(f"dist-bench: {e}", file=sys.stderr)
        return 1
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
