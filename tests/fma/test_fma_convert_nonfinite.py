"""fma-convert on audio with NaN, infinite or 1e38 samples (float WAVs in a labelled folder
tree): melspec refuses the sample where it appears, so the track is listed in failures.csv with
the stream position, no sample of it is written, and the run exits 1; the sound tracks convert.
Run by meson with GENRE_BUILD_ROOT and GST_PLUGIN_PATH set."""
import csv
import json
import math
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("GENRE_BUILD_ROOT", "")
CONVERT = os.path.join(BUILD, "tools", "fma-convert")
RATE = 22050


def float_wav(path, samples):
    data = struct.pack("<%df" % len(samples), *samples)
    fmt = b"fmt " + struct.pack("<IHHIIHHH", 18, 3, 1, RATE, RATE * 4, 4, 32, 0)  # IEEE float, mono
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + len(fmt) + 8 + len(data)) + b"WAVE" + fmt + b"data" +
                struct.pack("<I", len(data)) + data)


class NonFiniteAudioTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="fma-convert-nonfinite-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_tracks_with_nonfinite_samples_are_failures_naming_the_position(self):
        root = os.path.join(self.tmp, "root")
        tone = [0.5 * math.sin(2 * math.pi * 440 * i / RATE) for i in range(4 * RATE)]
        broken = {"nan": (3, float("nan")), "inf": (2, float("inf")), "huge": (1, 1e38)}
        for genre in ("Rock", "Jazz"):
            os.makedirs(os.path.join(root, genre))
            for k in range(3):
                float_wav(os.path.join(root, genre, f"good{k}.wav"), tone)
        for name, (second, value) in broken.items():
            samples = list(tone)
            samples[second * RATE] = value
            float_wav(os.path.join(root, "Rock", name + ".wav"), samples)
        out = os.path.join(self.tmp, "out")
        p = subprocess.run([CONVERT, "--folders", root, "--out", out, "--min-duration", "1", "--pipeline",
                            "audioconvert ! audioresample ! melspec sample-rate=22050 n-mels=64 ! "
                            "specresize width=64 height=64"], capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 1, p.stderr)
        with open(os.path.join(out, "failures.csv")) as f:
            failures = {row["path"]: row for row in csv.DictReader(f)}
        for name, (second, _) in broken.items():
            row = next((r for path, r in failures.items() if path.endswith(f"Rock/{name}.wav")), None)
            self.assertIsNotNone(row, f"{name}.wav is not in failures.csv: {sorted(failures)}")
            self.assertIn(f"at 0:00:0{second}.000000000 in the stream", row["detail"])
        self.assertEqual(len(failures), len(broken), failures)
        manifest = json.load(open(os.path.join(out, "manifest.json")))
        self.assertEqual(sum(s["samples"] for s in manifest["shards"]), 6, "the six sound tracks, nothing of the others")


if __name__ == "__main__":
    unittest.main(verbosity=2)
