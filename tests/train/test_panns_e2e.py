"""PANNs' models in genre-train on a generated dataset made with PANNs' preprocessing (32 kHz,
n_fft 1024, hop 320, 64 mel bands 50-14000 Hz, dB re 1, no top_db, native resolution): --init
from a random checkpoint in PANNs' layout converted by tools/export_panns_weights.py (PANNs' real
weights are not on this machine); --freeze fc1 --unfreeze-after 1: the trunk stays the
checkpoint's through epoch 1 and moves in epoch 2, and a run killed across the unfreezing
resumes to the same weights; the preprocessing checks. Run by meson with GENRE_BUILD_ROOT set."""
import glob
import json
import os
import shutil
import signal
import sys
import tempfile
import unittest

import torch

from test_genre_train_e2e import TOOLS, TRAIN, run, state_dict, train

SOURCE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(SOURCE))
REFERENCE = os.path.join(ROOT, "tests", "model", "panns_reference.py")
EXPORT = os.path.join(ROOT, "tools", "export_panns_weights.py")
PANNS = ("audioconvert ! audioresample ! melspec sample-rate=32000 n-fft=1024 hop-length=320 n-mels=64 fmin=50 "
         "fmax=14000 pad-mode=reflect ! specresize width=64 height=64 window-frames=64 hop-frames=32 db-ref=one "
         "top-db=0 normalization=none")
OTHER = ("audioconvert ! audioresample ! melspec sample-rate=22050 n-mels=64 ! specresize width=64 height=64 "
         "window-frames=64 hop-frames=32 db-ref=one normalization=none")
BATCH, WINDOWS_PER_TRACK = 8, 2


def convert(fma, out, pipeline):
    run(os.path.join(TOOLS, "fma-convert"), "--audio", os.path.join(fma, "fma_small"), "--metadata",
        os.path.join(fma, "fma_metadata"), "--out", out, "--min-duration", "1", "--pipeline", pipeline,
        "--sink-properties", "dtype=float32", check=0)
    return out


def checkpoint_parameters(path):
    """A genre-train checkpoint's (torch::serialize archive) model parameters, by name."""
    archive = torch.jit.load(path)
    return dict(archive.model.named_parameters()) | dict(archive.model.named_buffers())


class PannsTrainingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="panns-test-")
        fma = os.path.join(cls.tmp, "fma")
        run(os.path.join(TOOLS, "fma-synth"), "--out", fma, "--tracks", "48", "--duration", "3", "--seed", "5",
            "--workers", "2", "--sample-rate", "32000", "--channels", "1", check=0)
        cls.data = convert(fma, os.path.join(cls.tmp, "panns"), PANNS)
        cls.other = convert(fma, os.path.join(cls.tmp, "other"), OTHER)
        checkpoint = os.path.join(cls.tmp, "MobileNetV2.pth")
        run(sys.executable, REFERENCE, "make", "panns_mobilenetv2", checkpoint, "--seed", "2", check=0)
        cls.weights = os.path.join(cls.tmp, "mnv2.pt")
        run(sys.executable, EXPORT, "--model", "panns_mobilenetv2", "--checkpoint", checkpoint, "--out", cls.weights,
            check=0)
        cls.init = torch.load(cls.weights)["state_dict"]
        cls.args = ["--data", cls.data, "--model", "panns_mobilenetv2", "--init", cls.weights, "--freeze", "fc1",
                    "--epochs", "2", "--batch-size", str(BATCH), "--windows-per-track", str(WINDOWS_PER_TRACK),
                    "--scheduler", "none", "--lr", "1e-3", "--patience", "0", "--keep", "last", "--seed", "4"]
        cls.unfrozen = os.path.join(cls.tmp, "unfrozen")
        cls.log = train(*cls.args, "--unfreeze-after", "1", "--out", cls.unfrozen).stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def trunk(self, tensors):
        return {n: t for n, t in tensors.items() if n in self.init and not n.startswith("fc.")
                and ("running" not in n and "num_batches" not in n)}

    def test_init_loads_the_checkpoint_and_says_so(self):
        self.assertIn("--init " + self.weights + ": 319 tensors loaded, 0 head tensors of the file skipped, "
                      "2 head tensors not in the file", self.log)
        self.assertIn("epoch 2: every parameter trains from here (--unfreeze-after 1)", self.log)

    def test_frozen_throughout_without_unfreeze_after(self):
        out = os.path.join(self.tmp, "frozen")
        train(*self.args, "--out", out)
        trunk = self.trunk(state_dict(os.path.join(out, "model.pt")))
        self.assertGreater(len(trunk), 100)
        for name, t in trunk.items():
            self.assertTrue(torch.equal(t, self.init[name]), name)

    def test_trunk_still_before_the_unfreezing_moves_after_and_resumes_exactly(self):
        moved = self.trunk(state_dict(os.path.join(self.unfrozen, "model.pt")))
        self.assertGreater(len(moved), 100)
        for name, t in moved.items():
            self.assertFalse(torch.equal(t, self.init[name]), name + " did not train after the unfreezing")
        # Killed at the first step of epoch 2: last.pt holds epoch 1, the trunk still the checkpoint's.
        tracks = len(json.load(open(os.path.join(self.unfrozen, "splits.json")))["train"])
        steps = -(-tracks * WINDOWS_PER_TRACK // BATCH)
        killed = os.path.join(self.tmp, "killed")
        p = train(*self.args, "--unfreeze-after", "1", "--out", killed,
                  env={"GENRE_TRAIN_TEST_KILL_AFTER_STEPS": str(steps + 1)}, check=None)
        self.assertEqual(p.returncode, -signal.SIGKILL, p.stderr[-2000:])
        [last] = glob.glob(os.path.join(killed, "**", "last.pt"), recursive=True)
        after_epoch_1 = self.trunk(checkpoint_parameters(last))
        self.assertEqual(sorted(after_epoch_1), sorted(moved))
        for name, t in after_epoch_1.items():
            self.assertTrue(torch.equal(t, self.init[name]), name + " changed while frozen")
        run(TRAIN, "--resume", killed, check=0)
        a, b = state_dict(os.path.join(self.unfrozen, "model.pt")), state_dict(os.path.join(killed, "model.pt"))
        self.assertEqual(sorted(a), sorted(b))
        for name in a:
            self.assertTrue(torch.equal(a[name], b[name]), name)

    def test_other_preprocessing_is_refused_with_init_and_warned_without(self):
        p = train("--data", self.other, "--model", "panns_mobilenetv2", "--init", self.weights, "--epochs", "1",
                  "--out", os.path.join(self.tmp, "refused"), check=1)
        error = p.stderr.strip().splitlines()[-1]  # one line, the last
        self.assertTrue(error.startswith("genre-train: " + self.other), error)
        self.assertIn("not the input PANNs' weights (" + self.weights + ") were trained on: melspec sample-rate is "
                      "22050, PANNs' 32000;", error)
        self.assertIn("specresize top-db is 80.0, PANNs' 0.0", error)
        p = train("--data", self.other, "--model", "panns_mobilenetv2", "--epochs", "1", "--windows-per-track", "1",
                  "--out", os.path.join(self.tmp, "scratch"))
        self.assertIn("warning: panns_mobilenetv2 on other input than PANNs' (melspec sample-rate is 22050", p.stderr)

    def test_unfreeze_after_needs_freeze_and_an_epoch_left(self):
        p = train("--data", self.data, "--model", "panns_mobilenetv2", "--unfreeze-after", "1", "--epochs", "2",
                  "--out", os.path.join(self.tmp, "e1"), check=2)
        self.assertIn("--unfreeze-after needs --freeze", p.stderr)
        p = train("--data", self.data, "--model", "panns_mobilenetv2", "--freeze", "fc1", "--unfreeze-after", "2",
                  "--epochs", "2", "--out", os.path.join(self.tmp, "e2"), check=2)
        self.assertIn("--unfreeze-after 2 leaves no epoch to train unfrozen: the stages have 2 epochs", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
