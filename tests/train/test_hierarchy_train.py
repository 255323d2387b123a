"""Hierarchy-aware training end to end on a small generated dataset with macrogenres and FMA parent
links (native-resolution windows): multihead multitask runs with each head design (linear, mlp,
sequential) on the shortchunk trunk, --loss tree on shortchunk and on multitask, --loss bce with
--fn-weight. Each writes report.json with the hierarchy block; the bundles give heads of the
right sizes in Python. Run by meson with GENRE_BUILD_ROOT set."""
import json
import os
import shutil
import tempfile
import unittest

import torch

from test_genre_train_e2e import TOOLS, run, train

N_MELS, WINDOW = 32, 32
NATIVE = ("audioconvert ! audioresample ! melspec sample-rate=22050 n-mels=%d ! specresize width=%d height=%d "
          "window-frames=%d hop-frames=%d db-ref=one normalization=none" % (N_MELS, WINDOW, N_MELS, WINDOW, WINDOW))
FAST = ["--epochs", "1", "--base-channels", "4", "--windows-per-track", "2"]


def make_dataset(root):
    fma = os.path.join(root, "fma")
    run(os.path.join(TOOLS, "fma-synth"), "--out", fma, "--tracks", "60", "--duration", "3", "--seed", "8",
        "--workers", "2", "--sample-rate", "22050", "--channels", "1", check=0)
    out = os.path.join(root, "data")
    run(os.path.join(TOOLS, "fma-convert"), "--audio", os.path.join(fma, "fma_small"), "--metadata",
        os.path.join(fma, "fma_metadata"), "--out", out, "--min-duration", "1", "--pipeline", NATIVE,
        "--sink-properties", "dtype=float32", check=0)
    return out


class HierarchyTrainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hierarchy-train-test-")
        cls.data = make_dataset(cls.tmp)
        classes = json.load(open(os.path.join(cls.data, "manifest.json")))["classes"]
        cls.n_macro, cls.n_fine = len(classes["macro"]), len(classes["fine"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.tmp, name)

    def check_report(self, out):
        report = json.load(open(os.path.join(out, "report.json")))
        h = report["test"]["hierarchy"]
        for decoding in ("argmax", "crm"):
            for key in ("top1", "mean_mistake_distance", "level_agreement"):
                self.assertIn(key, h[decoding])
            self.assertGreaterEqual(h[decoding]["top1"], 0.0)
        # Undefined (null) when no verdict has a macrogenre (a one-epoch model may answer Experimental,
        # which has none here); CRM's levels agree by construction.
        self.assertIn(h["crm"]["level_agreement"], (None, 1.0))
        self.assertIn("the genre tree", open(os.path.join(out, "report.md")).read())
        return report

    def test_multitask_head_designs(self):
        self.assertGreater(self.n_macro, 1)
        for kind in ("linear", "mlp", "sequential"):
            with self.subTest(kind=kind):
                out = self.out("multitask-" + kind)
                extra = ["--loss", "tree"] if kind == "sequential" else []
                train("--data", self.data, "--model", "multihead", "--trunk", "shortchunk", "--regime", "multitask",
                      "--heads", kind, *FAST, *extra, "--out", out)
                report = self.check_report(out)
                self.assertEqual(report["test"]["hierarchy"]["macro_verdict"], "macro head")
                config = json.load(open(os.path.join(out, "config.json")))
                self.assertEqual((config["head_kind"], config["trunk"]), (kind, "shortchunk"))
                self.assertEqual(config["augment"], "small-data")  # shortchunk's recipe
                model = torch.jit.load(os.path.join(out, "model.pt")).eval()
                x = torch.randn(2, 1, N_MELS, WINDOW)
                with torch.no_grad():
                    heads = model.forward_heads(x)
                    self.assertTrue(torch.equal(model(x), heads[-1]))
                self.assertEqual([tuple(h.shape) for h in heads], [(2, self.n_macro), (2, self.n_fine)])
                weights = model.state_dict()
                self.assertEqual("shared.weight" in weights, kind == "mlp")
                self.assertIn("band_mean", weights)
                extra_inputs = self.n_macro if kind == "sequential" else 0
                self.assertEqual(weights["heads.1.weight"].shape[1], weights["heads.0.weight"].shape[1] + extra_inputs)

    def test_tree_loss_and_fn_weight(self):
        out = self.out("tree")
        p = train("--data", self.data, "--model", "shortchunk", "--loss", "tree", "--tree-temperature", "0.5", *FAST,
                  "--out", out)
        self.assertNotIn("flat", p.stdout)
        self.check_report(out)
        config = json.load(open(os.path.join(out, "config.json")))
        self.assertEqual((config["loss"], config["tree_temperature"]), ("tree", 0.5))
        out = self.out("bce")
        train("--data", self.data, "--model", "shortchunk", "--loss", "bce", "--fn-weight", "4", *FAST, "--out", out)
        self.assertEqual(json.load(open(os.path.join(out, "config.json")))["fn_weight"], 4.0)

    def test_flags_that_do_not_apply_are_usage_errors(self):
        base = ["--data", self.data, "--out", self.out("bad")]
        for args, message in ((["--fn-weight", "2"], "--fn-weight applies to --loss bce"),
                              (["--loss", "bce", "--tree-temperature", "2"], "--tree-temperature applies to --loss tree"),
                              (["--model", "cnn", "--heads", "mlp"], "--heads applies to --model multihead"),
                              (["--loss", "tree", "--tree-temperature", "0"], "--tree-temperature")):
            with self.subTest(args=args):
                p = train(*base, *args, check=2)
                self.assertIn(message, p.stderr)
                self.assertFalse(os.path.exists(self.out("bad")))


if __name__ == "__main__":
    unittest.main()
