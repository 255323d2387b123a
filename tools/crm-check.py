#!/usr/bin/python3
"""crm-check.py: checks end to end that genre-classify --decode crm gives a trained run's held-out
tracks the verdicts its report's CRM figures come from.

    tools/crm-check.py RUN DATASET --genre-classify build/tools/genre-classify [--limit N]

RUN is a genre-train output directory with model.pt, predictions.csv and report.json (a run, or
one fold of a --cv run: RUN/folds/fold-K); DATASET the training dataset (its shards name each
track's source audio file). The script
 1. averages predictions.csv's windows per track (the report's per-track level) and decodes each
    track by conditional risk minimisation over the bundle's genre tree, computed here from
    bundle.json (an implementation independent of lib/taxonomy, to check it against);
 2. compares the track-level figures with the report's `hierarchy` block (top-1 and crm_changed
    of both decodings);
 3. runs genre-classify --decode crm (and argmax) on the tracks' source files and compares its
    verdicts with step 1's.
Prints the figures and every disagreement with the expected-cost margin; exit status 0 when
every figure and verdict agrees, 1 otherwise, 2 on a usage error. GST_PLUGIN_PATH must reach the
build's plugins (or run it in `meson devenv -C build -w .`).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from collections import defaultdict


def bundle_json(model):
    with zipfile.ZipFile(model) as z:
        name = next((n for n in z.namelist() if n.endswith("/extra/genre/bundle.json")), None)
        if name is None:
            raise SystemExit(f"crm-check: {model} has no genre/bundle.json: not a model bundle")
        return json.loads(z.read(name))


def tree_distances(bundle):
    """Edges between fine classes in root -> macrogenre -> fine [-> fine ...] (pipelines/hierarchy.md)."""
    fine = bundle["classes"]["fine"]
    n, m = len(fine), len(bundle["classes"]["macro"])
    parents = (bundle.get("genre_tree") or {}).get("fine_parent") or [-1] * n
    root = n + m
    parent = {root: None}
    for k in range(m):
        parent[n + k] = root
    for i, c in enumerate(fine):
        parent[i] = parents[i] if parents[i] >= 0 else (n + c["macro"] if c["macro"] >= 0 else root)

    def ancestors(v):
        out = []
        while v is not None:
            out.append(v)
            v = parent[v]
        return out

    up = [ancestors(i) for i in range(n)]
    dist = [[0] * n for _ in range(n)]
    for a in range(n):
        depth_a = {v: d for d, v in enumerate(up[a])}
        for b in range(n):
            common = next(d_b for d_b, v in enumerate(up[b]) if v in depth_a)
            dist[a][b] = depth_a[up[b][common]] + common
    return dist


def crm(p, dist):
    risks = [sum(p[i] * dist[i][j] for i in range(len(p))) for j in range(len(p))]
    best = min(range(len(p)), key=lambda j: (risks[j], j))
    second = min((r for j, r in enumerate(risks) if j != best), default=float("inf"))
    return best, second - risks[best]


def read_predictions(predictions, classes):
    """[(track id, label, probabilities)] per window (sample)."""
    with open(predictions, newline="") as f:
        return [(row["track_id"], int(row["label"]), [float(row[name]) for name in classes])
                for row in csv.DictReader(f)]


def track_means(windows, classes):
    sums, counts, labels = defaultdict(lambda: [0.0] * len(classes)), defaultdict(int), {}
    for t, label, p in windows:
        sums[t] = [a + b for a, b in zip(sums[t], p)]
        counts[t] += 1
        labels[t] = label
    return {t: [v / counts[t] for v in s] for t, s in sums.items()}, labels


def figures(items, dist):
    """argmax vs crm over [(label, probabilities)]: top-1, crm_changed, mean mistake distances."""
    out = {"samples": len(items)}
    verdicts = {"argmax": [max(range(len(p)), key=lambda k: (p[k], -k)) for _, p in items],
                "crm": [crm(p, dist)[0] for _, p in items]}
    for name, v in verdicts.items():
        wrong = [dist[label][x] for (label, _), x in zip(items, v) if x != label]
        out[name + "_top1"] = sum(x == label for (label, _), x in zip(items, v)) / len(items)
        out[name + "_mean_mistake_distance"] = sum(wrong) / len(wrong) if wrong else None
    out["crm_changed"] = sum(a != c for a, c in zip(verdicts["argmax"], verdicts["crm"])) / len(items)
    return out


def track_sources(dataset, tracks):
    """track id -> source audio file, from the samples' JSON in the shards."""
    out = {}
    for name in sorted(os.listdir(dataset)):
        if not name.endswith(".tar"):
            continue
        with tarfile.open(os.path.join(dataset, name)) as tar:
            for member in tar:
                if member.name.endswith(".json") and not member.name.endswith(".macro.json"):
                    meta = json.load(tar.extractfile(member))
                    if meta.get("track_id") in tracks and "source" in meta:
                        out[meta["track_id"]] = meta["source"]
        if len(out) == len(tracks):
            break
    return out


def classify(tool, model, files, decode, classes):
    r = subprocess.run([tool, "-m", model, "--format", "json", "-q", "--decode", decode, "-k", str(classes)] + files,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"crm-check: genre-classify failed ({r.returncode}): {r.stderr.strip()}")
    return {rec["file"]: rec for rec in map(json.loads, r.stdout.splitlines())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run")
    ap.add_argument("dataset")
    ap.add_argument("--genre-classify", required=True, help="the genre-classify executable")
    ap.add_argument("--limit", type=int, default=0, help="classify only the first N tracks (0: all)")
    a = ap.parse_args()
    model = os.path.join(a.run, "model.pt")
    bundle = bundle_json(model)
    classes = [c["name"] for c in bundle["classes"]["fine"]]
    dist = tree_distances(bundle)
    windows = read_predictions(os.path.join(a.run, "predictions.csv"), classes)
    means, labels = track_means(windows, classes)
    tracks = sorted(means)
    argmax = {t: max(range(len(classes)), key=lambda k: (means[t][k], -k)) for t in tracks}
    decoded = {t: crm(means[t], dist) for t in tracks}
    ok = True
    track_figures = figures([(labels[t], means[t]) for t in tracks], dist)
    print("per track, from predictions.csv:", json.dumps(track_figures))
    print("per window (decoded alone, as smoothing=none does live):",
          json.dumps(figures([(label, p) for _, label, p in windows], dist)))
    report = json.load(open(os.path.join(a.run, "report.json")))
    block = next((report[k]["hierarchy"] for k in ("test", "held_out") if "hierarchy" in report.get(k, {})), None)
    if block is None:
        print("report.json has no hierarchy block")
        ok = False
    else:
        for mine, theirs in [("argmax_top1", block["argmax"]["top1"]), ("crm_top1", block["crm"]["top1"]),
                             ("crm_changed", block["crm_changed"]),
                             ("argmax_mean_mistake_distance", block["argmax"]["mean_mistake_distance"]),
                             ("crm_mean_mistake_distance", block["crm"]["mean_mistake_distance"])]:
            own = track_figures[mine]
            same = (theirs is None and own is None) or (
                theirs is not None and own is not None and abs(theirs - own) < 1e-6)
            print(f"report {mine}: {theirs} {'==' if same else '!='} {own}")
            ok &= same

    chosen = tracks[: a.limit] if a.limit else tracks
    sources = track_sources(a.dataset, set(chosen))
    missing = [t for t in chosen if t not in sources or not os.path.exists(sources[t])]
    if missing:
        print(f"{len(missing)} tracks without a source file, e.g. {missing[0]}")
        ok = False
    chosen = [t for t in chosen if t not in missing]
    files = [sources[t] for t in chosen]
    for decode in ("argmax", "crm"):
        got = classify(a.genre_classify, model, files, decode, len(classes))
        agree, changed = 0, 0
        for t, f in zip(chosen, files):
            expected = argmax[t] if decode == "argmax" else decoded[t][0]
            verdict = got[f]["verdict"]
            changed += decode == "crm" and verdict != got[f]["top"][0]["label"]
            if verdict == classes[expected]:
                agree += 1
            else:
                margin = "" if decode == "argmax" else f" (expected-cost margin {decoded[t][1]:.4f})"
                print(f"  {decode}: {t}: genre-classify {verdict}, predictions.csv {classes[expected]}{margin}")
        print(f"genre-classify --decode {decode}: {agree} of {len(chosen)} tracks as predictions.csv implies"
              + (f"; crm changed {changed} arg-max verdicts" if decode == "crm" else ""))
        ok &= agree == len(chosen)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
