"""Stress test: bad files (random bytes, non-audio, truncated) interleaved with
good ones, converted many times by 1-3 reused pipelines. A bad file must never
fail another track, nor put another file's audio under a track's key: every
good track converts, to the same samples as in a tree without bad files.

FMA_STRESS_RUNS sets the number of runs (default 24, under a minute here);
more runs give a rarer race more chances. Run by meson (tests/fma/meson.build)
with GENRE_BUILD_ROOT and GST_PLUGIN_PATH set."""
import csv
import io
import os
import subprocess
import tarfile
import tempfile
import unittest

import numpy as np

BUILD = os.environ.get("GENRE_BUILD_ROOT", "")
SYNTH = os.path.join(BUILD, "tools", "fma-synth")
CONVERT = os.path.join(BUILD, "tools", "fma-convert")

TRACKS = 20
SEED = 9
FAULTS = ["--bad-random", "3", "--bad-non-audio", "2", "--bad-truncated", "2"]
EXPECTED_REASON = {"random": "undecodable", "non-audio": "not-audio", "truncated": "too-short"}
# Windowed like the report that found the bug: several samples per track, keys <track>_w<n>.
PIPELINE = ("audioconvert ! audioresample ! audio/x-raw,channels=1,rate=22050 ! melspec n-mels=32 ! "
            "specresize window-frames=32 hop-frames=16 width=32 height=32")


def run(*args):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def synth(root, *faults):
    p = run(SYNTH, "--out", root, "--tracks", str(TRACKS), "--duration", "2", "--short-duration", "0.5",
            "--sample-rate", "22050", "--channels", "1", "--seed", str(SEED), "--workers", "2", *faults)
    if p.returncode != 0:
        raise AssertionError(f"fma-synth exited {p.returncode}: {p.stderr}")
    return os.path.join(root, "fma_small"), os.path.join(root, "fma_metadata")


def convert(audio, meta, out, workers):
    return run(CONVERT, "--audio", audio, "--metadata", meta, "--out", out, "--workers", str(workers),
               "--min-duration", "1.0", "--split", "official", "--pipeline", PIPELINE,
               "--sink-properties", "max-samples=7")


def samples_by_track(out):
    """track key -> {sample key: tensor bytes} over the finalized shards; fails on duplicates."""
    tracks, seen = {}, set()
    for name in sorted(os.listdir(out)):
        if not name.endswith(".tar"):
            continue
        with tarfile.open(os.path.join(out, name)) as tar:
            for m in tar.getmembers():
                key, ext = m.name.split(".", 1)
                if ext != "npy":
                    continue
                if key in seen:
                    raise AssertionError(f"sample {key} written twice ({name})")
                seen.add(key)
                tensor = np.load(io.BytesIO(tar.extractfile(m).read()))
                tracks.setdefault(key.split("_w")[0], {})[key] = tensor.tobytes()
    return tracks


class BadFilesNeverFailGoodOnes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="fma-stress-")
        d = cls.tmp.name
        # The same seed gives the same good tracks with or without faults.
        clean_audio, clean_meta = synth(os.path.join(d, "clean"))
        cls.audio, cls.meta = synth(os.path.join(d, "faulty"), *FAULTS)
        with open(os.path.join(d, "faulty", "bad_files.csv")) as f:
            cls.bad = {f"{int(r['track_id']):06d}": r["kind"] for r in csv.DictReader(f)}
        ref = os.path.join(d, "reference")
        p = convert(clean_audio, clean_meta, ref, 1)
        if p.returncode != 0:
            raise AssertionError(f"reference conversion exited {p.returncode}: {p.stderr}")
        cls.reference = samples_by_track(ref)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_fixture_interleaves_bad_and_good_tracks(self):
        self.assertEqual(sorted(self.bad.values()), sorted(["random"] * 3 + ["non-audio"] * 2 + ["truncated"] * 2))
        self.assertEqual(len(self.reference), TRACKS)
        self.assertTrue(all(len(s) >= 2 for s in self.reference.values()), "every track gives several windows")
        keys = sorted(self.reference)
        bad_positions = [i for i, k in enumerate(keys) if k in self.bad]
        self.assertLess(bad_positions[0], len(keys) - 1)  # some good track follows a bad one

    def test_every_good_track_converts_in_every_run(self):
        runs = int(os.environ.get("FMA_STRESS_RUNS", "24"))
        good = {k: v for k, v in self.reference.items() if k not in self.bad}
        failed_runs = []
        for i in range(runs):
            workers = 1 + i % 3
            out = os.path.join(self.tmp.name, f"run-{i}")
            p = convert(self.audio, self.meta, out, workers)
            problems = []
            if p.returncode != 1:  # documented: finished, some tracks failed
                problems.append(f"exit {p.returncode}: {p.stderr.strip()[-300:]}")
            # GLib warnings, e.g. filesrc refusing a new location while the last file is open.
            problems += [line for line in p.stderr.splitlines() if "WARNING **" in line or "CRITICAL **" in line]
            with open(os.path.join(out, "failures.csv"), newline="") as f:
                failures = {f"{int(r['track_id']):06d}": r for r in csv.DictReader(f)}
            for key, row in sorted(failures.items()):
                if key not in self.bad:
                    problems.append(f"good track {key} failed: {row['reason']}: {row['detail'][:120]}")
                elif row["reason"] != EXPECTED_REASON[self.bad[key]]:
                    problems.append(f"bad track {key} ({self.bad[key]}) failed as {row['reason']}")
            for key in sorted(set(self.bad) - set(failures)):
                problems.append(f"bad track {key} ({self.bad[key]}) not reported")
            got = samples_by_track(out)
            for key, samples in sorted(good.items()):
                if key not in got:
                    if key not in failures:
                        problems.append(f"good track {key} neither converted nor failed")
                elif got[key] != samples:
                    problems.append(f"good track {key}: samples differ from the clean tree's")
            for key in sorted(set(got) & set(self.bad)):
                problems.append(f"bad track {key} ({self.bad[key]}) has samples in the dataset")
            if problems:
                failed_runs.append(f"run {i} ({workers} workers): " + "; ".join(problems))
        if failed_runs:
            self.fail(f"{len(failed_runs)} of {runs} runs went wrong:\n" + "\n".join(failed_runs))


if __name__ == "__main__":
    unittest.main(verbosity=2)
