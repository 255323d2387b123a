#!/usr/bin/python3
"""genre-train's training throughput against a PyTorch eager loop measured in the same run.

usage: train-bench.py BUILD_DIR [--work DIR] [--models cnn,resnet18] [--workers N]
                      [--genre-train PATH] [--no-loader]

For each model (cnn on 128x128x1 images, resnet18 on 224x224x3, batch 32, 2 threads):
  - a dataset made by the real tools (fma-synth, then fma-convert with melspec/specresize),
    3 s windows with a short hop so that a few hundred tracks give thousands of samples;
  - genre-train --regime standard --epochs 2 --patience 0: train_samples_per_s of each epoch
    from RUN/metrics.jsonl; the figure is the best epoch (the first includes the warm-up:
    TorchScript's profiling runs, the allocator's first pages, the loader's first batches);
  - the same architecture, optimiser and loss in Python eager mode (Debian's python3-torch,
    the same LibTorch), torch.set_num_threads(2), on random batches already in memory (no
    loading cost at all: a conservative baseline), the same number of steps as one
    genre-train epoch, timed after a warm-up, once before and once after genre-train (the
    machine is shared; the figure is the better of the two);
  - data loading alone: tests/loader/bench_loader's BatchLoader figure for the same sample
    shape (float16 shards, shuffled, no augmentation, genre-train's worker count; bench_loader
    writes its own dataset of that shape, it takes no dataset argument), against the samples/s
    that genre-train's model consumes.
Targets: genre-train >= 0.95x the Python loop; loader >= 10x the model. Missing a target is
printed (MISS), not an error: the machine is shared and noisy. Exit status 1 only when
something failed to run.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from bench_common import BenchError, load_average, make_windowed_dataset, run

BATCH = 32
THREADS = 2
SPEED_TARGET = 0.95
LOADER_TARGET = 10.0

# Each dataset: tracks x seconds of generated audio, cut into 130-frame (3 s) windows every
# `hop` frames; fma-convert's stratified 80/10/10 split needs ~10 tracks per genre for a test
# split. cnn: 4,992 training windows (156 steps per epoch); resnet18: 384 (12 steps, ~2.5 s
# each on an idle machine).
DATASETS = {
    "cnn": dict(tracks=160, seconds=10, hop=8,
                image="specresize width=128 height=128"),
    "resnet18": dict(tracks=160, seconds=4, hop=30,
                     image="specresize width=224 height=224 channels=3 colormap=viridis normalization=imagenet"),
}
# The optimiser and label smoothing of lib/train/train_config.cpp's standard regime.
RECIPES = {
    "cnn": dict(optimizer="adam", lr=1e-3, weight_decay=0.0, label_smoothing=0.0),
    "resnet18": dict(optimizer="adamw", lr=1e-4, weight_decay=1e-2, label_smoothing=0.1),
}


def make_dataset(build, work, model):
    """The dataset for `model` under work/, made once (reused when --work keeps it)."""
    spec = DATASETS[model]
    return make_windowed_dataset(build, os.path.join(work, model + "-data"), spec["tracks"], spec["seconds"],
                                 spec["image"], spec["hop"], THREADS)


def dataset_facts(data):
    manifest = json.load(open(os.path.join(data, "manifest.json")))
    train = manifest["splits"]["train"]["samples"]
    return dict(shape=[int(d) for d in manifest["sample_shape"]], classes=len(manifest["classes"]["fine"]),
                train=train)


def genre_train_rates(binary, data, work, model, workers):
    """train_samples_per_s of each epoch of a standard genre-train run."""
    out = os.path.join(work, model + "-run")
    shutil.rmtree(out, ignore_errors=True)
    args = [binary, "--data", data, "--out", out, "--model", model, "--regime", "standard", "--epochs", "2",
            "--patience", "0", "--threads", str(THREADS), "--batch-size", str(BATCH)]
    if workers is not None:
        args += ["--workers", str(workers)]
    run(args)
    with open(os.path.join(out, "metrics.jsonl")) as f:
        rates = [json.loads(line)["train_samples_per_s"] for line in f if line.strip()]
    shutil.rmtree(out, ignore_errors=True)
    if len(rates) != 2:
        raise BenchError(f"{out}/metrics.jsonl: expected 2 epochs, found {len(rates)}")
    return rates


def python_model(model, shape, classes):
    """lib/model's architecture as an eager nn.Module (PyTorch's default initialisation)."""
    import torch.nn as nn
    if model == "cnn":  # lib/model/cnn.cpp, layer for layer
        def conv_out(n, kernel, stride):
            return (n - kernel) // stride + 1

        def extent(n):  # what conv 5/2, pool 2, conv 3/2, pool 4 leave of one axis
            return conv_out(conv_out(n, 5, 2) // 2, 3, 2) // 4

        c, h, w = shape
        flat = 32 * extent(h) * extent(w)
        return nn.Sequential(
            nn.Conv2d(c, 16, 5, stride=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, stride=2), nn.ReLU(), nn.MaxPool2d(4),
            nn.BatchNorm2d(32), nn.Dropout(0.6), nn.Flatten(),
            nn.Linear(flat, 1000), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(1000, 500), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(500, classes))
    import torchvision
    net = torchvision.models.resnet18(num_classes=classes)
    net.fc = nn.Sequential(nn.Dropout(0.5), net.fc)  # lib/model's head dropout (0.5) before fc
    return net


def python_rate(model, shape, classes, steps, warmup):
    """Samples/s of the eager training loop over `steps` steps after `warmup` steps."""
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    net = python_model(model, shape, classes).train()
    r = RECIPES[model]
    optimiser = (torch.optim.Adam if r["optimizer"] == "adam" else torch.optim.AdamW)(
        net.parameters(), lr=r["lr"], weight_decay=r["weight_decay"])
    batches = [(torch.randn(BATCH, *shape), torch.randint(classes, (BATCH,))) for _ in range(4)]

    def step(i):
        x, y = batches[i % len(batches)]
        loss = F.cross_entropy(net(x), y, label_smoothing=r["label_smoothing"])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        return loss.item()  # genre-train reads each step's loss too

    for i in range(warmup):
        step(i)
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    return steps * BATCH / (time.perf_counter() - start)


def loader_rates(build):
    """{(channels, height, width): {(augmented, workers): samples/s}} from bench_loader's output."""
    binary = os.path.join(build, "tests", "loader", "bench_loader")
    if not os.access(binary, os.X_OK):
        raise BenchError(f"{binary}: not built (configure with -Dtests=enabled), needed for the loader figure")
    # bench_loader exits 1 when its own targets miss; its figures are what we want either way.
    p = subprocess.run([binary], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rates, shape = {}, None
    for line in p.stdout.splitlines():
        m = re.match(r"(\d+)x(\d+)x(\d+) float16", line)
        if m:
            h, w, c = (int(v) for v in m.groups())
            shape = (c, h, w)
            rates[shape] = {}
            continue
        m = re.match(r"\s*loader, (plain|augmented),\s+(\d+) workers?\s*:\s*([\d.]+) samples/s", line)
        if m and shape:
            rates[shape][(m.group(1) == "augmented", int(m.group(2)))] = float(m.group(3))
    if not rates:
        raise BenchError(f"{binary} printed no figures (exit {p.returncode}):\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return rates


def verdict(value, target):
    return "PASS" if value >= target else "MISS"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build", help="the meson build root")
    parser.add_argument("--work", help="keep datasets here and reuse them (default: a temporary directory)")
    parser.add_argument("--models", default="cnn,resnet18", help="comma-separated: cnn, resnet18")
    parser.add_argument("--workers", type=int, help="genre-train --workers (default: genre-train's default, 2)")
    parser.add_argument("--genre-train", help="the genre-train binary (default: BUILD/tools/genre-train)")
    parser.add_argument("--no-loader", action="store_true", help="skip the data loading measurement")
    a = parser.parse_args()
    build = os.path.abspath(a.build)
    binary = a.genre_train or os.path.join(build, "tools", "genre-train")
    models = [m for m in a.models.split(",") if m]
    for m in models:
        if m not in DATASETS:
            parser.error(f"unknown model '{m}' (cnn, resnet18)")
    workers = a.workers if a.workers is not None else 2
    work = a.work or tempfile.mkdtemp(prefix="train-bench-")
    os.makedirs(work, exist_ok=True)
    print(f"genre-train throughput, batch {BATCH}, {THREADS} threads, {os.cpu_count()} cores; "
          f"load average at start {load_average()}", flush=True)
    rows = []
    try:
        loader = loader_rates(build) if not a.no_loader else {}
        for model in models:
            data = make_dataset(build, work, model)
            facts = dataset_facts(data)
            steps = -(-facts["train"] // BATCH)
            warmup = 3 if model == "cnn" else 2
            print(f"{model}: {facts['train']} training samples {'x'.join(map(str, facts['shape']))}, "
                  f"{facts['classes']} classes, {steps} steps per epoch", flush=True)
            before = python_rate(model, facts["shape"], facts["classes"], steps, warmup)
            epochs = genre_train_rates(binary, data, work, model, a.workers)
            after = python_rate(model, facts["shape"], facts["classes"], steps, warmup)
            print(f"  genre-train epochs: {', '.join('%.1f' % r for r in epochs)} samples/s; "
                  f"Python before/after: {before:.1f} / {after:.1f} samples/s; load {load_average()}", flush=True)
            lrate = loader.get(tuple(facts["shape"]), {}).get((False, workers))
            rows.append((model, max(epochs), max(before, after), lrate))
    except BenchError as e:
        print(f"train-bench: {e}", file=sys.stderr)
        return 1
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'model':<10} {'genre-train/s':>13} {'Python/s':>9} {'ratio':>6}  {'>=0.95':<6} "
          f"{'loader/s':>9} {'loader/model':>12}  {'>=10':<4}")
    for model, cpp, py, lrate in rows:
        ratio = cpp / py
        lcol = f"{lrate:9.0f} {lrate / cpp:12.1f}  {verdict(lrate / cpp, LOADER_TARGET):<4}" if lrate else \
            f"{'n/a':>9} {'n/a':>12}  -"
        print(f"{model:<10} {cpp:13.1f} {py:9.1f} {ratio:6.3f}  {verdict(ratio, SPEED_TARGET):<6} {lcol}")
    print(f"\ngenre-train: best of its 2 epochs; Python: better of the loops before and after genre-train; "
          f"loader: bench_loader, same sample shape, float16, shuffled, no augmentation, {workers} workers")
    print(f"load average at end {load_average()} ({os.cpu_count()} cores, shared: figures are noisy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
