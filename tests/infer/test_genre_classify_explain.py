"""genre-classify --explain as a user runs it: one readable PNG per classified
file (size, content that varies, the verdict's colours present), none for a
file that fails, which does not stop the others; usage errors.

usage: test_genre_classify_explain.py GENRE_CLASSIFY MAKE_TEST_BUNDLE
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import matplotlib

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402

TOOL = MAKE_BUNDLE = None
# 64 mel bands, 3 s windows (129 frames at 22050 / 512) every 1 s, 64x64 images.
MIDDLE = "melspec sample-rate=22050 n-mels=64 ! specresize window-frames=129 hop-frames=43 width=64 height=64"


def run(args):
    return subprocess.run([TOOL] + args, capture_output=True, text=True, timeout=300)


def make_wav(path, seconds, wave):
    buffers = int(seconds * 44100 / 1024)
    subprocess.run(["gst-launch-1.0", "-q", "audiotestsrc", f"num-buffers={buffers}", f"wave={wave}", "!",
                    "audioconvert", "!", "wavenc", "!", "filesink", f"location={path}"],
                   check=True, capture_output=True, timeout=120)


class ExplainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="genre-explain-test-")
        cls.model = os.path.join(cls.tmp, "cnn.pt")
        subprocess.run([MAKE_BUNDLE, cls.model, "cnn", MIDDLE], check=True, timeout=300)
        cls.music = os.path.join(cls.tmp, "music")
        os.makedirs(os.path.join(cls.music, "sub"))
        make_wav(os.path.join(cls.music, "a.wav"), 8, "pink-noise")
        make_wav(os.path.join(cls.music, "sub", "b.wav"), 5, "sine")
        with open(os.path.join(cls.music, "broken.wav"), "wb") as f:
            f.write(b"RIFF\x00\x00\x00\x00WAVEnot audio at all" * 10)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_one_png_per_classified_file_none_for_the_broken_one(self):
        out = os.path.join(self.tmp, "explain")
        p = run(["-m", self.model, "--threads", "1", "-j", "2", "--explain", out, self.music])
        self.assertEqual(p.returncode, 1, p.stderr)  # the broken file failed, the others went on
        self.assertIn("broken.wav", p.stderr)
        self.assertEqual(sorted(os.listdir(out)), ["a.wav.png", "b.wav.png"])
        for name in ("a.wav.png", "b.wav.png"):
            img = matplotlib.image.imread(os.path.join(out, name))
            self.assertEqual(img.shape[1], 1200, name)
            self.assertGreater(img.shape[0], 500, name)
            self.assertGreater(float(img[..., :3].std()), 0.05, name)
            # Some pixels are coloured (the heat), not only greys and white.
            rgb = img[..., :3]
            coloured = (rgb.max(axis=2) - rgb.min(axis=2)) > 0.2
            self.assertGreater(int(coloured.sum()), 1000, name)

    def test_same_file_names_do_not_overwrite_each_other(self):
        out = os.path.join(self.tmp, "same-names")
        other = os.path.join(self.tmp, "other")
        os.makedirs(other, exist_ok=True)
        shutil.copy(os.path.join(self.music, "a.wav"), os.path.join(other, "a.wav"))
        p = run(["-m", self.model, "--threads", "1", "-j", "1", "--explain", out,
                 os.path.join(self.music, "a.wav"), os.path.join(other, "a.wav")])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(os.listdir(out)), ["a.wav-2.png", "a.wav.png"])

    def test_usage_errors(self):
        p = run(["-m", self.model, "--explain", os.path.join(self.tmp, "x"), "--live"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--explain", p.stderr)
        blocker = os.path.join(self.tmp, "a-file")
        open(blocker, "w").close()
        p = run(["-m", self.model, "--explain", os.path.join(blocker, "sub"), os.path.join(self.music, "a.wav")])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--explain", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


if __name__ == "__main__":
    TOOL, MAKE_BUNDLE = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
