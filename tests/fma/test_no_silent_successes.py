"""Issue 17 ("No silent successes"), the conversion tools: a flag that would do
nothing is refused, a sample lost to a duplicate key fails its track, small
datasets are warned about at conversion, and dataset-info reports duplicate
keys, refuses FIFOs and escapes control characters, as do fma-convert, fma-synth
and melspec-summary. Run by meson with GENRE_BUILD_ROOT and GST_PLUGIN_PATH set."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_fma_convert_folders import WINDOWED, write_wav  # noqa: E402
import test_fma_convert_e2e as e2e  # noqa: E402

BUILD = os.environ.get("GENRE_BUILD_ROOT", "")
SYNTH = os.path.join(BUILD, "tools", "fma-synth")
CONVERT = os.path.join(BUILD, "tools", "fma-convert")
INFO = os.path.join(BUILD, "tools", "dataset-info")
SUMMARY = os.path.join(BUILD, "tools", "melspec-summary")
ESC = "\x1b[31m"  # would turn the terminal red


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
        self.assertIn("\\e[31mRED\\nsecond", p.stdout)

    def test_nul_bytes_in_tracks_csv_are_refused_at_dry_run(self):  # item 13
        meta = os.path.join(self.tmp.name, "nul-meta")
        shutil.copytree(self.meta, meta)
        path = os.path.join(meta, "tracks.csv")
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        lines[5] = lines[5][:3] + b"\0\0" + lines[5][3:]
        with open(path, "wb") as f:
            f.write(b"\n".join(lines))
        p = run(CONVERT, "--audio", self.audio, "--metadata", meta, "--out", os.path.join(self.tmp.name, "nul-out"),
                "--dry-run")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(p.stderr.strip().splitlines(), [f"fma-convert: {path}:6: a NUL byte (field 1): not a text "
                                                         "CSV file"])

    def test_documented_sample_json_fields_are_the_written_ones(self):  # item 19
        """Every field of a real sample's .json, whole clip and windowed, is in datasets.md's table."""
        src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with open(os.path.join(src, "pipelines", "datasets.md")) as f:
            row = next(line for line in f if line.startswith("| `<key>.json` |"))
        documented = set(re.findall(r'`([a-z_]+)`|"([a-z_]+)"', row))
        documented = {a or b for a, b in documented}
        for name, pipeline in (("whole", None), ("windowed", WINDOWED)):
            out = os.path.join(self.tmp.name, "fields-" + name)
            p = self.convert(out, "--limit", "2", *(["--pipeline", pipeline] if pipeline else []))
            self.assertEqual(p.returncode, 0, p.stderr)
            metas = e2e.dataset_json(out)
            self.assertTrue(metas)
            for key, meta in metas.items():
                self.assertEqual(set(meta) - documented, set(), (name, key))
                self.assertEqual(set(meta["window"]) - documented, set(), (name, key))
                self.assertEqual(set(meta["fine_class"]), {"index", "name"})
                self.assertEqual(meta["fine_labels"][0], meta["fine_class"])
                # A whole clip has no window index (its key has no _w suffix); a window has one.
                self.assertEqual("index" in meta["window"], name == "windowed", (key, meta["window"]))
                self.assertEqual(meta["window"]["whole_clip"], name == "whole")

    def assert_escaped_lines(self, text, tool, expected_lines):
        """No raw control character; each line is the tool's own (none split by a newline in a name)."""
        self.assertNotIn("\x1b", text)
        lines = text.strip().splitlines()
        self.assertEqual(len(lines), expected_lines, text)
        for line in lines:
            self.assertTrue(line.startswith(tool + ": "), line)

    def test_a_root_one_level_too_high_is_refused_not_a_one_genre_dataset(self):
        # gtzan/ instead of gtzan/genres_original/: every file would get the label
        # "genres_original", and a one-class model scores 100 %.
        root = os.path.join(self.tmp.name, "gtzan")
        for genre in ("blues", "rock"):
            for i in range(3):
                write_wav(os.path.join(root, "genres_original", genre, f"{genre}{i}.wav"), 0.3, 300 + 40 * i)
        out = os.path.join(self.tmp.name, "one-label-out")
        p = run(CONVERT, "--folders", root, "--out", out)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn('every file has the label "genres_original"', p.stderr)
        self.assertIn("pass that folder", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "manifest.json")))
        p = run(CONVERT, "--folders", os.path.join(root, "genres_original"), "--out", out, "--dry-run")
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_control_characters_in_names_are_escaped_in_text_output(self):  # item 12
        root = os.path.join(self.tmp.name, "ctl-tree")
        for i in range(12):
            write_wav(os.path.join(root, "blues", f"b{i}.wav"), 0.3, 300 + 20 * i)
        write_wav(os.path.join(root, "Ro" + ESC + "ck", "r.wav"), 0.3, 700)
        write_wav(os.path.join(root, "Jazz\nX", "j.wav"), 0.3, 710)
        # The two one-track labels are missing from val and test: the warnings name them.
        p = run(CONVERT, "--folders", root, "--out", os.path.join(self.tmp.name, "ctl-out"), "--dry-run")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_escaped_lines(p.stderr, "fma-convert", 2)
        self.assertIn("Jazz\\nX, Ro\\e[31mck", p.stderr)
        # Two file names that give one sample key: the fatal error quotes both.
        write_wav(os.path.join(root, "blues", "a" + ESC + ".wav"), 0.3, 800)
        write_wav(os.path.join(root, "blues", "a__31m.wav"), 0.3, 810)
        p = run(CONVERT, "--folders", root, "--out", os.path.join(self.tmp.name, "ctl-out"))
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assert_escaped_lines(p.stderr, "fma-convert", 1)
        self.assertIn('"blues/a\\e[31m.wav" and "blues/a__31m.wav" both get the sample key', p.stderr)
        # A usage error quotes the value given.
        p = run(CONVERT, "--folders", root, "--out", "o", "--workers", ESC + "\n2")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assert_escaped_lines(p.stderr, "fma-convert", 1)
        self.assertIn("\\e[31m", p.stderr)
        # fma-synth names its --out.
        out = os.path.join(self.tmp.name, "synth" + ESC)
        p = run(SYNTH, "--out", out, "--tracks", "2", "--duration", "1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_escaped_lines(p.stdout, "fma-synth", 1)
        self.assertIn("synth\\e[31m", p.stdout)
        # melspec-summary: a name with UTF-8 and an ESC decodes (it is not parsed as part of the
        # pipeline description) and is shown escaped; a missing one is one escaped error line.
        wav = os.path.join(self.tmp.name, "Caf\u00e9 " + ESC + "\" q.wav")
        write_wav(wav, 1.0, 440)
        p = run(SUMMARY, wav)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("\x1b", p.stdout)
        self.assertIn("input:        " + wav.replace(ESC, "\\e[31m") + "\n", p.stdout)
        self.assertIn("spectrogram:  ", p.stdout)
        p = run(SUMMARY, os.path.join(self.tmp.name, "missing" + ESC + ".wav"))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assert_escaped_lines(p.stderr, "melspec-summary", 1)
        self.assertIn("missing\\e[31m.wav", p.stderr)


if __name__ == "__main__":
    unittest.main()
