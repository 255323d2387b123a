"""Issue 17 ("No silent successes"), the conversion tools: a flag that would do
nothing is refused, a sample lost to a duplicate key fails its track, small
datasets are warned about at conversion, and dataset-info reports duplicate
keys, refuses FIFOs and escapes control characters. Run by meson with
GENRE_BUILD_ROOT and GST_PLUGIN_PATH set."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("GENRE_BUILD_ROOT", "")
SYNTH = os.path.join(BUILD, "tools", "fma-synth")
CONVERT = os.path.join(BUILD, "tools", "fma-convert")
INFO = os.path.join(BUILD, "tools", "dataset-info")


def run(*args, timeout=300):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)


class NoSilentSuccesses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="no-silent-")
        root = os.path.join(cls.tmp.name, "tree")
        p = run(SYNTH, "--out", root, "--tracks", "12", "--duration", "2", "--seed", "5", "--workers", "2")
        assert p.returncode == 0, p.stderr
        cls.audio = os.path.join(root, "fma_small")
        cls.meta = os.path.join(root, "fma_metadata")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def convert(self, out, *extra):
        return run(CONVERT, "--audio", self.audio, "--metadata", self.meta, "--out", out, "--workers", "2", *extra)

    def test_misspelt_sink_property_value_is_refused(self):  # item 5
        p = self.convert(os.path.join(self.tmp.name, "typo"), "--sink-properties", "dtype=flaot32")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn('"flaot32" is not a valid value for datasetsink\'s dtype', p.stderr)

    def test_merge_needs_the_job_count(self):  # item 5
        p = run(CONVERT, "--merge", "--out", os.path.join(self.tmp.name, "nomerge"))
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--merge needs --shard-count", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_small_dataset_warns_about_empty_splits_and_missing_classes(self):  # item 14
        p = self.convert(os.path.join(self.tmp.name, "small"), "--dry-run")
        self.assertEqual(p.returncode, 0, p.stderr)
        report = json.loads(p.stdout)
        self.assertTrue(report["split_warnings"], p.stdout)
        for w in report["split_warnings"]:
            self.assertIn("fma-convert: warning: " + w, p.stderr)
        self.assertTrue(any("split 'val' gets no tracks" in w or "no tracks in split 'val'" in w
                            for w in report["split_warnings"]), report["split_warnings"])

    def test_duplicate_keys_fail_the_track_and_dataset_info_reports_them(self):  # item 4
        out = os.path.join(self.tmp.name, "dup")
        first = self.convert(out, "--sink-properties", "max-samples=4")
        self.assertIn(first.returncode, (0, 1), first.stderr)
        converted = json.loads(first.stdout)["converted"]
        self.assertGreater(converted, 0)
        again = self.convert(out)  # no --resume: every sample's key is taken
        self.assertEqual(again.returncode, 1, again.stderr)
        summary = json.loads(again.stdout)
        self.assertEqual(summary["failures_by_reason"].get("duplicate-key"), converted, again.stdout)
        self.assertGreater(summary["duplicates_skipped"], 0)
        with open(os.path.join(out, "failures.csv")) as f:
            self.assertIn("already in --out", f.read())
        self.assertEqual(run(INFO, out).returncode, 0)
        # Three writers with one key: copy a shard under another number and register it.
        shards = sorted(n for n in os.listdir(out) if n.startswith("train-") and n.endswith(".tar"))
        shutil.copy(os.path.join(out, shards[0]), os.path.join(out, "train-000999.tar"))
        reg = run(CONVERT, "--merge", "--out", out, "--shard-count", "1")
        self.assertIn(reg.returncode, (0, 1), reg.stderr)
        p = run(INFO, out)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("sample keys occur more than once", p.stderr)
        self.assertIn("train-000999.tar", p.stderr)

    def test_dataset_info_fifo_and_control_characters(self):  # items 8 and 12
        out = os.path.join(self.tmp.name, "ctl")
        p = self.convert(out)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        fifo_dir = os.path.join(self.tmp.name, "fifo")
        os.makedirs(fifo_dir)
        os.mkfifo(os.path.join(fifo_dir, "manifest.json"))
        p = run(INFO, fifo_dir, timeout=20)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("manifest.json is not a regular file", p.stderr)
        # A class name with an ESC sequence and a newline (manifest.json is trusted for names only).
        path = os.path.join(out, "manifest.json")
        with open(path) as f:
            m = json.load(f)
        for i, c in enumerate(m["classes"]["macro"]):
            c["name"] = "M%d\x1b[31mRED\nsecond" % i
        with open(path, "w") as f:
            json.dump(m, f)
        p = run(INFO, out)
        self.assertNotIn("\x1b", p.stdout)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("\\x1b[31mRED\\nsecond", p.stdout)


if __name__ == "__main__":
    unittest.main()
