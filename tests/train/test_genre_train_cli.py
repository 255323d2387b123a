"""genre-train as a new user meets it on the small example of pipelines/fma.md (fma-synth
--tracks 64, then fma-convert: no val split): validation carved from the training tracks
and said in one line; a run that failed before its first epoch does not block the corrected
command, and --resume of it says there is nothing to resume; control characters in messages
are escaped; --help's flag column holds names, value types and defaults only.
Run by meson with GENRE_BUILD_ROOT set."""
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import unittest

import torch

BUILD = os.environ.get("GENRE_BUILD_ROOT", "")
TOOLS = os.path.join(BUILD, "tools")
TRAIN = os.path.join(TOOLS, "genre-train")
PIPELINE = "audioconvert ! audioresample ! melspec sample-rate=22050 n-mels=64 ! specresize width=64 height=64"


def run(*args, env=None, check=None):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600,
                       env=dict(os.environ, **(env or {})))
    if check is not None and p.returncode != check:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}, expected {check}\n{p.stderr[-3000:]}")
    return p


def train(*args, env=None, check=0):
    return run(TRAIN, "--threads", "2", "--workers", "1", "--batch-size", "8", *args, env=env, check=check)


def median_train_clip_frames(dataset):
    manifest = json.load(open(os.path.join(dataset, "manifest.json")))
    frames = []
    for shard in manifest["shards"]:
        if shard["split"] != "train":
            continue
        with tarfile.open(os.path.join(dataset, shard["name"])) as tar:
            for m in tar.getmembers():
                if m.name.endswith(".json"):
                    frames.append(json.loads(tar.extractfile(m).read())["window"]["window_frames"])
    frames.sort()
    return frames[len(frames) // 2]


def messages(stderr):
    return [line for line in stderr.splitlines() if line.startswith("genre-train:")]


class GenreTrainCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="genre-train-cli-")
        fma = os.path.join(cls.tmp, "fma")
        run(os.path.join(TOOLS, "fma-synth"), "--out", fma, "--tracks", "64", "--duration", "3", "--seed", "1",
            "--workers", "2", check=0)
        cls.data = os.path.join(cls.tmp, "ds")
        run(os.path.join(TOOLS, "fma-convert"), "--audio", os.path.join(fma, "fma_small"), "--metadata",
            os.path.join(fma, "fma_metadata"), "--out", cls.data, "--min-duration", "1", "--pipeline", PIPELINE,
            check=0)
        manifest = json.load(open(os.path.join(cls.data, "manifest.json")))
        cls.splits = {s["split"] for s in manifest["shards"]}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.tmp, self.id().split(".")[-1] + "-" + name)

    def test_the_small_example_has_no_val_split(self):
        # The premise of the next test: pipelines/fma.md's 64 tracks leave val empty.
        self.assertNotIn("val", self.splits)
        self.assertIn("train", self.splits)
        self.assertIn("test", self.splits)

    def test_validation_is_carved_from_training_tracks_and_said_once(self):
        out = self.out("run")
        p = train("--data", self.data, "--model", "cnn", "--epochs", "2", "--out", out)
        said = [l for l in p.stderr.splitlines() if "no 'val' split" in l]
        self.assertEqual(len(said), 1, p.stderr)
        self.assertIn("stratified", said[0])
        self.assertIn("seed 42", said[0])
        history = [json.loads(l) for l in open(os.path.join(out, "metrics.jsonl"))]
        self.assertTrue(history)
        for row in history:
            self.assertIsNotNone(row.get("val_loss"), row)
        self.assertTrue(os.path.exists(os.path.join(out, "model.pt")))
        # A whole-clip model records the clip length it was trained on (the median clip), so that
        # classification cuts longer input into clips of that length.
        bundle = json.loads(torch.jit.load(os.path.join(out, "model.pt")).bundle_json)
        spec = bundle["preprocessing"]["genre/specresize-params"]
        self.assertEqual(spec["window-frames"], 0)
        self.assertEqual(spec["max-frames"], median_train_clip_frames(self.data))
        # The carve is whole tracks: no track in both.
        splits = json.load(open(os.path.join(out, "splits.json")))
        self.assertFalse(set(splits["train"]) & set(splits["val"]))
        self.assertTrue(splits["val"])

    def test_a_run_that_failed_before_an_epoch_does_not_block_the_corrected_command(self):
        out = self.out("run")
        bad = train("--data", self.data, "--model", "cnn", "--regime", "multitask", "--epochs", "1", "--out", out,
                    check=None)
        self.assertNotEqual(bad.returncode, 0)
        self.assertEqual(len(messages(bad.stderr)), 1, bad.stderr)
        resumed = run(TRAIN, "--resume", out, check=1)
        self.assertIn("nothing to resume", resumed.stderr)
        self.assertEqual(len(messages(resumed.stderr)), 1, resumed.stderr)
        train("--data", self.data, "--model", "cnn", "--epochs", "1", "--out", out)
        self.assertTrue(os.path.exists(os.path.join(out, "model.pt")))
        # A finished run still blocks a fresh start.
        again = train("--data", self.data, "--model", "cnn", "--epochs", "1", "--out", out, check=1)
        self.assertIn("--resume", again.stderr)

    def test_a_run_killed_before_its_first_epoch_ended_does_not_block_a_fresh_start(self):
        out = self.out("run")
        killed = train("--data", self.data, "--model", "cnn", "--epochs", "1", "--out", out,
                       env={"GENRE_TRAIN_TEST_KILL_AFTER_STEPS": "1"}, check=None)
        self.assertEqual(killed.returncode, -signal.SIGKILL)
        self.assertTrue(os.path.exists(os.path.join(out, "config.json")))
        train("--data", self.data, "--model", "cnn", "--epochs", "1", "--out", out)
        self.assertTrue(os.path.exists(os.path.join(out, "model.pt")))

    def test_control_characters_in_messages_are_escaped(self):
        data = os.path.join(self.tmp, "no\x1b[31mdata\nhere")
        p = train("--data", data, "--model", "cnn", "--out", self.out("run"), check=None)
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn("\x1b", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("no\\e[31mdata\\nhere", p.stderr)

    def test_help_flag_column_holds_names_types_and_defaults(self):
        text = run(TRAIN, "--help", check=0).stdout
        self.assertNotIn("{false}", text)
        self.assertNotIn("{true}", text)
        self.assertNotIn(" x 2", text)
        line = next(l for l in text.splitlines() if "--task-weights" in l)
        self.assertIn("--task-weights FLOAT FLOAT", line)
        self.assertIn("(default: 1 1)", text)
        self.assertIn("--no-channels-last ", text)
        convert = run(os.path.join(TOOLS, "fma-convert"), "--help", check=0).stdout
        self.assertNotIn("Excludes:", convert)
        self.assertIn("(not with --", convert)


if __name__ == "__main__":
    unittest.main(verbosity=2)
