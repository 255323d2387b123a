"""genre-classify --explain as a user runs it: one readable PNG per classified
file (size, content that varies, the verdict's colours present), none for a
file that fails, which does not stop the others; usage errors.

usage: test_genre_classify_explain.py GENRE_CLASSIFY MAKE_TEST_BUNDLE
"""
import json
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
PROBE_CLASSES = ["Rock", "Jazz", "Pop", "Blues"]  # make_test_bundle's classes, in score order
# 64 mel bands, 3 s windows (129 frames at 22050 / 512) every 1 s, 64x64 images.
MIDDLE = "melspec sample-rate=22050 n-mels=64 ! specresize window-frames=129 hop-frames=43 width=64 height=64"
# Whole clips of 300 frames (~7 s), 32 bands in 16 x 32 images; the probe model's score k is
# pixel [row 0, column k]: mel bins 0-1, the first frames of each clip.
WHOLE_CLIP_MIDDLE = "melspec sample-rate=22050 n-mels=32 ! specresize max-frames=300 width=32 height=16"


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
        cls.probe = os.path.join(cls.tmp, "probe.pt")
        subprocess.run([MAKE_BUNDLE, cls.probe, "probe", WHOLE_CLIP_MIDDLE], check=True, timeout=300)
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

    def test_heat_lands_where_the_verdicts_score_reads(self):
        # The probe's score k reads image column k of row 0: the lowest mel bins, frames
        # 300 k / 32 to 300 (k + 1) / 32 of each clip. The colour must sit at the bottom of
        # the spectrogram (low bands drawn low), at that time in the first clip, and again in
        # the second clip.
        out = os.path.join(self.tmp, "probe-explain")
        p = run(["-m", self.probe, "--threads", "1", "--format", "json", "--explain", out,
                 os.path.join(self.music, "a.wav")])
        self.assertEqual(p.returncode, 0, p.stderr)
        verdict = json.loads(p.stdout.strip().splitlines()[-1])["verdict"]
        k = PROBE_CLASSES.index(verdict)
        img = matplotlib.image.imread(os.path.join(out, "a.wav.png"))[..., :3]
        plot = img[:, :1050]  # left of the colour bar
        coloured = (plot.max(axis=2) - plot.min(axis=2)) > 0.2
        ys, xs = np.nonzero(coloured)
        self.assertGreater(len(ys), 200)
        self.assertGreater(ys.min(), 0.75 * img.shape[0], "heat above the lowest bands")
        # The spectrogram's extent: the non-white pixels of a row through its middle.
        row = plot[int(np.median(ys)) - 60]
        inside = np.nonzero(row.min(axis=1) < 0.95)[0]
        x0, x1 = inside.min(), inside.max()
        frame = 512 / 22050
        seconds = (1 + (8 * 44100 // 1024 * 1024 // 2) // 512) * frame  # the file's 345 centred frames
        first = xs[xs < x0 + (x1 - x0) / 2]
        centre = (first.mean() - x0) / (x1 - x0) * seconds
        self.assertAlmostEqual(centre, (k + 0.5) * 300 / 32 * frame, delta=0.12, msg=f"verdict {verdict}")
        self.assertGreater(xs.max(), x0 + (x1 - x0) * 300 * frame / seconds, "no heat in the second clip")

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
