"""End-to-end tests of genre-train on small datasets made by fma-synth + fma-convert
(128x128 images, whole clips and 3 s windows): reports and bundles, the bundle in
Python's torch.jit.load, determinism, resume after kill -9, cross-validation folds,
compare, and the errors a user meets. Run by meson with GENRE_BUILD_ROOT set."""
import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import unittest

import numpy as np
import torch

BUILD = os.environ.get("GENRE_BUILD_ROOT", "")
TOOLS = os.path.join(BUILD, "tools")
TRAIN = os.path.join(TOOLS, "genre-train")
SMALL_IMAGES = "audioconvert ! audioresample ! melspec sample-rate=22050 ! specresize width=128 height=128"
WINDOWS = SMALL_IMAGES + " window-frames=130 hop-frames=130"


def run(*args, env=None, check=None):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=dict(os.environ, **(env or {})))
    if check is not None and p.returncode != check:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}, expected {check}\n{p.stderr[-3000:]}")
    return p


def make_dataset(root, name, pipeline, tracks, duration):
    fma = os.path.join(root, name + "-fma")
    run(os.path.join(TOOLS, "fma-synth"), "--out", fma, "--tracks", str(tracks), "--duration", str(duration),
        "--seed", "3", "--workers", "2", "--sample-rate", "22050", "--channels", "1", check=0)
    out = os.path.join(root, name)
    run(os.path.join(TOOLS, "fma-convert"), "--audio", os.path.join(fma, "fma_small"), "--metadata",
        os.path.join(fma, "fma_metadata"), "--out", out, "--min-duration", "1", "--pipeline", pipeline, check=0)
    return out


def train(*args, env=None, check=0):
    return run(TRAIN, "--threads", "2", "--workers", "1", *args, env=env, check=check)


def state_dict(bundle):
    return torch.jit.load(bundle).state_dict()


def read_split_samples(dataset, split):
    """key -> float32 image, read with tarfile + numpy only."""
    manifest = json.load(open(os.path.join(dataset, "manifest.json")))
    out = {}
    for shard in manifest["shards"]:
        if shard["split"] != split:
            continue
        with tarfile.open(os.path.join(dataset, shard["name"])) as tar:
            for m in tar.getmembers():
                key, ext = m.name.split(".", 1)
                if ext == "npy":
                    out[key] = np.load(io.BytesIO(tar.extractfile(m).read())).astype(np.float32)
    return out


class GenreTrainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="genre-train-test-")
        cls.clips = make_dataset(cls.tmp, "clips", SMALL_IMAGES, 120, 3)
        cls.windows = make_dataset(cls.tmp, "windows", WINDOWS, 120, 7)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.tmp, self.id().split(".")[-1] + "-" + name)

    def test_two_stage_run_directory_report_and_bundle(self):
        out = self.out("run")
        p = train("--data", self.clips, "--model", "cnn", "--regime", "two-stage", "--epochs", "2", "--out", out)
        self.assertIn("test: fine top-1", p.stdout)
        report = json.load(open(os.path.join(out, "report.json")))
        for level in ("fine", "macro", "macro_from_fine"):
            self.assertGreaterEqual(report["test"][level]["top1"], 0.0)
            self.assertLessEqual(report["test"][level]["top1"], 1.0)
        self.assertEqual(report["test"]["macro"]["source"], "macro stage")
        with open(os.path.join(out, "metrics.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([r["stage"] for r in rows], ["macro", "macro", "fine", "fine"])
        for column in ("epoch", "train_loss", "val_loss", "val_top1", "train_samples_per_s"):
            self.assertTrue(all(r[column] for r in rows), column)
        self.assertEqual(len(open(os.path.join(out, "metrics.jsonl")).readlines()), 4)
        # Class-average saliency: named in report.json, linked from report.md, one panel per tested class.
        saliency = report["test"]["class_saliency"]
        self.assertEqual(saliency["png"], "class_saliency.png")
        self.assertGreater(sum(saliency["samples_per_class"].values()), 0)
        self.assertLessEqual(max(saliency["samples_per_class"].values()), saliency["max_samples_per_class"])
        self.assertGreater(saliency["scale_max"], 0.0)
        self.assertIn("(class_saliency.png)", open(os.path.join(out, "report.md")).read())
        for png in ("confusion_fine.png", "confusion_macro.png", "learning_curves.png", "class_saliency.png"):
            with open(os.path.join(out, png), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", png)
        config = json.load(open(os.path.join(out, "config.json")))
        self.assertEqual(config["model"], "cnn")
        self.assertEqual(config["regime"], "two-stage")

        manifest_path = os.path.join(self.clips, "manifest.json")
        manifest = json.load(open(manifest_path))
        model = torch.jit.load(os.path.join(out, "model.pt"))
        bundle = json.loads(model.bundle_json)
        self.assertEqual(bundle["format"], "genre-bundle")
        self.assertEqual(bundle["classes"], manifest["classes"])
        # The dataset's preprocessing, plus the clip length the whole-clip model was trained on: the
        # clips' median frame count (3 s at 22050 / 512: 130 frames) as specresize's max-frames.
        recorded = json.loads(json.dumps(manifest["preprocessing"][0]))
        self.assertEqual(recorded["genre/specresize-params"]["max-frames"], 0)
        recorded["genre/specresize-params"]["max-frames"] = bundle["preprocessing"]["genre/specresize-params"]["max-frames"]
        self.assertEqual(bundle["preprocessing"], recorded)
        self.assertIn(recorded["genre/specresize-params"]["max-frames"], range(128, 136))
        self.assertEqual(bundle["input_shape"], manifest["sample_shape"])
        self.assertEqual(bundle["manifest_sha256"], hashlib.sha256(open(manifest_path, "rb").read()).hexdigest())
        self.assertEqual((bundle["model"], bundle["regime"], bundle["target"]), ("cnn", "two-stage", "fine"))

    def test_bundle_in_python_gives_the_cpp_probabilities(self):
        out = self.out("run")
        train("--data", self.clips, "--model", "cnn", "--epochs", "1", "--out", out)
        model = torch.jit.load(os.path.join(out, "model.pt")).eval()
        images = read_split_samples(self.clips, "test")
        with open(os.path.join(out, "predictions.csv")) as f:
            rows = list(csv.reader(f))
        header, rows = rows[0], rows[1:]
        self.assertEqual(len(rows), len(images))
        for row in rows:
            x = torch.from_numpy(images[row[0]])[None]
            with torch.no_grad():
                python_probs = model(x).softmax(1)[0].numpy()
            cpp_probs = np.array([float(v) for v in row[5:]], dtype=np.float32)
            np.testing.assert_allclose(python_probs, cpp_probs, rtol=1e-4, atol=1e-6, err_msg=row[0])
            self.assertEqual(int(row[4]), int(np.argmax(cpp_probs)))
        self.assertEqual(header[5:], [c["name"] for c in json.load(open(os.path.join(self.clips, "manifest.json")))["classes"]["fine"]])

    def test_same_seed_same_weights_and_resume_after_kill_continues_exactly(self):
        args = ["--data", self.clips, "--model", "cnn", "--regime", "two-stage", "--epochs", "3", "--patience", "0"]
        a, b = self.out("a"), self.out("b")
        train(*args, "--out", a)
        # Two kills -9 mid-epoch (the first in the macro stage, the second in the fine stage), then resumes.
        killed = train(*args, "--out", b, env={"GENRE_TRAIN_TEST_KILL_AFTER_STEPS": "5"}, check=None)
        self.assertEqual(killed.returncode, -signal.SIGKILL)
        killed = run(TRAIN, "--resume", b, env={"GENRE_TRAIN_TEST_KILL_AFTER_STEPS": "9"})
        self.assertEqual(killed.returncode, -signal.SIGKILL)
        self.assertFalse(os.path.exists(os.path.join(b, "model.pt")))
        run(TRAIN, "--resume", b, check=0)
        sa, sb = state_dict(os.path.join(a, "model.pt")), state_dict(os.path.join(b, "model.pt"))
        self.assertEqual(sorted(sa), sorted(sb))
        for name in sa:
            self.assertTrue(torch.equal(sa[name], sb[name]), name)
        ra, rb = (json.load(open(os.path.join(d, "report.json"))) for d in (a, b))
        self.assertEqual(ra["test"], rb["test"])
        history = [json.loads(l) for l in open(os.path.join(b, "metrics.jsonl"))]
        self.assertEqual([(h["stage"], h["epoch"]) for h in history],
                         [("macro", 1), ("macro", 2), ("macro", 3), ("fine", 1), ("fine", 2), ("fine", 3)])

    def test_cross_validation_folds_are_disjoint_stratified_and_reported(self):
        out = self.out("cv")
        p = train("--data", self.windows, "--model", "cnn", "--cv", "3", "--cv-group", "none", "--epochs", "1",
                  "--out", out)
        self.assertIn("3-fold cross-validation (train+val, by track", p.stdout)
        report = json.load(open(os.path.join(out, "report.json")))
        cv = report["cv"]
        for key in ("track_top1", "top1"):
            self.assertEqual(len(cv["fine"][key]["values"]), 3)
            self.assertGreaterEqual(cv["fine"][key]["mean"], 0.0)
            self.assertLessEqual(cv["fine"][key]["mean"], 1.0)
            self.assertGreaterEqual(cv["fine"][key]["std"], 0.0)
        # The genre tree's figures: per track (windows), so the arg max's top-1 is the track top-1;
        # CRM's macro verdict is its fine verdict's, so its levels always agree.
        tree = cv["hierarchy"]
        self.assertEqual(tree["argmax"]["top1"]["values"], cv["fine"]["track_top1"]["values"])
        for k in range(3):
            fold = cv["per_fold"][k]["held_out"]["hierarchy"]
            self.assertEqual(fold["level"], "track")
            self.assertIn(fold["crm"]["level_agreement"], (1.0, None))  # None: no verdict has a macrogenre
            self.assertEqual(sum(fold["crm"]["distance_histogram"]), fold["crm"]["samples"])
            self.assertGreaterEqual(fold["crm_changed"], 0.0)
        self.assertIn("Genre tree (mean ± std over folds", open(os.path.join(out, "report.md")).read())
        bundle = json.loads(torch.jit.load(os.path.join(out, "folds", "fold-1", "model.pt")).bundle_json)
        self.assertEqual(len(bundle["genre_tree"]["fine_parent"]), len(bundle["classes"]["fine"]))
        # Held-out tracks: disjoint, together exactly train+val, never test; each fold's
        # train/val/held-out disjoint; per class the folds differ by at most one track.
        table = {}
        for split in ("train", "val", "test"):
            for key in read_split_samples(self.windows, split):
                table[key.split("_w")[0]] = split
        labels = {}
        for shard in json.load(open(os.path.join(self.windows, "manifest.json")))["shards"]:
            with tarfile.open(os.path.join(self.windows, shard["name"])) as tar:
                for m in tar.getmembers():
                    if m.name.endswith(".cls") and not m.name.endswith(".macro.cls"):
                        labels[m.name.split("_w")[0]] = int(tar.extractfile(m).read())
        held = []
        for k in range(1, 4):
            s = json.load(open(os.path.join(out, "folds", f"fold-{k}", "splits.json")))
            self.assertFalse(set(s["train"]) & set(s["held_out"]))
            self.assertFalse(set(s["val"]) & set(s["held_out"]))
            self.assertFalse(set(s["train"]) & set(s["val"]))
            self.assertTrue(s["val"])
            held.append(set(s["held_out"]))
        self.assertFalse(held[0] & held[1] or held[0] & held[2] or held[1] & held[2])
        self.assertEqual(held[0] | held[1] | held[2], {t for t, sp in table.items() if sp in ("train", "val")})
        for cls in set(labels.values()):
            counts = [sum(1 for t in fold if labels[t] == cls) for fold in held]
            self.assertLessEqual(max(counts) - min(counts), 1, f"class {cls}: {counts}")

    def test_cross_validation_keeps_each_artist_in_one_fold_by_default(self):
        artists = {}  # track -> artist, over train+val (the cross-validation pool)
        for shard in json.load(open(os.path.join(self.windows, "manifest.json")))["shards"]:
            if shard["split"] in ("train", "val"):
                with tarfile.open(os.path.join(self.windows, shard["name"])) as tar:
                    for m in tar.getmembers():
                        if m.name.endswith(".json"):
                            meta = json.loads(tar.extractfile(m).read())
                            artists[meta["track_id"]] = meta["artist"]
        self.assertGreater(len(set(artists.values())), 3)
        out = self.out("cv-artist")
        p = train("--data", self.windows, "--model", "cnn", "--cv", "3", "--epochs", "1", "--out", out)
        self.assertIn("3-fold cross-validation (train+val, by artist", p.stdout)
        self.assertEqual(json.load(open(os.path.join(out, "report.json")))["cv"]["group"], "artist")
        folds = json.load(open(os.path.join(out, "folds.json")))
        self.assertEqual(folds["group"], "artist")
        self.assertEqual(len(folds["folds"]), 3)
        held = set()
        for fold in folds["folds"]:
            inside = {artists[t] for t in fold["held_out"]}
            outside = {artists[t] for t in fold["train"] + fold["val"]}
            self.assertFalse(inside & outside, "an artist on both sides of a fold")
            self.assertFalse({artists[t] for t in fold["train"]} & {artists[t] for t in fold["val"]})
            held |= set(fold["held_out"])
            # The fold's own splits.json names the same tracks.
            k = folds["folds"].index(fold) + 1
            s = json.load(open(os.path.join(out, "folds", f"fold-{k}", "splits.json")))
            self.assertEqual(sorted(s["held_out"]), fold["held_out"])
        self.assertEqual(held, set(artists))
        bad = train("--data", self.windows, "--model", "cnn", "--cv", "3", "--cv-group", "label", "--out",
                    self.out("cv-bad"), check=2)
        self.assertIn("--cv-group", bad.stderr)

    def test_compare_reports_both_regimes_beside_the_reference(self):
        out = self.out("compare")
        p = train("--data", self.windows, "--model", "cnn", "--regime", "compare", "--epochs", "1", "--out", out)
        self.assertIn("reference (cnn, fma_small)", p.stdout)
        report = json.load(open(os.path.join(out, "report.json")))
        for regime in ("standard", "two_stage"):
            test = report["compare"][regime]["test"]
            self.assertIn("track_top1", test["fine"])  # windows: per-track figures exist
            self.assertLessEqual(test["fine"]["track_top1"], 1.0)
            self.assertTrue(os.path.exists(os.path.join(out, regime, "model.pt")))
        self.assertIn("top1", report["compare"]["two_stage"]["test"]["macro"])
        self.assertAlmostEqual(report["compare"]["reference"]["macro_top1"], 0.5)

    def test_every_model_family_trains_and_exports(self):
        cases = [("gru", "standard", []), ("vit_ti16", "standard", ["--augment", "specaugment"]),
                 ("resnet18", "standard", ["--loss", "bce", "--pos-weight", "log-inverse", "--freeze", "layer3"]),
                 ("multihead", "multitask", ["--augment", "mixup"])]
        images = read_split_samples(self.clips, "test")
        x = torch.from_numpy(np.stack([images[k] for k in sorted(images)[:2]]))
        for model_name, regime, extra in cases:
            with self.subTest(model=model_name):
                out = self.out(model_name)
                train("--data", self.clips, "--model", model_name, "--regime", regime, "--epochs", "1",
                      "--batch-size", "16", "--out", out, *extra)
                report = json.load(open(os.path.join(out, "report.json")))
                self.assertLessEqual(report["test"]["fine"]["top1"], 1.0)
                model = torch.jit.load(os.path.join(out, "model.pt")).eval()
                info = json.loads(model.bundle_json)
                self.assertEqual(info["model"], model_name)
                heads = model.forward_heads(x)
                self.assertEqual(heads[-1].shape, (2, len(info["classes"]["fine"])))
                if regime == "multitask":
                    self.assertEqual(info["heads"], ["macro", "fine"])
                    self.assertEqual(heads[0].shape, (2, len(info["classes"]["macro"])))
                    self.assertEqual(report["test"]["macro"]["source"], "macro head")
                self.assertEqual(info["multi_label"], "bce" in extra)

    def test_errors_are_one_line_and_leave_the_run_consistent(self):
        def fails(dataset, *extra, status=1, says):
            out = self.out("err")
            shutil.rmtree(out, ignore_errors=True)
            p = train("--data", dataset, "--model", "cnn", "--epochs", "1", "--out", out, *extra, check=None)
            self.assertEqual(p.returncode, status, p.stderr)
            lines = [l for l in p.stderr.splitlines() if l.startswith("genre-train:")]
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn(says, lines[0])
            if os.path.isdir(out):
                self.assertFalse([f for f in os.listdir(out) if f.endswith(".partial")])
            return lines[0]

        fails(os.path.join(self.tmp, "nothing-here"), says="manifest.json")
        broken = os.path.join(self.tmp, "broken")
        shard = "train-000000.tar"
        for damage in ("truncate", "flip"):
            shutil.rmtree(broken, ignore_errors=True)
            shutil.copytree(self.clips, broken)
            path = os.path.join(broken, shard)
            with open(path, "rb") as f:
                data = bytearray(f.read())
            if damage == "truncate":
                data = data[: len(data) // 2]
            else:
                data[len(data) // 2] ^= 0xFF
            os.chmod(path, 0o644)
            with open(path, "wb") as f:
                f.write(bytes(data))
            fails(broken, says=shard)
        shutil.rmtree(broken)
        shutil.copytree(self.clips, broken)
        manifest = json.load(open(os.path.join(broken, "manifest.json")))
        # Without a test split there is nothing to report on (no val split: validation is carved from
        # training, test_genre_train_cli.py).
        manifest["shards"] = [s for s in manifest["shards"] if s["split"] != "test"]
        os.chmod(os.path.join(broken, "manifest.json"), 0o644)
        json.dump(manifest, open(os.path.join(broken, "manifest.json"), "w"))
        fails(broken, says="no 'test' split")
        fails(self.clips, "--init", os.path.join(self.tmp, "no-weights.pt"), status=2, says="cnn")
        fails(self.clips, "--bogus-flag", status=2, says="--bogus-flag")
        fails(self.clips, "--model", "lenet", status=2, says="--model")

    def test_resume_refuses_a_changed_dataset(self):
        data = os.path.join(self.tmp, "changing")
        shutil.copytree(self.clips, data)
        out = self.out("run")
        train("--data", data, "--model", "cnn", "--epochs", "1", "--out", out)
        p = train("--data", data, "--model", "cnn", "--epochs", "1", "--out", out, check=1)
        self.assertIn("--resume", p.stderr)
        os.chmod(os.path.join(data, "manifest.json"), 0o644)
        with open(os.path.join(data, "manifest.json"), "a") as f:
            f.write("\n")
        p = run(TRAIN, "--resume", out, check=1)
        self.assertIn("dataset changed", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
