"""The recipe for real music end to end: shortchunk on a generated dataset of native-resolution
log-mel windows (dB, no resizing, float32). The band statistics in the bundle are the training
split's; the bundle gives the C++ probabilities in Python; a killed run resumes to the same
weights; and the pipeline genre-classify builds from the bundle feeds the model exactly the
tensors training saw for the same audio. Run by meson with GENRE_BUILD_ROOT set."""
import csv
import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import unittest

import numpy as np
import torch

from test_genre_train_e2e import TOOLS, TRAIN, read_split_samples, run, state_dict, train

N_MELS, WINDOW, HOP = 64, 64, 16
NATIVE = ("audioconvert ! audioresample ! melspec sample-rate=22050 n-mels=%d ! specresize width=%d height=%d "
          "window-frames=%d hop-frames=%d db-ref=one normalization=none" % (N_MELS, WINDOW, N_MELS, WINDOW, HOP))


def make_native_dataset(root):
    fma = os.path.join(root, "fma")
    run(os.path.join(TOOLS, "fma-synth"), "--out", fma, "--tracks", "120", "--duration", "4", "--seed", "5",
        "--workers", "2", "--sample-rate", "22050", "--channels", "1", check=0)
    out = os.path.join(root, "native")
    run(os.path.join(TOOLS, "fma-convert"), "--audio", os.path.join(fma, "fma_small"), "--metadata",
        os.path.join(fma, "fma_metadata"), "--out", out, "--min-duration", "1", "--pipeline", NATIVE,
        "--sink-properties", "dtype=float32", check=0)
    return fma, out


class ShortChunkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="shortchunk-test-")
        cls.fma, cls.data = make_native_dataset(cls.tmp)
        cls.run_dir = os.path.join(cls.tmp, "run")
        train("--data", cls.data, "--model", "shortchunk", "--epochs", "3", "--out", cls.run_dir)
        cls.model = torch.jit.load(os.path.join(cls.run_dir, "model.pt")).eval()
        cls.bundle = json.loads(cls.model.bundle_json)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_recipe_defaults_are_recorded(self):
        config = json.load(open(os.path.join(self.run_dir, "config.json")))
        self.assertEqual((config["augment"], config["keep"], config["windows_per_track"]), ("small-data", "last", 8))
        self.assertEqual(config["augmentation"]["gain_db"], 6)
        self.assertGreater(config["augmentation"]["mixup_alpha"], 0)
        self.assertEqual(self.bundle["model"], "shortchunk")
        self.assertEqual(self.bundle["input_shape"], [1, N_MELS, WINDOW])
        self.assertAlmostEqual(self.bundle["inference"]["hop_seconds"], HOP * 512 / 22050)
        # One-cycle, no early stop: every epoch ran, and the last weights were kept.
        self.assertEqual([e["epoch"] for e in self.bundle["training"]["epochs"]], [1, 2, 3])

    def test_band_statistics_are_the_training_splits_and_travel_in_the_bundle(self):
        train_images = np.stack(list(read_split_samples(self.data, "train").values())).astype(np.float64)
        mean = train_images.mean(axis=(0, 3)).reshape(-1)  # per channel x band, over samples and frames
        std = train_images.std(axis=(0, 3)).reshape(-1)
        recorded = self.bundle["training"]["band_standardization"]
        np.testing.assert_allclose(recorded["mean"], mean, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(recorded["std"], np.maximum(std, 1e-3 * std.mean()), rtol=1e-5, atol=1e-6)
        buffers = dict(self.model.named_buffers())
        np.testing.assert_allclose(buffers["band_mean"].numpy().reshape(-1), mean, rtol=1e-5, atol=1e-4)
        self.assertEqual(tuple(buffers["band_std"].shape), (1, N_MELS, 1))

    def test_bundle_in_python_gives_the_cpp_probabilities(self):
        images = read_split_samples(self.data, "test")
        with open(os.path.join(self.run_dir, "predictions.csv")) as f:
            rows = list(csv.reader(f))[1:]
        self.assertEqual(len(rows), len(images))
        x = torch.from_numpy(np.stack([images[r[0]] for r in rows]))
        with torch.no_grad():
            python_probs = self.model(x).softmax(1).numpy()
        cpp_probs = np.array([[float(v) for v in r[5:]] for r in rows], dtype=np.float32)
        np.testing.assert_allclose(python_probs, cpp_probs, rtol=1e-4, atol=1e-6)

    def test_resume_after_kill_continues_exactly(self):
        args = ["--data", self.data, "--model", "shortchunk", "--regime", "two-stage", "--epochs", "2"]
        a, b = os.path.join(self.tmp, "a"), os.path.join(self.tmp, "b")
        train(*args, "--out", a)
        killed = train(*args, "--out", b, env={"GENRE_TRAIN_TEST_KILL_AFTER_STEPS": "7"}, check=None)
        self.assertEqual(killed.returncode, -signal.SIGKILL)
        run(TRAIN, "--resume", b, check=0)
        sa, sb = state_dict(os.path.join(a, "model.pt")), state_dict(os.path.join(b, "model.pt"))
        self.assertEqual(sorted(sa), sorted(sb))
        for name in sa:
            self.assertTrue(torch.equal(sa[name], sb[name]), name)

    def test_the_classification_pipeline_feeds_the_model_the_training_tensors(self):
        images = read_split_samples(self.data, "test")
        track = sorted({k.split("_w")[0] for k in images})[0]
        windows = [images[f"{track}_w{i}"] for i in range(sum(1 for k in images if k.startswith(track + "_w")))]
        audio = os.path.join(self.fma, "fma_small", track[:3], track + ".mp3")
        model_path = os.path.join(self.run_dir, "model.pt")
        # The pipeline genre-classify builds from the bundle (its hop is the bundle's), its images dumped
        # after genreclassify (which passes them through): byte for byte the dataset's windows.
        printed = run(os.path.join(TOOLS, "genre-classify"), "-m", model_path, "--print-pipeline", audio, check=0)
        line = printed.stdout.strip()
        self.assertIn(f" window-frames={WINDOW} hop-frames={HOP} ", line)
        dump = os.path.join(self.tmp, "images.raw")
        words = shlex.split(line)[2:]  # without "gst-launch-1.0 -m"
        sink = words.index("fakesink")
        self.assertEqual(words[sink - 1], "!", line)
        words = words[:sink] + ["filesink", f"location={dump}"]
        launched = subprocess.run(["gst-launch-1.0", "-q"] + words, capture_output=True, text=True, timeout=120)
        self.assertEqual(launched.returncode, 0, launched.stderr)
        fed = np.fromfile(dump, dtype=np.float32).reshape(-1, 1, N_MELS, WINDOW)
        self.assertEqual(len(fed), len(windows))
        for i, (got, trained) in enumerate(zip(fed, windows)):
            self.assertTrue(np.array_equal(got, trained), f"window {i} differs from the training sample")
        # And genre-classify's per-window probabilities are the model's on those tensors.
        classes = [c["name"] for c in self.bundle["classes"]["fine"]]
        r = run(os.path.join(TOOLS, "genre-classify"), "-m", model_path, "--windows", "--format", "json", "-j", "1",
                "-k", str(len(classes)), audio, check=0)
        recs = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        per_window = [w for w in recs if w["type"] == "window"]
        self.assertEqual(len(per_window), len(windows))
        with torch.no_grad():
            expected = self.model(torch.from_numpy(np.stack(windows))).softmax(1).numpy()
        for w, p in zip(per_window, expected):
            got = {t["label"]: t["score"] for t in w["top"]}
            np.testing.assert_allclose([got[c] for c in classes], p, rtol=1e-4, atol=1e-5)


if __name__ == "__main__":
    unittest.main()
