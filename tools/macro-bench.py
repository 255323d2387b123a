#!/usr/bin/python3
"""Which macrogenres help the two-stage regime: the hand-made 12 (annex), FMA's top level, groups
found from data (auto:K) and the dataset's own grouping, trained with the same seed, data and
folds, in one table.

usage: macro-bench.py --data DS --out DIR [--choices annex,top-level,auto:4] [--model shortchunk]
                      [--cv 5] [--seed 1] [--threads 1] [--build BUILD] [-- GENRE-TRAIN FLAGS...]

Each choice runs `genre-train --data DS --regime two-stage --macro CHOICE --cv K --seed S` into
DIR/<choice> ("dataset": no --macro, the dataset's own grouping). A run whose report.json exists
is reused; an interrupted one (config.json without report.json) is resumed. With the same seed
every run has the same folds (checked: DIR/<choice>/folds.json must agree, else exit 1). Under
auto each fold derives its groups from its own training and validation tracks only.

One table, DIR/report.md and DIR/report.json ("rows", one per choice, each figure
{"mean", "std", "values"} over the folds):
  macro_groups           macro classes that hold a fine class (report: macro_grouping)
  macro_top1             the macro stage's top-1 (a different task per row: K groups)
  fine_top1              fine top-1 after two-stage
                         (both per track when the data has windows: mean of its windows)
  mean_mistake_distance  tree edges between a wrong fine verdict and the truth, arg max
                         decoding, in the row's own tree (cv.hierarchy.argmax)
  seconds                the run's wall time (0 when reused)
Exit status: 0 done, 1 a run failed or the folds differ, 2 usage.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def figure(values):
    defined = [v for v in values if v is not None and math.isfinite(v)]
    if not defined:
        return {"mean": None, "std": None, "values": values}
    mean = sum(defined) / len(defined)
    sd = math.sqrt(sum((v - mean) ** 2 for v in defined) / (len(defined) - 1)) if len(defined) > 1 else 0.0
    return {"mean": mean, "std": sd, "values": values}


def dig(j, *path):
    for key in path:
        if not isinstance(j, dict) or key not in j:
            return None
        j = j[key]
    return j


def per_run(report):
    """Per-fold (or the one test split's) figures of one genre-train report."""
    if "cv" in report:
        cv = report["cv"]
        fine = cv["fine"]["track_top1"] if report.get("windowed") else cv["fine"]["top1"]
        level = "track_top1" if report.get("windowed") else "top1"
        return {"macro_groups": cv["macro"]["groups_with_classes"]["values"],
                "macro_top1": [dig(r, "held_out", "macro", level) for r in cv["per_fold"]],
                "fine_top1": fine["values"],
                "mean_mistake_distance": cv["hierarchy"]["argmax"]["mean_mistake_distance"]["values"]}
    test = report["test"]
    fine = dig(test, "fine", "track_top1") if report.get("windowed") else dig(test, "fine", "top1")
    macro = dig(test, "macro", "track_top1") if report.get("windowed") else dig(test, "macro", "top1")
    return {"macro_groups": [dig(report, "macro_grouping", "groups_with_classes")],
            "macro_top1": [macro], "fine_top1": [fine],
            "mean_mistake_distance": [dig(test, "hierarchy", "argmax", "mean_mistake_distance")]}


def pct(f):
    return "n/a" if f["mean"] is None else "%.1f %% ± %.1f" % (100 * f["mean"], 100 * f["std"])


def num(f, digits):
    return "n/a" if f["mean"] is None else "%.*f ± %.*f" % (digits, f["mean"], digits, f["std"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--choices", default="annex,top-level,auto:4")
    ap.add_argument("--model", default="shortchunk")
    ap.add_argument("--cv", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--build", default=os.path.join(SOURCE_ROOT, "build"))
    ap.add_argument("extra", nargs="*", help="further genre-train flags, after --")
    a = ap.parse_args()
    train = os.path.join(a.build, "tools", "genre-train")
    os.makedirs(a.out, exist_ok=True)
    rows, folds = [], None
    for choice in [c for c in a.choices.split(",") if c]:
        run_dir = os.path.join(a.out, choice.replace(":", "-").replace("/", "_"))
        cmd = [train, "--data", a.data, "--out", run_dir, "--model", a.model, "--regime", "two-stage",
               "--seed", str(a.seed), "--threads", str(a.threads)]
        if a.cv > 0:
            cmd += ["--cv", str(a.cv)]
        if choice != "dataset":
            cmd += ["--macro", choice]
        cmd += a.extra
        report_path = os.path.join(run_dir, "report.json")
        start = time.time()
        if not os.path.isfile(report_path):
            if os.path.isfile(os.path.join(run_dir, "config.json")):
                cmd = [train, "--resume", run_dir, "--threads", str(a.threads)]
            print("macro-bench: " + " ".join(cmd), flush=True)
            if subprocess.run(cmd).returncode != 0:
                print(f"macro-bench: the run for {choice} failed", file=sys.stderr)
                return 1
        seconds = time.time() - start
        report = json.load(open(report_path))
        if a.cv > 0:
            these = json.load(open(os.path.join(run_dir, "folds.json")))["folds"]
            if folds is not None and these != folds:
                print(f"macro-bench: {choice} ran on other folds than the first choice", file=sys.stderr)
                return 1
            folds = these
        figures = {k: figure(v) for k, v in per_run(report).items()}
        rows.append(dict(choice=choice, dir=os.path.relpath(run_dir, a.out), seconds=round(seconds, 1), **figures))
    split = f"{a.cv}-fold CV, mean ± std over folds" if a.cv > 0 else "the test split"
    md = [f"# Macrogenres for two-stage: {a.model}, {os.path.basename(os.path.normpath(a.data))}, seed {a.seed}, {split}",
          "", "| --macro | groups | macro top-1 | fine top-1 (two-stage) | mean mistake distance | run |",
          "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        md.append(f"| {r['choice']} | {num(r['macro_groups'], 1)} | {pct(r['macro_top1'])} | {pct(r['fine_top1'])} | "
                  f"{num(r['mean_mistake_distance'], 2)} | [{r['dir']}]({r['dir']}/report.md) |")
    md += ["", "Macro top-1 is over each row's own groups (fewer groups, an easier task); the mistake distance is "
           "counted in each row's own tree (root - macrogenre - fine genre)."]
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump({"data": a.data, "model": a.model, "seed": a.seed, "cv": a.cv, "rows": rows}, f, indent=2)
    with open(os.path.join(a.out, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
