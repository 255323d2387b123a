"""The command-line tools parse flags the same way (CLI11): --help exits 0 on
stdout and lists every flag; an unknown flag, a missing or malformed value
exit 2 with exactly one line on stderr, naming the tool.
Run by meson with GENRE_BUILD_ROOT set (tests/fma/meson.build)."""
import json
import os
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("GENRE_BUILD_ROOT", "")


def tool(name):
    return os.path.join(BUILD, "tools", name)


def run(*args):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


FLAGS = {
    "fma-convert": ["--audio", "--metadata", "--folders", "--label-csv", "--genre-map", "--split-group", "--out", "--subset", "--split", "--seed", "--labels", "--macro",
                    "--fine-min-tracks", "--fine-count", "--limit", "--workers", "--pipeline", "--sink-properties",
                    "--min-duration", "--checksums", "--track-timeout", "--resume", "--dry-run",
                    "--progress-interval", "--decode-only", "--decode-only-passthrough", "--fakesink",
                    "--shard-index", "--shard-count", "--merge", "--help"],
    "fma-synth": ["--out", "--tracks", "--duration", "--seed", "--subset", "--sample-rate", "--channels",
                  "--bitrate", "--workers", "--no-genre", "--short-duration", "--bad-missing", "--bad-zero-byte",
                  "--bad-truncated", "--bad-non-audio", "--bad-too-short", "--bad-checksum", "--bad-random",
                  "--help"],
    "dataset-info": ["DATASET-DIR", "--help"],
    "melspec-summary": ["AUDIO-FILE", "--help"],
}

# A flag taking a number, given a word: a usage error too.
NUMBER_FLAG = {"fma-convert": "--workers", "fma-synth": "--tracks"}


class ToolCommandLines(unittest.TestCase):
    def assert_usage_error(self, name, p):
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith(name + ": "), lines[0])
        self.assertEqual(p.stdout, "")

    def test_help_exits_0_and_lists_every_flag(self):
        for name, flags in FLAGS.items():
            with self.subTest(tool=name):
                p = run(tool(name), "--help")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stderr, "")
                for flag in flags:
                    self.assertIn(flag, p.stdout, f"{name} --help does not list {flag}")
                self.assertIn("Exit status", p.stdout)
                self.assertEqual(run(tool(name), "-h").stdout, p.stdout)

    def test_help_columns_say_what_a_flag_takes(self):
        """The flag column holds the flag, its type and default: rules between flags are in the
        description; every number has its default; a required positional is not shown optional."""
        for name in FLAGS:
            with self.subTest(tool=name):
                out = run(tool(name), "--help").stdout
                self.assertNotIn("Excludes:", out)
                self.assertNotIn("Needs:", out)
        convert = run(tool("fma-convert"), "--help").stdout
        self.assertRegex(convert, r"\n  --fakesink +Baseline: .*\(not with --decode-only, --decode-only-passthrough\)\n")
        synth = run(tool("fma-synth"), "--help").stdout
        for flag in FLAGS["fma-synth"]:
            if flag.startswith("--bad-"):
                self.assertRegex(synth, "\n  " + flag + r" INT=0 ", flag)
        info = run(tool("dataset-info"), "--help").stdout
        self.assertIn("Usage: dataset-info [OPTIONS] DATASET-DIR\n", info)
        self.assertRegex(info, r"\n  DATASET-DIR TEXT REQUIRED ")
        # Required, yet a misspelt flag is the error named.
        p = run(tool("dataset-info"), "--no-such-flag")
        self.assert_usage_error("dataset-info", p)
        self.assertIn("--no-such-flag", p.stderr)

    def test_one_worker_and_one_track_are_singular(self):
        with tempfile.TemporaryDirectory(prefix="cli-") as d:
            p = run(tool("fma-synth"), "--out", d, "--tracks", "3", "--duration", "1", "--workers", "1",
                    "--bad-zero-byte", "1")
            self.assertEqual(p.returncode, 0, p.stderr)

            def convert(out, *extra):
                return run(tool("fma-convert"), "--audio", os.path.join(d, "fma_small"), "--metadata",
                           os.path.join(d, "fma_metadata"), "--out", os.path.join(d, out), "--pipeline",
                           "audioconvert ! audioresample ! audio/x-raw,channels=1,rate=22050 ! melspec n-mels=32 ! "
                           "specresize width=32 height=32", *extra)
            p = convert("one", "--workers", "1")
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("fma-convert: 3 tracks to convert (0 already complete), 1 worker, ", p.stderr)
            self.assertRegex(p.stderr, r"\nfma-convert: 1 track failed, listed in ")
            p = convert("two", "--workers", "2", "--limit", "1")
            self.assertIn(p.returncode, (0, 1), p.stderr)
            self.assertIn("fma-convert: 1 track to convert (0 already complete), 1 worker, ", p.stderr)
            p = convert("three", "--workers", "2")
            self.assertIn("fma-convert: 3 tracks to convert (0 already complete), 2 workers, ", p.stderr)

    def test_unknown_flag_exits_2_with_one_line(self):
        for name in FLAGS:
            with self.subTest(tool=name):
                p = run(tool(name), "--no-such-flag")
                self.assert_usage_error(name, p)
                self.assertIn("--no-such-flag", p.stderr)

    def test_missing_or_malformed_value_exits_2_with_one_line(self):
        for name, flag in NUMBER_FLAG.items():
            with self.subTest(tool=name):
                self.assert_usage_error(name, run(tool(name), "--out", "x", flag))
                self.assert_usage_error(name, run(tool(name), "--out", "x", flag, "many"))
                self.assert_usage_error(name, run(tool(name), "--out", "x", flag, "-3"))
        self.assert_usage_error("fma-convert", run(tool("fma-convert"), "--out", "x", "--audio", "a", "--metadata",
                                                  "m", "--split", "random"))
        self.assert_usage_error("fma-convert", run(tool("fma-convert"), "--out", "x", "--audio", "a", "--metadata",
                                                  "m", "--limit", "-1"))
        self.assert_usage_error("fma-synth", run(tool("fma-synth"), "--out", "x", "--bad-random", "-1"))
        self.assert_usage_error("dataset-info", run(tool("dataset-info")))
        self.assert_usage_error("dataset-info", run(tool("dataset-info"), "a", "b"))
        self.assert_usage_error("melspec-summary", run(tool("melspec-summary"), "a", "b"))

    def test_gstreamer_options_are_not_taken(self):
        # gst_init() no longer sees argv: its --gst-* flags are unknown flags like any other.
        self.assert_usage_error("melspec-summary", run(tool("melspec-summary"), "--gst-debug-level=2"))

    def test_fma_convert_defaults_are_the_documented_ones(self):
        # Every selection flag given at its documented default plans the same dataset as none.
        with tempfile.TemporaryDirectory(prefix="cli-") as d:
            p = run(tool("fma-synth"), "--out", d, "--tracks", "6", "--duration", "1", "--seed", "3", "--workers", "1")
            self.assertEqual(p.returncode, 0, p.stderr)
            base = [tool("fma-convert"), "--audio", os.path.join(d, "fma_small"), "--metadata",
                    os.path.join(d, "fma_metadata"), "--out", os.path.join(d, "ds"), "--dry-run"]
            plain = run(*base)
            self.assertEqual(plain.returncode, 0, plain.stderr)
            explicit = run(*base, "--subset", "small", "--split", "stratified", "--seed", "42", "--labels", "single",
                           "--macro", "annex", "--fine-min-tracks", "1", "--fine-count", "primary")
            self.assertEqual(explicit.returncode, 0, explicit.stderr)
            self.assertEqual(json.loads(explicit.stdout), json.loads(plain.stdout))


if __name__ == "__main__":
    unittest.main(verbosity=2)
