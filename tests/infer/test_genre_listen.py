"""examples/genre_listen.py, the PyGObject example, on a generated file with a test bundle: it
prints a line per window and the whole-stream verdict, the same verdict genre-classify gives the
same file, under both decodings; a middle the bundle was not trained on is a one-line error.

usage: test_genre_listen.py GENRE_LISTEN GENRE_CLASSIFY MAKE_TEST_BUNDLE
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

LISTEN = TOOL = MAKE_BUNDLE = None
# The cnn test bundle's images: 64 mel bands, 3 s windows every second, 64x64.
MIDDLE = "melspec sample-rate=22050 n-mels=64 ! specresize window-frames=129 hop-frames=43 width=64 height=64"
MACROS = {"Rock": "Band", "Pop": "Band", "Jazz": "Roots", "Blues": "Roots"}
WINDOW = re.compile(r"^window (\d+) at ([\d.]+) s: top (\S+) ([\d.]+) \| verdict (\S+) ([\d.]+) (\S+) \((\w+)\)$")
FINAL = re.compile(r"^final over (\d+) windows: (\S+) ([\d.]+) (\S+) \((\w+)\)$")


def listen(*args):
    return subprocess.run(["/usr/bin/python3", LISTEN] + list(args), capture_output=True, text=True, timeout=300)


class GenreListenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="genre-listen-")
        cls.model = os.path.join(cls.dir, "cnn model.pt")  # a space: the path is no parse_launch syntax
        subprocess.run([MAKE_BUNDLE, cls.model, "cnn", MIDDLE], check=True, timeout=300)
        cls.song = os.path.join(cls.dir, "song.wav")
        subprocess.run(["gst-launch-1.0", "-q", "audiotestsrc", "num-buffers=215", "wave=square", "freq=330", "!",
                        "audioconvert", "!", "wavenc", "!", "filesink", f"location={cls.song}"],
                       check=True, capture_output=True, timeout=120)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def check_decoding(self, decoding):
        r = listen("-m", self.model, "--middle", MIDDLE, "--decoding", decoding, self.song)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        windows = [WINDOW.match(line) for line in lines[:-1]]
        final = FINAL.match(lines[-1])
        self.assertTrue(all(windows) and final, r.stdout)
        self.assertEqual([int(w.group(1)) for w in windows], list(range(len(windows))))
        for w in windows:
            self.assertEqual(w.group(8), decoding)
            self.assertIn(w.group(5), MACROS)
        self.assertEqual(int(final.group(1)), len(windows))
        self.assertEqual(final.group(5), decoding)
        if decoding == "crm":
            for verdict, macro in [(w.group(5), w.group(7)) for w in windows] + [(final.group(2), final.group(4))]:
                self.assertEqual(macro, MACROS[verdict], "crm: the macrogenre is the verdict's")
        # genre-classify runs the same elements with the same bundle: the same verdict.
        g = subprocess.run([TOOL, "-m", self.model, "--format", "json", "--decode", decoding, "-q", self.song],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(g.returncode, 0, g.stderr)
        rec = json.loads(g.stdout)
        self.assertEqual(rec["windows"], len(windows))
        self.assertEqual(final.group(2), rec["verdict"])
        self.assertAlmostEqual(float(final.group(3)), rec["score"], places=4)
        self.assertEqual(final.group(4), rec["macrogenre"])

    def test_argmax_verdicts_match_genre_classify(self):
        self.check_decoding("argmax")

    def test_crm_verdicts_match_genre_classify(self):
        self.check_decoding("crm")

    def test_a_middle_the_bundle_was_not_trained_on_is_an_error(self):
        r = listen("-m", self.model, "--middle", MIDDLE.replace("n-mels=64", "n-mels=32"), self.song)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("n-mels", r.stderr)
        self.assertTrue(r.stderr.startswith("genre_listen: "), r.stderr)

    def test_a_missing_model_is_an_error(self):
        r = listen("-m", os.path.join(self.dir, "absent.pt"), "--middle", MIDDLE, self.song)
        self.assertEqual(r.returncode, 1)
        self.assertIn("absent.pt", r.stderr)


if __name__ == "__main__":
    LISTEN, TOOL, MAKE_BUNDLE = sys.argv[1:4]
    unittest.main(argv=[sys.argv[0], "-v"])
