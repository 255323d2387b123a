"""Data-parallel genre-train on c10d (Gloo, loopback): 2 ranks against 1 process with
the same global batch and seed, rank-0-only outputs, a rank killed (-9) under a
torchrun-style launch and under --nproc, distributed resume after kill -9, and the
errors. Run by meson with GENRE_BUILD_ROOT set."""
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import torch

BUILD = os.environ.get("GENRE_BUILD_ROOT", "")
TOOLS = os.path.join(BUILD, "tools")
TRAIN = os.path.join(TOOLS, "genre-train")
SMALL_IMAGES = "audioconvert ! audioresample ! melspec sample-rate=22050 ! specresize width=64 height=64"


def run(*args, env=None, check=None, timeout=600):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=dict(os.environ, **(env or {})), timeout=timeout)
    if check is not None and p.returncode != check:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}, expected {check}\n{p.stderr[-3000:]}")
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def state_dict(bundle):
    return torch.jit.load(bundle).state_dict()


def history(out):
    return [json.loads(line) for line in open(os.path.join(out, "metrics.jsonl"))]


class DistributedTrainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="genre-train-dist-")
        fma = os.path.join(cls.tmp, "fma")
        run(os.path.join(TOOLS, "fma-synth"), "--out", fma, "--tracks", "120", "--duration", "3", "--seed", "5",
            "--workers", "2", "--sample-rate", "22050", "--channels", "1", check=0)
        cls.data = os.path.join(cls.tmp, "data")
        run(os.path.join(TOOLS, "fma-convert"), "--audio", os.path.join(fma, "fma_small"), "--metadata",
            os.path.join(fma, "fma_metadata"), "--out", cls.data, "--min-duration", "1", "--pipeline", SMALL_IMAGES,
            check=0)
        manifest = json.load(open(os.path.join(cls.data, "manifest.json")))
        train = manifest["splits"]["train"]["samples"]
        # A global batch that divides the training set: no rank pads its shard,
        # so every step's rank batches together are the 1-process batch.
        cls.batch = next((b for b in (16, 14, 12, 10, 8, 6, 4) if train % b == 0), None)
        cls.train_samples = train
        # gru: no batch norm, dropout 0: the 2-rank gradient is the 1-process one up to rounding.
        cls.base = ["--data", cls.data, "--model", "gru", "--gru-hidden", "32", "--head-dropout", "0",
                    "--patience", "0", "--lr", "3e-3", "--workers", "1"]
        cls.args = cls.base + ["--epochs", "3", "--batch-size", str(cls.batch or 16)]
        cls._two_rank = None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.tmp, self.id().split(".")[-1] + "-" + name)

    def two_rank_run(self):
        """One uninterrupted --nproc 2 run, shared by the tests that compare against it."""
        cls = type(self)
        if cls._two_rank is None:
            out = os.path.join(self.tmp, "two-rank")
            p = run(TRAIN, *self.args, "--threads", "1", "--nproc", "2", "--out", out, check=0)
            cls._two_rank = (out, p)
        return cls._two_rank

    def rank_env(self, rank, port, world=2):
        return {"RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank), "MASTER_ADDR": "127.0.0.1",
                "MASTER_PORT": str(port)}

    def test_two_ranks_reach_the_single_process_weights_and_metrics(self):
        if not self.batch:
            self.skipTest(f"no batch in 4..16 divides the {self.train_samples} training samples")
        one = self.out("one")
        run(TRAIN, *self.args, "--threads", "1", "--out", one, check=0)
        two, p = self.two_rank_run()
        self.assertIn("2 ranks (c10d gloo)", p.stderr)
        sa, sb = state_dict(os.path.join(one, "model.pt")), state_dict(os.path.join(two, "model.pt"))
        self.assertEqual(sorted(sa), sorted(sb))
        for name in sa:
            torch.testing.assert_close(sb[name], sa[name], rtol=1e-3, atol=2e-5, msg=name)
        h1, h2 = history(one), history(two)
        self.assertEqual(len(h1), 3)
        self.assertEqual(len(h2), 3)
        for a, b in zip(h1, h2):
            self.assertAlmostEqual(a["train_loss"], b["train_loss"], places=4)
            self.assertAlmostEqual(a["val_loss"], b["val_loss"], places=4)
            self.assertEqual(a["val_top1"], b["val_top1"])  # the validation set evaluated once, across both ranks
            self.assertNotIn("world_size", a)
            self.assertEqual(b["world_size"], 2)
            self.assertGreaterEqual(b["allreduce_share"], 0.0)
            self.assertLess(b["allreduce_share"], 1.0)
        r1, r2 = (json.load(open(os.path.join(d, "report.json"))) for d in (one, two))
        self.assertEqual(r1["test"]["fine"]["top1"], r2["test"]["fine"]["top1"])
        # The test set evaluated in two shares, gathered in sample order: the same predictions.
        rows1, rows2 = (list(csv.reader(open(os.path.join(d, "predictions.csv")))) for d in (one, two))
        self.assertEqual(len(rows1), len(rows2))
        for x, y in zip(rows1[1:], rows2[1:]):
            self.assertEqual(x[:5], y[:5])
            for u, v in zip(x[5:], y[5:]):
                self.assertAlmostEqual(float(u), float(v), delta=1e-3)

    def test_only_rank_0_writes(self):
        # A torchrun-style launch where rank 1 is told another --out: it must never create it.
        port = free_port()
        out0, out1 = self.out("rank0"), self.out("rank1")
        args = [TRAIN, *self.base, "--threads", "1", "--epochs", "1", "--batch-size", "16"]
        r1 = subprocess.Popen(args + ["--out", out1], env=dict(os.environ, **self.rank_env(1, port)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p0 = run(*args, "--out", out0, env=self.rank_env(0, port), check=0)
        o1, e1 = r1.communicate(timeout=600)
        self.assertEqual(r1.returncode, 0, e1)
        self.assertFalse(os.path.exists(out1), "rank 1 wrote files")
        self.assertEqual(o1, "", "rank 1 printed progress or a summary")
        self.assertIn("test: fine top-1", p0.stdout)
        for name in ("config.json", "model.pt", "report.json", "metrics.csv", "predictions.csv",
                     "stages/fine/last.pt", "stages/fine/best.pt"):
            self.assertTrue(os.path.exists(os.path.join(out0, name)), name)

    def test_a_killed_rank_stops_the_others_with_a_clear_error(self):
        port = free_port()
        out = self.out("killed")
        args = [TRAIN, *self.args, "--threads", "1", "--dist-timeout", "30", "--out", out]
        kill = {"GENRE_TRAIN_TEST_KILL_AFTER_STEPS": "3", "GENRE_TRAIN_TEST_KILL_RANK": "1"}
        r1 = subprocess.Popen(args, env=dict(os.environ, **self.rank_env(1, port), **kill),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        start = time.monotonic()
        p0 = run(*args, env=dict(self.rank_env(0, port), **kill), timeout=120)
        elapsed = time.monotonic() - start
        r1.communicate(timeout=60)
        self.assertEqual(r1.returncode, -signal.SIGKILL)
        self.assertEqual(p0.returncode, 1, p0.stderr)
        self.assertLess(elapsed, 90)
        last = p0.stderr.strip().splitlines()[-1]
        self.assertIn("genre-train: rank 0: the process group of 2 ranks failed", last)

        # The same under --nproc: the launcher names the rank and the signal and stops rank 0.
        out = self.out("killed-nproc")
        start = time.monotonic()
        p = run(TRAIN, *self.args, "--threads", "1", "--nproc", "2", "--out", out, env=kill, timeout=120)
        self.assertNotEqual(p.returncode, 0)
        self.assertLess(time.monotonic() - start, 90)
        self.assertIn("genre-train: rank 1 of 2 was killed by signal 9 (SIGKILL); stopping the other ranks", p.stderr)

    def test_a_hung_rank_stops_the_others_after_the_timeout(self):
        port = free_port()
        args = [TRAIN, *self.base, "--epochs", "50", "--batch-size", "16", "--threads", "1", "--dist-timeout", "5"]
        r1 = subprocess.Popen(args + ["--out", self.out("r1")], env=dict(os.environ, **self.rank_env(1, port)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r0 = subprocess.Popen(args + ["--out", self.out("r0")], env=dict(os.environ, **self.rank_env(0, port)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            for line in r0.stderr:  # training is under way once an epoch has finished
                if "epoch 1/50 train_loss" in line:
                    break
            os.kill(r1.pid, signal.SIGSTOP)
            stopped = time.monotonic()
            rest = r0.stderr.read()
            r0.wait(timeout=120)
            self.assertEqual(r0.returncode, 1)
            self.assertLess(time.monotonic() - stopped, 40)
            self.assertIn("genre-train: rank 0: the process group of 2 ranks failed (another rank died, or none "
                          "answered within 5 s)", rest)
        finally:
            r1.kill()
            r1.wait()
            r0.kill()
            r0.wait()

    def test_nproc_passes_sigterm_on_and_names_it(self):
        p = subprocess.Popen([TRAIN, *self.base, "--epochs", "200", "--batch-size", "16", "--threads", "1", "--nproc",
                              "2", "--out", self.out("run")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            for line in p.stderr:
                if "epoch 1/200 train_loss" in line:
                    break
            p.send_signal(signal.SIGTERM)
            rest = p.stderr.read()
            p.wait(timeout=60)
            self.assertEqual(p.returncode, 128 + signal.SIGTERM)
            self.assertIn("genre-train: interrupted (SIGTERM): stopped the 2 ranks; continue with --resume", rest)
            with open(os.path.join(self.out("run"), "config.json")):
                pass
        finally:
            p.kill()
            p.wait()

    def test_distributed_resume_after_kill_continues_exactly(self):
        two, _ = self.two_rank_run()
        out = self.out("resumed")
        # Both ranks killed -9 mid-epoch 2, then a resumed 2-rank run.
        killed = run(TRAIN, *self.args, "--threads", "1", "--nproc", "2", "--out", out,
                     env={"GENRE_TRAIN_TEST_KILL_AFTER_STEPS": str(self.train_samples // (self.batch or 16) + 2)})
        self.assertNotEqual(killed.returncode, 0)
        self.assertIn("was killed by signal 9", killed.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "model.pt")))
        run(TRAIN, "--resume", out, "--threads", "1", "--nproc", "2", check=0)
        sa, sb = state_dict(os.path.join(two, "model.pt")), state_dict(os.path.join(out, "model.pt"))
        for name in sa:
            self.assertTrue(torch.equal(sa[name], sb[name]), name)
        self.assertEqual([h["epoch"] for h in history(out)], [1, 2, 3])

    def test_errors(self):
        p = run(TRAIN, *self.base, "--nproc", "2", "--batch-size", "15", "--out", self.out("odd"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("--batch-size 15 (the global batch) is not divisible by 2 ranks", p.stderr)
        p = run(TRAIN, *self.args, "--out", self.out("norank"), env={"WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                                                                     "MASTER_PORT": "1"})
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr.strip(), "genre-train: WORLD_SIZE is 2 but RANK is not set")
        # A peer that never comes: the rendezvous gives up after --dist-timeout.
        start = time.monotonic()
        p = run(TRAIN, *self.args, "--dist-timeout", "3", "--out", self.out("alone"),
                env=self.rank_env(1, free_port()), timeout=120)
        self.assertEqual(p.returncode, 1)
        self.assertLess(time.monotonic() - start, 60)
        # LibTorch's own log may say more before; genre-train's verdict is one line, the last.
        ours = [line for line in p.stderr.splitlines() if line.startswith("genre-train:")]
        self.assertEqual(len(ours), 1, p.stderr)
        self.assertEqual(ours[0], p.stderr.strip().splitlines()[-1])
        self.assertIn("genre-train: rank 1: cannot join the process group at 127.0.0.1", ours[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
