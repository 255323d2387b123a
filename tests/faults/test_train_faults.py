"""Faults during training, end to end: genre-train killed with SIGKILL at seeded random
moments (start-up, mid-epoch, mid-checkpoint, mid-export) and resumed each time must end
exactly as an uninterrupted run; a full disk and a file size limit during training give one
line and exit 1, keep the checkpoints already written, and --resume then finishes to the
same weights; a read-only output directory is refused at once.
Run by meson with GENRE_BUILD_ROOT and GST_PLUGIN_PATH set (tests/meson.build)."""
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import torch

BUILD = os.environ.get("GENRE_BUILD_ROOT", "")
TOOLS = os.path.join(BUILD, "tools")
TRAIN = os.path.join(TOOLS, "genre-train")
PIPELINE = "audioconvert ! audioresample ! melspec sample-rate=22050 ! specresize width=128 height=128"
TRAIN_ARGS = ["--model", "cnn", "--regime", "two-stage", "--epochs", "3", "--patience", "0",
              "--threads", "2", "--workers", "1"]


def run(*args, check=None, **kw):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if check is not None and p.returncode != check:
        raise AssertionError(f"{os.path.basename(args[0])} exited {p.returncode}, expected {check}\n"
                             f"{p.stderr[-3000:]}")
    return p


def same_weights(test, run_a, run_b):
    a = torch.jit.load(os.path.join(run_a, "model.pt")).state_dict()
    b = torch.jit.load(os.path.join(run_b, "model.pt")).state_dict()
    test.assertEqual(sorted(a), sorted(b))
    for name in a:
        test.assertTrue(torch.equal(a[name], b[name]), f"{name} differs from the uninterrupted run")
    test.assertEqual(read_json(run_a, "report.json")["test"], read_json(run_b, "report.json")["test"])
    test.assertEqual(epochs(run_a), epochs(run_b), "an epoch was lost or run twice")


def read_json(run_dir, name):
    with open(os.path.join(run_dir, name)) as f:
        return json.load(f)


def epochs(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [(h["stage"], h["epoch"]) for h in map(json.loads, f)]


def leftovers(run_dir):
    return [os.path.join(d, f) for d, _, files in os.walk(run_dir) for f in files if f.endswith(".partial")]


def limit_file_size(size):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return apply


class Tmpfs:
    """A small tmpfs mounted for one test; only root can, and a container may refuse."""

    def __init__(self, path, options):
        self.path = path
        os.makedirs(path, exist_ok=True)
        self.ok = os.geteuid() == 0 and run("mount", "-t", "tmpfs", "-o", options, "tmpfs", path).returncode == 0

    def remount(self, options):
        run("mount", "-o", "remount," + options, self.path, check=0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.ok:
            run("umount", "-l", self.path)


class TrainFaultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="genre-train-faults-")
        fma = os.path.join(cls.tmp, "fma")
        run(os.path.join(TOOLS, "fma-synth"), "--out", fma, "--tracks", "120", "--duration", "3", "--seed", "3",
            "--workers", "2", "--sample-rate", "22050", "--channels", "1", check=0)
        cls.data = os.path.join(cls.tmp, "data")
        run(os.path.join(TOOLS, "fma-convert"), "--audio", os.path.join(fma, "fma_small"), "--metadata",
            os.path.join(fma, "fma_metadata"), "--out", cls.data, "--min-duration", "1", "--pipeline", PIPELINE,
            check=0)
        cls.reference = os.path.join(cls.tmp, "uninterrupted")
        began = time.monotonic()
        run(TRAIN, "--data", cls.data, "--out", cls.reference, *TRAIN_ARGS, check=0)
        cls.seconds = time.monotonic() - began

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def fresh(self, name):
        path = os.path.join(self.tmp, name)
        shutil.rmtree(path, ignore_errors=True)
        return path

    def the_one_error_line(self, p):
        """A failed run's stderr: exit 1, one `genre-train:` line (returned), no std::terminate."""
        self.assertEqual(p.returncode, 1, p.stderr[-2000:])
        lines = [l for l in p.stderr.splitlines() if l.startswith("genre-train:")]
        self.assertEqual(len(lines), 1, p.stderr[-2000:])
        self.assertNotIn("terminate", p.stderr)
        return lines[0]

    def resume_until_done(self, out):
        p = run(TRAIN, "--resume", out, check=0)
        self.assertFalse(leftovers(out))
        return p

    def test_kill_dash_nine_at_random_moments_then_resume_ends_like_an_uninterrupted_run(self):
        out = self.fresh("killed")

        def start_or_resume():
            # Killed before the run's config existed? Then there is nothing to resume: the same
            # command again, as a user would.
            if os.path.exists(os.path.join(out, "config.json")):
                return [TRAIN, "--resume", out]
            return [TRAIN, "--data", self.data, "--out", out, *TRAIN_ARGS]

        def saved_since(moment):
            stages = os.path.join(out, "stages")
            times = [os.stat(os.path.join(d, f)).st_mtime for d, _, files in os.walk(stages)
                     for f in files if f == "last.pt"] if os.path.isdir(stages) else []
            return bool(times) and max(times) > moment

        # The first kill strikes during start-up or the first epoch; each later one waits until
        # that attempt has saved an epoch's checkpoint, then strikes after a seeded random part
        # of an epoch: mid-epoch, mid-checkpoint or mid-export, whatever the machine's speed.
        rng = random.Random(11)
        epoch_seconds = self.seconds / 6
        kills = 0
        for attempt in range(6):
            began = time.time()
            p = subprocess.Popen(start_or_resume(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            while attempt > 0 and p.poll() is None and not saved_since(began):
                time.sleep(0.01)
            time.sleep(rng.uniform(0.1, 0.8) * epoch_seconds)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                kills += 1
            _, err = p.communicate()
            if p.returncode == 0:
                break
            self.assertEqual(p.returncode, -signal.SIGKILL, err)
        self.assertGreaterEqual(kills, 3, "the run finished before it could be killed often enough")
        if p.returncode != 0:
            run(*start_or_resume(), check=0)
        self.assertFalse(leftovers(out))
        same_weights(self, self.reference, out)

    def test_file_size_limit_during_training_is_one_line_and_resume_finishes(self):
        out = self.fresh("fsize")
        # Below a checkpoint's size: the first checkpoint write fails with EFBIG.
        p = run(TRAIN, "--data", self.data, "--out", out, *TRAIN_ARGS, preexec_fn=limit_file_size(1 << 20))
        self.assertIn("File too large", self.the_one_error_line(p))
        self.assertFalse(leftovers(out))
        self.resume_until_done(out)
        same_weights(self, self.reference, out)

    def test_full_disk_mid_run_keeps_the_checkpoints_and_resume_finishes(self):
        mount = os.path.join(self.tmp, "small-disk")
        with Tmpfs(mount, "size=24m") as disk:
            if not disk.ok:
                self.skipTest("cannot mount a small tmpfs here (needs root): full-disk variant not run")
            out = os.path.join(mount, "run")
            p = run(TRAIN, "--data", self.data, "--out", out, *TRAIN_ARGS)
            self.assertIn("No space left on device", self.the_one_error_line(p))
            self.assertFalse(leftovers(out))
            # The macro stage finished before the disk filled: its checkpoints are intact.
            self.assertTrue(os.path.exists(os.path.join(out, "stages", "macro", "last.pt")))
            disk.remount("size=256m")
            self.resume_until_done(out)
            same_weights(self, self.reference, out)

    def test_read_only_output_is_refused_before_training(self):
        parent = os.path.join(self.tmp, "read-only")
        with Tmpfs(parent, "ro,size=1m") as disk:
            if not disk.ok:
                os.makedirs(parent, exist_ok=True)
                os.chmod(parent, 0o555)
                if os.access(parent, os.W_OK):
                    self.skipTest("root without mount rights: cannot make a read-only directory")
            try:
                p = run(TRAIN, "--data", self.data, "--out", os.path.join(parent, "run"), *TRAIN_ARGS)
            finally:
                if not disk.ok:
                    os.chmod(parent, 0o755)
        line = self.the_one_error_line(p)
        self.assertTrue("Read-only file system" in line or "Permission denied" in line, line)
        self.assertNotIn("training cnn", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
