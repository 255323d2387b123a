"""genre-train --macro end to end on a small fma-synth dataset: a run regrouped to FMA's top
level and one grouped from data (auto:2, also per fold under --cv) record the new grouping in
the bundle's class lists, the reports and RUN/macro_map.csv (which reads back as a --macro
FILE); bad choices are one-line errors. Run by meson with GENRE_BUILD_ROOT set."""
import csv
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import torch

BUILD = os.environ.get("GENRE_BUILD_ROOT", "")
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(BUILD, "tools")
TRAIN = os.path.join(TOOLS, "genre-train")
PIPELINE = "audioconvert ! audioresample ! melspec sample-rate=22050 ! specresize width=128 height=128"
QUICK = ["--model", "cnn", "--regime", "two-stage", "--epochs", "1", "--patience", "0", "--threads", "2",
         "--workers", "1"]


def run(*args, check=None):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check is not None and p.returncode != check:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}, expected {check}\n{p.stderr[-3000:]}")
    return p


def bundle_classes(run_dir):
    return json.loads(torch.jit.load(os.path.join(run_dir, "model.pt")).bundle_json)["classes"]


def top_level_titles():
    """FMA's genres table (data/fma_genres.csv): id -> title, id -> top-level id."""
    title, top = {}, {}
    with open(os.path.join(SOURCE, "data", "fma_genres.csv")) as f:
        for row in csv.DictReader(f):
            title[int(row["genre_id"])] = row["title"]
            top[int(row["genre_id"])] = int(row["top_level"])
    return title, top


def read_macro_map(path):
    with open(path) as f:
        return list(csv.DictReader(f))


class GenreTrainMacroTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="genre-train-macro-")
        fma = os.path.join(cls.tmp, "fma")
        run(os.path.join(TOOLS, "fma-synth"), "--out", fma, "--tracks", "120", "--duration", "3", "--seed", "5",
            "--workers", "2", check=0)
        cls.data = os.path.join(cls.tmp, "ds")
        run(os.path.join(TOOLS, "fma-convert"), "--audio", os.path.join(fma, "fma_small"), "--metadata",
            os.path.join(fma, "fma_metadata"), "--out", cls.data, "--min-duration", "1", "--pipeline", PIPELINE,
            check=0)
        cls.manifest = json.load(open(os.path.join(cls.data, "manifest.json")))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.tmp, self.id().split(".")[-1] + "-" + name)

    def test_top_level_regroups_the_bundle_reports_and_tree(self):
        out = self.out("top")
        run(TRAIN, "--data", self.data, "--out", out, "--macro", "top-level", *QUICK, check=0)
        title, top = top_level_titles()
        classes = bundle_classes(out)
        tops = sorted(i for i in title if top[i] == i)
        self.assertEqual([m["name"] for m in classes["macro"]], [title[i] for i in tops])
        self.assertEqual([m["fma_genre_id"] for m in classes["macro"]], tops)
        self.assertEqual([(f["name"], f["fma_genre_id"]) for f in classes["fine"]],
                         [(f["name"], f["fma_genre_id"]) for f in self.manifest["classes"]["fine"]])
        for f in classes["fine"]:
            self.assertEqual(classes["macro"][f["macro"]]["fma_genre_id"], top[f["fma_genre_id"]], f["name"])
        report = json.load(open(os.path.join(out, "report.json")))
        self.assertEqual(report["macro_grouping"]["choice"], "top-level")
        with open(os.path.join(out, report["test"]["macro"]["confusion_csv"])) as f:
            self.assertEqual(next(csv.reader(f))[1:], [m["name"] for m in classes["macro"]])
        self.assertEqual(json.load(open(os.path.join(out, "config.json")))["macro"], "top-level")
        self.assertIn("Macrogenres (--macro top-level", open(os.path.join(out, "report.md")).read())

    def test_auto_writes_a_readable_map_and_the_bundle_holds_its_groups(self):
        out = self.out("auto")
        p = run(TRAIN, "--data", self.data, "--out", out, "--macro", "auto:2", *QUICK,
                check=0)
        self.assertIn("macrogenres from data", p.stdout + p.stderr)
        rows = read_macro_map(os.path.join(out, "macro_map.csv"))
        classes = bundle_classes(out)
        names = [m["name"] for m in classes["macro"]]
        self.assertEqual(len(names), 2)
        self.assertEqual(sorted(r["fine_class"] for r in rows), sorted(f["name"] for f in classes["fine"]))
        for r in rows:  # each row's class is in that macrogenre, named from its members
            fine = next(f for f in classes["fine"] if f["name"] == r["fine_class"])
            self.assertEqual(names[fine["macro"]], r["macrogenre"])
            self.assertTrue(r["macrogenre"].startswith(r["fine_class"]) or "+" in r["macrogenre"], r)
        history = [json.loads(line)["stage"] for line in open(os.path.join(out, "metrics.jsonl"))]
        self.assertEqual(history, ["grouping", "macro", "fine"])
        report = json.load(open(os.path.join(out, "report.json")))
        self.assertEqual(report["macro_grouping"]["groups_with_classes"], 2)
        self.assertEqual(len(report["macro_grouping"]["similarity"]["matrix"]), len(classes["fine"]))
        # The written map is a --macro FILE: the same grouping again.
        again = self.out("file")
        run(TRAIN, "--data", self.data, "--out", again, "--macro", os.path.join(out, "macro_map.csv"), *QUICK, check=0)
        self.assertEqual(bundle_classes(again), classes)

    def test_auto_under_cross_validation_groups_each_fold_from_its_own_tracks(self):
        out = self.out("cv")
        run(TRAIN, "--data", self.data, "--out", out, "--macro", "auto:2", "--cv", "2", "--cv-group", "none",
            "--cv-val-fraction", "0.5", *QUICK, check=0)
        report = json.load(open(os.path.join(out, "report.json")))
        self.assertEqual(report["cv"]["macro"]["groups_with_classes"]["values"], [2, 2])
        folds = json.load(open(os.path.join(out, "folds.json")))["folds"]
        for k, fold in enumerate(folds, 1):
            self.assertTrue(os.path.isfile(os.path.join(out, "folds", f"fold-{k}", "macro_map.csv")))
            similarity = report["cv"]["per_fold"][k - 1]["macro_grouping"]["similarity"]
            # The evidence is the fold's validation tracks: none of its held-out tracks.
            self.assertIn("validation samples", similarity["from"])
            self.assertTrue(set(fold["val"]).isdisjoint(fold["held_out"]))

    def test_macro_bench_tabulates_the_choices_on_the_same_data(self):
        out = self.out("bench")
        p = run("/usr/bin/python3", os.path.join(SOURCE, "tools", "macro-bench.py"), "--build", BUILD, "--data",
                self.data, "--out", out, "--choices", "top-level,auto:2", "--model", "cnn", "--cv", "0", "--threads",
                "2", "--", "--epochs", "1", "--patience", "0", "--workers", "1", check=0)
        report = json.load(open(os.path.join(out, "report.json")))
        self.assertEqual([r["choice"] for r in report["rows"]], ["top-level", "auto:2"])
        auto = report["rows"][1]
        self.assertEqual(auto["macro_groups"]["values"], [2])
        for row in report["rows"]:
            for key in ("macro_top1", "fine_top1"):
                self.assertTrue(0.0 <= row[key]["mean"] <= 1.0, (row["choice"], key, row[key]))
            self.assertGreaterEqual(row["mean_mistake_distance"]["mean"] or 2, 1)
        table = open(os.path.join(out, "report.md")).read()
        self.assertIn("| auto:2 | 2.0 ± 0.0 |", table)
        self.assertIn(table.strip().splitlines()[0], p.stdout)

    def test_bad_choices_are_one_line_errors(self):
        for choice, status, text in (("auto:1", 2, "K must be from 2 to"), ("auto:x", 2, "K must be a whole number")):
            out = self.out(choice.replace(":", "-"))
            p = run(TRAIN, "--data", self.data, "--out", out, "--macro", choice, *QUICK, check=status)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertIn(text, p.stderr)
            self.assertFalse(os.path.exists(os.path.join(out, "config.json")), "a refused run left a config")
        # Folds whose validation part misses genres: refused before any training, naming the fold.
        out = self.out("thin-val")
        p = run(TRAIN, "--data", self.data, "--out", out, "--macro", "auto:2", "--cv", "2", "--cv-val-fraction",
                "0.01", *QUICK, check=1)
        errors = [line for line in p.stderr.splitlines() if line.startswith("genre-train:")]
        self.assertEqual(len(errors), 1, p.stderr)
        self.assertIn("--macro auto: fold 1: the validation tracks hold no sample of", errors[0])
        self.assertFalse(os.path.exists(os.path.join(out, "folds")), "a fold trained before the refusal")
        bad = os.path.join(self.tmp, "unknown.csv")
        with open(bad, "w") as f:
            f.write("macrogenre,fma_genre_id\nLoud,12\nLoud,999999\n")
        p = run(TRAIN, "--data", self.data, "--out", self.out("file"), "--macro", bad, *QUICK, check=1)
        self.assertEqual(p.stderr.strip().splitlines(), [f"genre-train: {bad} row 3: fma_genre_id 999999 is not in genres.csv"])


if __name__ == "__main__":
    unittest.main()
