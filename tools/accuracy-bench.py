#!/usr/bin/python3
"""Accuracy benchmark on real GTZAN clips: the new recipe(s) beside the reference cnn two-stage
and the classical MFCC mean/std + SVM baseline, on exactly the same track-level folds.

usage: accuracy-bench.py [--build BUILD] [--work DIR] [--data-root ROOT] [--folds 5]
                         [--seeds 1,2,3] [--recipes cnn,shortchunk] [--threads N] [--fresh]
                         [--svm-only] [--quiet]

  1. Each recipe's dataset: fma-convert --folders ROOT with the recipe's pipeline (float32),
     made once per work dir (WORK/data/NAME; remade when its command changes).
  2. Each recipe x seed: genre-train --cv K --seed S (WORK/runs/RECIPE/seed-S; a run whose
     report.json exists is reused, unless --fresh or its command changed). Its report gives the
     per-fold track top-1 (cv.fine.track_top1.values), its folds.json the folds.
  3. Every recipe of one seed must have the same folds (else the comparison is meaningless:
     exit 1). MFCC mean/std + SVM (accuracy_baselines.py) trains on each fold's train+val tracks
     and is tested on its held-out tracks, track keys mapped to clips by the dataset's sample
     JSONs ("track_id", "relative_path").
  4. One Markdown table: mean ± std over folds x seeds, the per-seed means and their std, the
     margin of each new recipe over the SVM (target >= 10 points) and over the cnn two-stage
     (target >= 20 points), as a difference of means and as the mean ± std of the per-fold
     paired differences (same folds), and each run's wall time; also WORK/accuracy.md and
     WORK/accuracy.json. A missed target is printed (MISS), not an error.

--svm-only runs the SVM alone: on the folds.json of an existing run of the work dir when there is
one for the seed, otherwise on sklearn StratifiedKFold(K, shuffle, seed) folds of all the clips.
Exit status: 0 done, 1 something failed, 77 (meson's skip) when the data folder is absent.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accuracy_baselines as baselines  # noqa: E402
from bench_common import BenchError  # noqa: E402

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_ROOT = os.path.normpath(os.path.join(SOURCE_ROOT, "..", "shared", "data", "gtzan-dev",
                                                  "genres_original"))
SKIP_MESSAGE = "accuracy-bench: skipped: ../shared/data/gtzan-dev is absent (a fresh clone has no ../shared)"

# ---------------------------------------------------------------------------------------------
# What to run: edit here.
# ---------------------------------------------------------------------------------------------
MELSPEC = "audioconvert ! audioresample ! melspec sample-rate=22050"
# Dataset name -> fma-convert --pipeline (the middle part between decodebin and datasetsink).
DATASETS = {
    # The reference cnn's input: 128x128 images of 3 s windows (130 frames), hop 1.5 s.
    "cnn128": MELSPEC + " ! specresize width=128 height=128 window-frames=130 hop-frames=65",
    # shortchunk's input: native resolution, 128 frames (2.97 s) x 128 mel bands, no resizing, dB
    # re-referenced to 1 (not to each window's maximum, so random gain means loudness), windows
    # every 22 frames (0.51 s): random time crops in training, dense windows at test time.
    "native128": MELSPEC + " ! specresize width=128 height=128 window-frames=128 hop-frames=22 db-ref=one "
                           "normalization=none",
}
# Recipes, in table order. role: "reference" (the cnn two-stage the margins are taken over) or
# "new" (a recipe under test); flags: genre-train's model/regime/recipe flags.
RECIPES = [
    dict(name="cnn", label="cnn two-stage (reference)", role="reference", dataset="cnn128",
         flags=["--model", "cnn", "--regime", "two-stage"]),
    dict(name="shortchunk", label="shortchunk (recommended)", role="new", dataset="native128",
         flags=["--model", "shortchunk", "--regime", "standard"]),
]
SVM_LABEL = "MFCC mean/std + SVM"
TARGET_OVER_SVM = 10.0  # points
TARGET_OVER_REFERENCE = 20.0  # points


def convert_command(root, out, pipeline, threads):
    cmd = ["fma-convert", "--folders", root, "--out", out, "--pipeline", pipeline,
           "--sink-properties", "dtype=float32"]
    if threads:
        cmd += ["--workers", str(threads)]
    return cmd


def train_command(data, recipe, folds, seed, out):
    """Without --threads (added by run_training, kept out of the reuse stamp)."""
    return ["genre-train", "--data", data, *recipe["flags"], "--cv", str(folds), "--seed", str(seed), "--out", out]


def report_fold_values(report):
    """Per-fold held-out track top-1 (fractions) of a genre-train --cv report.json."""
    return [float(v) for v in report["cv"]["fine"]["track_top1"]["values"]]


# ---------------------------------------------------------------------------------------------
# Running the tools
# ---------------------------------------------------------------------------------------------
def tool_env(build):
    return dict(os.environ, GST_PLUGIN_PATH=os.path.join(build, "plugins"),
                PATH=os.path.join(build, "tools") + os.pathsep + os.environ.get("PATH", ""))


def check_tool(build, name):
    if not os.access(os.path.join(build, "tools", name), os.X_OK):
        raise BenchError(f"{os.path.join(build, 'tools', name)} is missing: build {build} first")


def run_logged(cmd, env, log_path, prefix, quiet):
    """Runs cmd, its stdout+stderr into log_path (and onto our stdout, prefixed, unless quiet)."""
    tail = []
    with open(log_path, "w") as log:
        log.write("$ " + shlex.join(cmd) + "\n")
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        for line in p.stdout:
            log.write(line)
            tail = (tail + [line])[-40:]
            if not quiet:
                print(prefix + line, end="", flush=True)
        rc = p.wait()
    if rc != 0:
        raise BenchError(f"{shlex.join(cmd)} exited {rc} (log: {log_path}):\n{''.join(tail)}")


def load_json(path):
    with open(path) as f:
        return json.load(f)


def dump_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=1)


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


def read_stamp(path):
    try:
        return load_json(path)
    except (OSError, ValueError):
        return None


def make_dataset(a, name, env):
    """WORK/data/NAME, converted once; remade when the conversion command changed."""
    out = os.path.join(a.work, "data", name)
    stamp_path = out + ".bench.json"
    cmd = convert_command(a.data_root, out, DATASETS[name], None)
    stamp = read_stamp(stamp_path)
    if os.path.isfile(os.path.join(out, "manifest.json")) and not a.fresh_data:
        if stamp is not None and stamp.get("command") == cmd:
            return out, stamp.get("wall_s")
        print(f"accuracy-bench: dataset {name}: its conversion command changed: converting again")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    print(f"accuracy-bench: converting {a.data_root} into {out}", flush=True)
    start = time.monotonic()
    run_logged(convert_command(a.data_root, out, DATASETS[name], a.threads), env, out + ".log",
               f"  [convert {name}] ", a.quiet)
    wall = time.monotonic() - start
    dump_json(stamp_path, {"command": cmd, "wall_s": wall})
    return out, wall


def run_training(a, recipe, data, seed, env):
    """report.json, folds.json and wall seconds (None: reused without a timing) of one run."""
    run = os.path.join(a.work, "runs", recipe["name"], f"seed-{seed}")
    stamp_path = run + ".bench.json"
    cmd = train_command(data, recipe, a.folds, seed, run)
    stamp = read_stamp(stamp_path)
    done = os.path.isfile(os.path.join(run, "report.json"))
    if done and not a.fresh and (stamp is None or stamp.get("command") == cmd):
        print(f"accuracy-bench: {recipe['name']} seed {seed}: reusing {run}")
        wall = stamp.get("wall_s") if stamp else None
    else:
        if done and not a.fresh:
            print(f"accuracy-bench: {recipe['name']} seed {seed}: its command changed: training again")
        elif os.path.isdir(run):
            print(f"accuracy-bench: {recipe['name']} seed {seed}: {'--fresh' if a.fresh else 'unfinished run'}: "
                  "starting it again")
        shutil.rmtree(run, ignore_errors=True)
        os.makedirs(os.path.dirname(run), exist_ok=True)
        full = cmd + (["--threads", str(a.threads)] if a.threads else [])
        print(f"accuracy-bench: {recipe['name']} seed {seed}: {shlex.join(full)}", flush=True)
        start = time.monotonic()
        run_logged(full, env, run + ".log", f"  [{recipe['name']} s{seed}] ", a.quiet)
        wall = time.monotonic() - start
        dump_json(stamp_path, {"command": cmd, "wall_s": wall})
    report = load_json(os.path.join(run, "report.json"))
    folds = load_folds(os.path.join(run, "folds.json"))
    values = report_fold_values(report)
    if len(values) != len(folds["folds"]):
        raise BenchError(f"{run}: {len(values)} fold values in report.json, {len(folds['folds'])} folds in folds.json")
    return values, folds, wall


# ---------------------------------------------------------------------------------------------
# Folds and the dataset's track -> clip map
# ---------------------------------------------------------------------------------------------
def load_folds(path):
    """folds.json ({"group", "folds": [{"train", "val", "held_out"}]}), checked: a fold's
    held-out tracks are disjoint from its training tracks, and the held-out sets partition the
    pool."""
    f = load_json(path)
    pool = None
    seen = set()
    for k, fold in enumerate(f["folds"]):
        fit, held = set(fold["train"]) | set(fold["val"]), set(fold["held_out"])
        if not held or fit & held:
            raise BenchError(f"{path}: fold {k + 1}: empty held-out set, or held-out tracks also in train/val")
        if seen & held:
            raise BenchError(f"{path}: fold {k + 1}: a track is held out in two folds")
        seen |= held
        pool = fit | held if pool is None else pool
        if fit | held != pool:
            raise BenchError(f"{path}: fold {k + 1} covers other tracks than fold 1")
    if pool is not None and seen != pool:
        raise BenchError(f"{path}: the held-out sets do not cover the pool")
    return f


def canonical_folds(f):
    """What must agree between recipes of one seed: each fold's train, val and held-out sets."""
    return [(sorted(d["train"]), sorted(d["val"]), sorted(d["held_out"])) for d in f["folds"]]


def check_same_folds(seed, folds_by_recipe):
    names = list(folds_by_recipe)
    first = canonical_folds(folds_by_recipe[names[0]])
    for name in names[1:]:
        if canonical_folds(folds_by_recipe[name]) != first:
            raise BenchError(f"seed {seed}: {name} got other folds than {names[0]} (compare their folds.json): "
                             "the accuracies are not comparable")


def dataset_tracks(data):
    """track key -> clip path relative to the data root, from the sample JSONs of DS's shards
    (tarfile, only the .json members). The project's other Python shard readers
    (tests/shard/read_with_python.py, tests/train/test_genre_train_e2e.py's read_split_samples)
    are test-local, check other things and read the tensors; none is importable from tools/.
    A candidate for bench_common.py once a second tool needs it."""
    manifest = load_json(os.path.join(data, "manifest.json"))
    tracks = {}
    for shard in manifest["shards"]:
        with tarfile.open(os.path.join(data, shard["name"])) as tar:
            for m in tar.getmembers():
                key, ext = m.name.split(".", 1)
                if ext != "json":
                    continue
                meta = json.loads(tar.extractfile(m).read())
                track = meta.get("track_id", key.split("_w")[0])
                if "relative_path" not in meta:
                    raise BenchError(f"{data}/{shard['name']}: sample {key} has no \"relative_path\" in its json")
                path = meta["relative_path"]
                if tracks.setdefault(track, path) != path:
                    raise BenchError(f"{data}: track {track} has samples of two clips: {tracks[track]} and {path}")
    return tracks


def clip_label(rel_path):
    """GTZAN's layout: the folder is the label."""
    parts = rel_path.replace("\\", "/").split("/")
    if len(parts) < 2:
        raise BenchError(f"clip path {rel_path} has no genre folder")
    return parts[-2]


def svm_on_folds(data_root, tracks, folds, seed):
    """Per-fold held-out accuracy of MFCC mean/std + SVM trained on each fold's train+val."""
    values = []
    for k, fold in enumerate(folds["folds"]):
        missing = [t for t in fold["train"] + fold["val"] + fold["held_out"] if t not in tracks]
        if missing:
            raise BenchError(f"fold {k + 1}: tracks missing from the dataset: {missing[:5]}")
        fit = sorted(fold["train"] + fold["val"])
        held = sorted(fold["held_out"])
        values.append(baselines.svm_accuracy(
            [os.path.join(data_root, tracks[t]) for t in fit], [clip_label(tracks[t]) for t in fit],
            [os.path.join(data_root, tracks[t]) for t in held], [clip_label(tracks[t]) for t in held], seed))
    return values


def existing_run_folds(work, seed):
    """(folds, track map, run) of the first recipe with a finished run of this seed in WORK
    and its dataset, or None."""
    for r in RECIPES:
        run = os.path.join(work, "runs", r["name"], f"seed-{seed}")
        data = os.path.join(work, "data", r["dataset"])
        if os.path.isfile(os.path.join(run, "folds.json")) and os.path.isfile(os.path.join(data, "manifest.json")):
            return load_folds(os.path.join(run, "folds.json")), dataset_tracks(data), os.path.relpath(run, work)
    return None


def sklearn_folds(data_root, k, seed):
    """{track: path} and folds.json-like folds of StratifiedKFold over all clips (keys = paths);
    val is empty (the SVM trains on train+val anyway)."""
    rel, labels = baselines.list_clips(data_root)
    tracks = {p: p for p in rel}
    folds = [{"train": [rel[i] for i in tr], "val": [], "held_out": [rel[i] for i in te]}
             for tr, te in baselines.stratified_folds(labels, k, seed)]
    return tracks, {"group": "none (sklearn StratifiedKFold, no genre-train run)", "folds": folds}


# ---------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------
def summarise(label, role, per_seed, walls):
    """per_seed: {seed: [fold values]}; walls: {seed: seconds or None}."""
    every = [v for vals in per_seed.values() for v in vals]
    mean, std = baselines.mean_std(every)
    seed_means = {s: float(np.mean(v)) for s, v in per_seed.items()}
    _, seed_std = baselines.mean_std(list(seed_means.values()))
    return dict(label=label, role=role, values={str(s): v for s, v in per_seed.items()}, mean=mean, std=std,
                seed_means={str(s): m for s, m in seed_means.items()}, seed_std=seed_std,
                wall_s={str(s): w for s, w in walls.items()})


def margin(new, over, target):
    """Difference of means, and mean ± std of the per-fold paired differences, in points."""
    diffs = [100 * (a - b) for s in new["values"] for a, b in zip(new["values"][s], over["values"][s])]
    paired_mean, paired_std = baselines.mean_std(diffs)
    points = 100 * (new["mean"] - over["mean"])
    return dict(recipe=new["label"], over=over["label"], points=points, target=target, met=points >= target,
                paired_mean=paired_mean, paired_std=paired_std, pairs=len(diffs))


def pct(x):
    return f"{100 * x:.1f}"


def wall_text(walls):
    known = [w for w in walls.values() if w is not None]
    if not known:
        return "n/a"
    text = " / ".join("?" if w is None else f"{w:.0f}" if w >= 10 else f"{w:.1f}" for w in walls.values()) + " s"
    return text + (f" (total {sum(known) / 60:.1f} min)" if len(known) > 1 else "")


def render(result):
    """The Markdown of accuracy.md (also printed)."""
    seeds = result["seeds"]
    lines = [f"# Accuracy on gtzan-dev: {result['clips']} clips ({result['tracks_in_folds']} in the folds), "
             f"{result['folds']}-fold track-level CV, "
             f"seeds {', '.join(map(str, seeds))}", "",
             f"Folds: {result['fold_source']} (group: {result['group']}). Accuracies in %, "
             "std over folds x seeds (n − 1).", "",
             "| method | track top-1 mean ± std (folds×seeds) | per-seed means | std of seed means | wall time per seed |",
             "|---|---|---|---|---|"]
    for m in result["methods"]:
        per_seed = " / ".join(pct(m["seed_means"][str(s)]) for s in seeds)
        lines.append(f"| {m['label']} | {pct(m['mean'])} ± {pct(m['std'])} | {per_seed} | {pct(m['seed_std'])} | "
                     f"{wall_text(m['wall_s'])} |")
    lines.append("")
    for g in result["margins"]:
        lines.append(f"margin of {g['recipe']} over {g['over']}: {g['points']:+.1f} points (target >= "
                     f"{g['target']:.0f}) {'ok' if g['met'] else 'MISS'}; per fold, paired: "
                     f"{g['paired_mean']:+.1f} ± {g['paired_std']:.1f} over {g['pairs']} folds")
    if result.get("datasets"):
        lines.append("")
        for name, d in result["datasets"].items():
            w = "reused" if d["wall_s"] is None else f"{d['wall_s']:.0f} s"
            lines.append(f"dataset {name}: `{d['pipeline']}` (conversion {w})")
    lines.append("")
    lines.append("Per fold (seed: fold values, %):")
    lines.append("")
    for m in result["methods"]:
        per_fold = "; ".join(f"{s}: " + " ".join(f"{100 * v:.0f}" for v in m["values"][str(s)]) for s in seeds)
        lines.append(f"- {m['label']}: {per_fold}")
    return "\n".join(lines) + "\n"


def write_outputs(work, result):
    os.makedirs(work, exist_ok=True)
    text = render(result)
    print()
    print(text, end="")
    write_text(os.path.join(work, "accuracy.md"), text)
    dump_json(os.path.join(work, "accuracy.json"), result)
    print(f"\nwritten: {os.path.join(work, 'accuracy.md')}, {os.path.join(work, 'accuracy.json')}")


# ---------------------------------------------------------------------------------------------
def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(SOURCE_ROOT, "build"), help="meson build directory")
    ap.add_argument("--work", default=None, help="work directory (default BUILD/accuracy-bench)")
    ap.add_argument("--data-root", default=DEFAULT_DATA_ROOT, help="GTZAN-layout folder tree: ROOT/<genre>/*.wav")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--recipes", default=",".join(r["name"] for r in RECIPES),
                    help="subset of: " + ", ".join(r["name"] for r in RECIPES))
    ap.add_argument("--threads", type=int, default=None, help="genre-train --threads (and fma-convert --workers)")
    ap.add_argument("--fresh", action="store_true", help="redo every training run")
    ap.add_argument("--fresh-data", action="store_true", help="convert the datasets again")
    ap.add_argument("--svm-only", action="store_true", help="the SVM baseline alone (see above)")
    ap.add_argument("--quiet", action="store_true", help="do not echo the tools' progress (it is in WORK/**.log)")
    a = ap.parse_args(argv)
    a.build = os.path.abspath(a.build)
    a.work = os.path.abspath(a.work or os.path.join(a.build, "accuracy-bench"))
    a.data_root = os.path.abspath(a.data_root)
    a.seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
    names = [r["name"] for r in RECIPES]
    a.recipes = [s.strip() for s in a.recipes.split(",") if s.strip()]
    unknown = [r for r in a.recipes if r not in names]
    if unknown:
        ap.error(f"--recipes: unknown {', '.join(unknown)} (known: {', '.join(names)})")
    if a.folds < 2:
        ap.error("--folds must be at least 2")
    return a


def bench(a):
    clips, _ = baselines.list_clips(a.data_root)
    recipes = [r for r in RECIPES if r["name"] in a.recipes] if not a.svm_only else []
    result = dict(data_root=a.data_root, clips=len(clips), folds=a.folds, seeds=a.seeds, methods=[], margins=[],
                  datasets={})
    svm_runs, svm_walls, runs, groups, sources = {}, {}, {}, set(), set()
    env = tool_env(a.build)
    datasets = {}
    if recipes:
        check_tool(a.build, "fma-convert")
        check_tool(a.build, "genre-train")
        for name in dict.fromkeys(r["dataset"] for r in recipes):
            datasets[name], wall = make_dataset(a, name, env)
            result["datasets"][name] = dict(pipeline=DATASETS[name], wall_s=wall)
    track_maps = {name: dataset_tracks(path) for name, path in datasets.items()}
    for name, tracks in track_maps.items():  # one track key = one clip in every dataset
        first = next(iter(track_maps))
        if tracks != track_maps[first]:
            raise BenchError(f"datasets {first} and {name} map track keys to clips differently")
    for seed in a.seeds:
        folds_by_recipe = {}
        for r in recipes:
            values, folds, wall = run_training(a, r, datasets[r["dataset"]], seed, env)
            runs.setdefault(r["name"], ({}, {}))
            runs[r["name"]][0][seed], runs[r["name"]][1][seed] = values, wall
            folds_by_recipe[r["name"]] = folds
        if folds_by_recipe:
            check_same_folds(seed, folds_by_recipe)
            first = next(iter(folds_by_recipe))
            folds = folds_by_recipe[first]
            tracks = track_maps[next(r["dataset"] for r in recipes if r["name"] == first)]
            sources.add("genre-train's folds.json (identical for every recipe of a seed)")
        else:
            found = existing_run_folds(a.work, seed)
            if found:
                folds, tracks, where = found
                sources.add(f"folds.json of the existing runs ({where}, ...)")
            else:
                tracks, folds = sklearn_folds(a.data_root, a.folds, seed)
                sources.add("sklearn StratifiedKFold(shuffle=True, random_state=seed) over all clips")
        if len(folds["folds"]) != a.folds:
            raise BenchError(f"seed {seed}: {len(folds['folds'])} folds, --folds {a.folds}")
        groups.add(folds.get("group", "?"))
        result["tracks_in_folds"] = len({t for f in folds["folds"] for t in f["held_out"]})
        start = time.monotonic()
        svm_runs[seed] = svm_on_folds(a.data_root, tracks, folds, seed)
        svm_walls[seed] = time.monotonic() - start
        print(f"accuracy-bench: seed {seed}: {SVM_LABEL}: " + " ".join(pct(v) for v in svm_runs[seed]) +
              (" | " + " | ".join(f"{n}: " + " ".join(pct(v) for v in runs[n][0][seed]) for n in runs) if runs else ""),
              flush=True)
    svm = summarise(SVM_LABEL, "baseline", svm_runs, svm_walls)
    result["methods"].append(svm)
    summaries = {r["name"]: summarise(r["label"], r["role"], *runs[r["name"]]) for r in recipes}
    result["methods"] += list(summaries.values())
    reference = next((summaries[r["name"]] for r in recipes if r["role"] == "reference"), None)
    for r in recipes:
        if r["role"] == "new":
            result["margins"].append(margin(summaries[r["name"]], svm, TARGET_OVER_SVM))
            if reference is not None:
                result["margins"].append(margin(summaries[r["name"]], reference, TARGET_OVER_REFERENCE))
    result["fold_source"] = "; ".join(sorted(sources))
    result["group"] = ", ".join(sorted(groups))
    write_outputs(a.work, result)
    return result


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if not os.path.isdir(a.data_root):
        print(SKIP_MESSAGE if a.data_root == os.path.abspath(DEFAULT_DATA_ROOT)
              else f"accuracy-bench: skipped: {a.data_root} is absent")
        return 77
    try:
        bench(a)
    except (BenchError, OSError, KeyError, ValueError) as e:
        print(f"accuracy-bench: {type(e).__name__ + ': ' if not isinstance(e, BenchError) else ''}{e}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
