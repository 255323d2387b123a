"""End-to-end tests of fma-synth + fma-convert on small generated FMA trees:
bad files reported, resume after kill -9, sharded jobs == one job, --pipeline.
Run by meson with GENRE_BUILD_ROOT and GST_PLUGIN_PATH set (tests/meson.build)."""
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

import numpy as np

BUILD = os.environ.get("GENRE_BUILD_ROOT", "")
SYNTH = os.path.join(BUILD, "tools", "fma-synth")
CONVERT = os.path.join(BUILD, "tools", "fma-convert")


def run(*args, check=None):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check is not None and p.returncode != check:
        raise AssertionError(f"{args[0]} exited {p.returncode}, expected {check}\n{p.stderr}")
    return p


def synth(root, tracks, duration, *extra):
    run(SYNTH, "--out", root, "--tracks", str(tracks), "--duration", str(duration), "--seed", "5",
        "--workers", "2", *extra, check=0)
    return os.path.join(root, "fma_small"), os.path.join(root, "fma_metadata")


def dataset_samples(out):
    """key -> (split, tensor, cls, macro.cls) over finalized shards; fails on duplicates."""
    samples = {}
    for name in sorted(os.listdir(out)):
        if not name.endswith(".tar"):
            continue
        split = name.split("-")[0]
        with tarfile.open(os.path.join(out, name)) as tar:
            members = {}
            for m in tar.getmembers():
                key, ext = m.name.split(".", 1)
                members.setdefault(key, {})[ext] = tar.extractfile(m).read()
            for key, parts in members.items():
                if key in samples:
                    raise AssertionError(f"sample {key} written twice ({name})")
                samples[key] = (split, np.load(io.BytesIO(parts["npy"])).astype(np.float32),
                                parts["cls"].strip(), parts["macro.cls"].strip())
    return samples


def assert_same_dataset(test, got, expected):
    """Same keys, splits, labels and tensors, bit for bit: the pipeline is deterministic."""
    test.assertEqual(sorted(got), sorted(expected))
    for key, (split, tensor, cls, macro) in expected.items():
        g = got[key]
        test.assertEqual((g[0], g[2], g[3]), (split, cls, macro), key)
        test.assertEqual(g[1].shape, tensor.shape, key)
        test.assertTrue(np.array_equal(g[1], tensor), key)


def tree_digest(root):
    """Relative path -> file bytes, for every file fma-synth wrote."""
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, root)] = f.read()
    return files


def read_failures(path, key=int):
    """track_id -> row; key=str for --folders datasets (their ids are sample keys)."""
    with open(path, newline="") as f:
        return {key(r["track_id"]): r for r in csv.DictReader(f)}


def dataset_json(out):
    """key -> the sample's .json (a dict) over finalized shards."""
    meta = {}
    for name in sorted(os.listdir(out)):
        if name.endswith(".tar"):
            with tarfile.open(os.path.join(out, name)) as tar:
                for m in tar.getmembers():
                    if m.name.endswith(".json"):
                        meta[m.name.split(".", 1)[0]] = json.loads(tar.extractfile(m).read())
    return meta


class FmaConvertEndToEnd(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="fma-e2e-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_bad_files_are_reported_and_never_stop_the_run(self):
        audio, meta = synth(os.path.join(self.dir, "tree"), 24, 3, "--short-duration", "0.5",
                            "--bad-missing", "1", "--bad-zero-byte", "1", "--bad-truncated", "1",
                            "--bad-non-audio", "1", "--bad-too-short", "1", "--bad-checksum", "1",
                            "--no-genre", "1")
        out = os.path.join(self.dir, "ds")
        p = run(CONVERT, "--audio", audio, "--metadata", meta, "--out", out, "--workers", "2",
                "--min-duration", "1.5", "--checksums", os.path.join(audio, "checksums"), "--split", "official")
        self.assertEqual(p.returncode, 1, p.stderr)  # documented: some tracks failed
        summary = json.loads(p.stdout)
        with open(os.path.join(self.dir, "tree", "bad_files.csv")) as f:
            bad = {int(r["track_id"]): r["kind"] for r in csv.DictReader(f)}
        failures = read_failures(os.path.join(out, "failures.csv"))
        expected_reason = {"missing": "missing", "zero-byte": "zero-byte", "truncated": "too-short",
                           "non-audio": "not-audio", "too-short": "too-short", "checksum": "checksum"}
        for tid, kind in bad.items():
            if kind == "no-genre":
                self.assertNotIn(tid, failures)
                self.assertIn(tid, summary["metadata"]["outside_track_ids"])
            else:
                self.assertEqual(failures[tid]["reason"], expected_reason[kind], failures[tid])
            if kind == "non-audio":  # an HTML page: typefind's type, not "missing a plug-in"
                self.assertEqual(failures[tid]["detail"], "text/html: not an audio file")
        self.assertEqual(set(failures), {t for t, k in bad.items() if k != "no-genre"})
        samples = dataset_samples(out)
        good = 24 - len(bad)
        self.assertEqual(len(samples), good)
        self.assertEqual(summary["converted"], good)
        self.assertEqual(summary["failed"], 6)
        self.assertEqual(summary["failures_by_reason"], {"checksum": 1, "missing": 1, "too-short": 2,
                                                          "not-audio": 1, "zero-byte": 1})
        self.assertEqual(summary["metadata"]["outside_taxonomy"], 1)
        # Official split from tracks.csv, sample keys are the six-digit ids.
        tracks = {}
        with open(os.path.join(meta, "tracks.csv"), newline="") as f:
            rows = list(csv.reader(f))
        col = rows[1].index("split")
        for r in rows[3:]:
            tracks[f"{int(r[0]):06d}"] = {"training": "train", "validation": "val", "test": "test"}[r[col]]
        for key, (split, _, cls, _) in samples.items():
            self.assertEqual(split, tracks[key])
        # Each sample's JSON names its file and its artist and album (tracks.csv's artist/id, album/id).
        ids = {f"{int(r[0]):06d}": (r[rows[1].index("id", rows[0].index("artist"))],
                                     r[rows[1].index("id", rows[0].index("album"))]) for r in rows[3:]}
        for key, meta in dataset_json(out).items():
            self.assertEqual(meta["relative_path"], f"{key[:3]}/{key}.mp3")
            self.assertEqual((meta["artist"], meta["album"]), ids[key])
        manifest = json.load(open(os.path.join(out, "manifest.json")))
        self.assertEqual(sum(s["samples"] for s in manifest["shards"]), good)

    def test_resume_after_kill_gives_the_uninterrupted_result(self):
        audio, meta = synth(os.path.join(self.dir, "tree"), 40, 5)
        ref = os.path.join(self.dir, "ref")
        common = ["--audio", audio, "--metadata", meta, "--workers", "1",
                  "--sink-properties", "max-samples=2"]
        run(CONVERT, *common, "--out", ref, check=0)
        expected = dataset_samples(ref)
        self.assertEqual(len(expected), 40)

        out = os.path.join(self.dir, "killed")
        proc = subprocess.Popen([CONVERT, *common, "--out", out], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            if os.path.isdir(out) and len([n for n in os.listdir(out) if n.endswith(".tar")]) >= 2:
                break
            time.sleep(0.005)
        self.assertIsNone(proc.poll(), "the converter finished before it could be killed")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        partial = dataset_samples(out)
        self.assertLess(len(partial), 40)
        p = run(CONVERT, *common, "--out", out, "--resume", check=0)
        summary = json.loads(p.stdout)
        self.assertGreater(summary["already_complete"], 0)
        self.assertEqual(summary["already_complete"] + summary["converted"], 40)
        assert_same_dataset(self, dataset_samples(out), expected)  # none missing, none twice
        # A second --resume has nothing left to do.
        again = json.loads(run(CONVERT, *common, "--out", out, "--resume", check=0).stdout)
        self.assertEqual(again["converted"], 0)
        assert_same_dataset(self, dataset_samples(out), expected)

    def test_sharded_jobs_union_equals_one_run_and_merge(self):
        audio, meta = synth(os.path.join(self.dir, "tree"), 18, 2, "--bad-zero-byte", "1")
        single = os.path.join(self.dir, "single")
        common = ["--audio", audio, "--metadata", meta, "--workers", "1"]
        run(CONVERT, *common, "--out", single, check=1)
        shared = os.path.join(self.dir, "shared")
        jobs = [subprocess.Popen([CONVERT, *common, "--out", shared, "--shard-index", str(i),
                                  "--shard-count", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for i in range(3)]  # concurrently, into one directory
        codes = [j.wait() for j in jobs]
        self.assertEqual(sorted(codes), [0, 0, 1])  # the bad file belongs to exactly one job
        planned = [json.load(open(os.path.join(shared, f"summary-{i}-of-3.json")))["planned"] for i in range(3)]
        self.assertEqual(sum(planned), 18)
        self.assertTrue(all(n > 0 for n in planned))
        m = run(CONVERT, "--merge", "--out", shared, "--shard-count", "3")
        self.assertEqual(m.returncode, 1, m.stderr)  # complete, with one failure
        merged = json.loads(m.stdout)
        self.assertEqual(merged["missing"], 0)
        self.assertEqual(merged["tracks_in_dataset"], 17)
        self.assertEqual(len(read_failures(os.path.join(shared, "failures.csv"))), 1)
        assert_same_dataset(self, dataset_samples(shared), dataset_samples(single))

    def test_pipeline_option_changes_the_tensor_shape(self):
        audio, meta = synth(os.path.join(self.dir, "tree"), 3, 2)
        out = os.path.join(self.dir, "small-cnn")
        run(CONVERT, "--audio", audio, "--metadata", meta, "--out", out, "--workers", "1", "--pipeline",
            "audioconvert ! audioresample ! audio/x-raw,channels=1,rate=22050 ! melspec ! "
            "specresize width=128 height=128", check=0)
        manifest = json.load(open(os.path.join(out, "manifest.json")))
        self.assertEqual(manifest["sample_shape"][-2:], [128, 128])
        p = run(CONVERT, "--audio", audio, "--metadata", meta, "--out", out, "--pipeline", "nosuchelement")
        self.assertEqual(p.returncode, 3)
        self.assertIn("nosuchelement", p.stderr)

    def test_generator_is_deterministic_from_its_seed(self):
        def generate(name, seed):
            root = os.path.join(self.dir, name)
            run(SYNTH, "--out", root, "--tracks", "6", "--duration", "2", "--seed", str(seed),
                "--workers", "2", "--bad-truncated", "1", check=0)
            return tree_digest(root)
        first, again, other = generate("a", 11), generate("b", 11), generate("c", 12)
        self.assertGreater(len(first), 6)  # tracks.csv, genres.csv, checksums, MP3s
        self.assertEqual(first, again)
        self.assertNotEqual(first, other)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run(CONVERT, "--out", self.dir).returncode, 2)
        self.assertEqual(run(CONVERT, "--audio", "a", "--metadata", "m", "--out", "o", "--split", "x").returncode, 2)
        self.assertEqual(run(CONVERT, "--audio", "a", "--metadata", "m", "--out", "o", "--shard-index", "3",
                             "--shard-count", "3").returncode, 2)
        p = run(CONVERT, "--audio", "a", "--metadata", os.path.join(self.dir, "none"), "--out", self.dir)
        self.assertEqual(p.returncode, 3)
        self.assertIn("genres.csv", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
