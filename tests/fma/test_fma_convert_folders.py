"""fma-convert --folders end to end: genre-labelled trees (labels from the first folder, nested
folders, a --label-csv with artist groups), bad files listed in failures.csv while the others
convert, labels outside the genre map and sample-key collisions as one-line errors, kill -9 then
--resume == one uninterrupted run, cluster jobs + --merge == one run, and a few real GTZAN clips
(skipped when ../shared/data is absent).
Run by meson with GENRE_BUILD_ROOT and GST_PLUGIN_PATH set (tests/meson.build)."""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import unittest
import wave
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_fma_convert_e2e as e2e  # noqa: E402  (its helpers; its tests do not run here)
import test_fma_convert_faults as faults  # noqa: E402

SMALL = "audioconvert ! audioresample ! audio/x-raw,channels=1,rate=22050 ! melspec n-mels=32 ! specresize width=32 height=32"
WINDOWED = ("audioconvert ! audioresample ! audio/x-raw,channels=1,rate=22050 ! melspec n-mels=32 ! "
            "specresize window-frames=32 hop-frames=16 width=32 height=32")
SHARED = os.environ.get("GENRE_SHARED_DATA", "")


def write_wav(path, seconds, freq, rate=22050):
    """A real mono 16-bit WAV: a tone with a slow tremolo (each file its own frequency)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    n = int(seconds * rate)
    frames = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / rate) *
                                            (0.6 + 0.4 * math.sin(2 * math.pi * 3 * i / rate))))
                      for i in range(n))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)


def write_png(path):
    """A valid 4x4 RGB PNG (cover art beside the audio)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80\x20\x20" * 4 for _ in range(4))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def write_flac(path, seconds):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    e2e.run("gst-launch-1.0", "-q", "audiotestsrc", "wave=saw", f"num-buffers={int(seconds * 44100 / 1024)}",
            "samplesperbuffer=1024", "!", "audioconvert", "!", "flacenc", "!", "filesink", f"location={path}", check=0)


def good_tree(root, per_genre=4, seconds=1.2):
    """GTZAN-labelled files, some nested (rock/<artist>/<album>/), one FLAC; returns rel path -> label."""
    files = {}
    for g, genre in enumerate(["blues", "jazz", "rock"]):
        for i in range(per_genre):
            rel = (f"rock/Artist {i % 2}/Album/{i:02d} take.wav" if genre == "rock"
                   else f"{genre}/{genre}.{i:05d}.wav")
            write_wav(os.path.join(root, rel), seconds, 220 + 110 * g + 17 * i)
            files[rel] = genre
    write_flac(os.path.join(root, "jazz", "nested", "deep", "solo.flac"), seconds)
    files["jazz/nested/deep/solo.flac"] = "jazz"
    return files


def key_of(rel):
    """The documented key rule (fma-convert --help): path without extension, [^A-Za-z0-9_-] -> '_'."""
    stem = rel.rsplit(".", 1)[0] if "." in rel.rsplit("/", 1)[-1][1:] else rel
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in stem)


def error_lines(stderr):
    return faults.error_lines(stderr)


class FmaConvertFolders(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="fma-folders-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def convert(self, *args):
        return e2e.run(e2e.CONVERT, "--workers", "2", "--pipeline", SMALL, *args)

    def assert_one_error_line(self, p, *needles):
        self.assertEqual(p.returncode, 3, p.stderr)
        lines = error_lines(p.stderr)
        self.assertEqual(len(lines), 1, p.stderr)
        for n in needles:
            self.assertIn(n, lines[0])

    def test_labels_from_folders_with_bad_files_listed(self):
        root = os.path.join(self.dir, "music")
        good = good_tree(root)
        bad = {"rock/empty.wav": "zero-byte", "jazz/random.mp3": "undecodable", "blues/notes.txt": "not-audio",
               "blues/cover.png": "not-audio", "rock/Artist 1/truncated.wav": "undecodable"}
        open(os.path.join(root, "rock/empty.wav"), "wb").close()
        with open(os.path.join(root, "jazz/random.mp3"), "wb") as f:
            f.write(os.urandom(8192))
        with open(os.path.join(root, "blues/notes.txt"), "w") as f:
            f.write("liner notes, not audio\n" * 50)
        write_png(os.path.join(root, "blues/cover.png"))
        with open(os.path.join(root, "rock/Artist 0/Album/00 take.wav"), "rb") as f:
            head = f.read(30)  # cut inside the RIFF header
        with open(os.path.join(root, "rock/Artist 1/truncated.wav"), "wb") as f:
            f.write(head)
        with open(os.path.join(root, ".DS_Store"), "w") as f:
            f.write("hidden: never tried")
        os.makedirs(os.path.join(root, "blues", ".cache"))
        with open(os.path.join(root, "blues", ".cache", "x.wav"), "w") as f:
            f.write("hidden folder: never tried")
        with open(os.path.join(root, "README.txt"), "w") as f:
            f.write("outside any genre folder")
        out = os.path.join(root, "dataset")  # inside the tree: skipped by the walk
        p = self.convert("--folders", root, "--out", out, "--min-duration", "0.5")
        self.assertEqual(p.returncode, 1, p.stderr)  # documented: finished, some files failed
        summary = json.loads(p.stdout)
        self.assertEqual(summary["source"], "folders")
        self.assertEqual(summary["split_group"], "none")
        self.assertEqual(summary["metadata"]["folders"]["genre_map"], "gtzan")
        self.assertEqual(summary["metadata"]["folders"]["macro"], "top-level")
        self.assertEqual(summary["metadata"]["folders"]["files_outside_label_folders"], ["README.txt"])
        failures = e2e.read_failures(os.path.join(out, "failures.csv"), key=str)
        self.assertEqual(set(failures), {key_of(r) for r in bad})
        for rel, reason in bad.items():
            self.assertEqual(failures[key_of(rel)]["reason"], reason, failures[key_of(rel)])
            self.assertEqual(failures[key_of(rel)]["path"], os.path.join(root, rel))
        self.assertEqual(failures[key_of("blues/notes.txt")]["detail"], "text/plain: not an audio file")
        self.assertEqual(failures[key_of("blues/cover.png")]["detail"], "image/png: not an audio file")
        samples = e2e.dataset_samples(out)
        self.assertEqual(set(samples), {key_of(r) for r in good})
        self.assertEqual(summary["converted"], len(good))
        self.assertEqual(summary["failed"], len(bad))
        tax = json.load(open(os.path.join(out, "taxonomy.json")))
        fine = {c["name"]: c for c in tax["fine"]}
        macro = {c["index"]: c["name"] for c in tax["macro"]}
        self.assertEqual({n: c["fma_genre_id"] for n, c in fine.items()}, {"blues": 3, "jazz": 4, "rock": 12})
        self.assertEqual({n: macro[c["macro"]] for n, c in fine.items()}, {"blues": "Blues", "jazz": "Jazz", "rock": "Rock"})
        meta = e2e.dataset_json(out)
        for rel, label in good.items():
            key = key_of(rel)
            split, tensor, cls, macro_cls = samples[key]
            self.assertEqual(int(cls), fine[label]["index"], rel)
            self.assertEqual(int(macro_cls), fine[label]["macro"], rel)
            self.assertEqual(meta[key]["relative_path"], rel)
            self.assertEqual(meta[key]["fine_class"]["name"], label)
            self.assertNotIn("artist", meta[key])
            self.assertEqual(tensor.shape[-2:], (32, 32))
        # --resume finds everything done; --dry-run plans without converting.
        again = json.loads(self.convert("--folders", root, "--out", out, "--min-duration", "0.5", "--resume").stdout)
        self.assertEqual(again["already_complete"], len(good))
        self.assertEqual(again["converted"], 0)
        before = sorted(os.listdir(out))
        dry = json.loads(self.convert("--folders", root, "--out", out, "--dry-run").stdout)
        self.assertEqual(sum(dry["splits"].values()), len(good) + len(bad))
        self.assertEqual(sorted(os.listdir(out)), before)

    def test_label_csv_with_artists_gives_artist_disjoint_splits(self):
        root = os.path.join(self.dir, "lib")
        rows = ["path,genre,artist"]
        for i in range(36):
            genre = ["Salsa", "Polka"][i % 2]
            rel = f"all/{i:03d}, mix.wav"  # a comma: RFC 4180 quoting
            write_wav(os.path.join(root, rel), 0.6, 200 + 13 * i)
            rows.append(f'"{rel}",{genre},{genre}-band-{i // 6}')  # 12 bands of 3 tracks
        csv_path = os.path.join(self.dir, "labels.csv")
        with open(csv_path, "w") as f:
            f.write("\n".join(rows) + "\n")
        out = os.path.join(self.dir, "ds")
        p = self.convert("--folders", root, "--label-csv", csv_path, "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        summary = json.loads(p.stdout)
        self.assertEqual(summary["split_group"], "artist")  # the default with a group column
        self.assertIsNone(summary["metadata"]["folders"]["genre_map"])  # not GTZAN labels: fine labels only
        tax = json.load(open(os.path.join(out, "taxonomy.json")))
        self.assertEqual([c["name"] for c in tax["fine"]], ["Polka", "Salsa"])
        self.assertEqual(tax["macro"], [])
        splits_of = {}
        meta = e2e.dataset_json(out)
        self.assertEqual(len(meta), 36)
        for key, m in meta.items():
            splits_of.setdefault(m["artist"], set()).add(m["split"])
        self.assertEqual(len(splits_of), 12)
        for artist, s in splits_of.items():
            self.assertEqual(len(s), 1, artist)
        self.assertEqual({m["split"] for m in meta.values()}, {"train", "val", "test"})
        # --macro without FMA genres for the labels: one line, exit 3.
        p = self.convert("--folders", root, "--label-csv", csv_path, "--out", os.path.join(self.dir, "ds3"),
                         "--macro", "top-level", "--dry-run")
        self.assert_one_error_line(p, "--macro needs the labels' FMA genres")
        # A --macro FILE may name labels without FMA genres (fine_class rows, as genre-train --macro auto writes).
        macro_csv = os.path.join(self.dir, "latin.csv")
        with open(macro_csv, "w") as f:
            f.write("macrogenre,fma_genre_id,fine_class\nLatin,,Salsa\n")
        p = self.convert("--folders", root, "--label-csv", csv_path, "--out", os.path.join(self.dir, "ds4"),
                         "--macro", macro_csv)
        self.assertEqual(p.returncode, 0, p.stderr)
        named = json.load(open(os.path.join(self.dir, "ds4", "taxonomy.json")))
        self.assertEqual([c["name"] for c in named["macro"]], ["Latin"])
        self.assertEqual({c["name"]: c["macro"] for c in named["fine"]}, {"Polka": -1, "Salsa": 0})
        # --split-group none: the plain stratified split, recorded as such.
        p = self.convert("--folders", root, "--label-csv", csv_path, "--out", os.path.join(self.dir, "ds2"),
                         "--split-group", "none", "--dry-run")
        self.assertEqual(json.loads(p.stdout)["split_group"], "none")

    def test_malformed_label_csv_and_unmapped_labels_and_key_collisions_are_one_line_errors(self):
        root = os.path.join(self.dir, "m")
        write_wav(os.path.join(root, "rock", "a.wav"), 0.5, 300)
        write_wav(os.path.join(root, "jazz", "b.wav"), 0.5, 400)
        bad_csv = os.path.join(self.dir, "bad.csv")
        with open(bad_csv, "w") as f:
            f.write("path,genre\nrock/a.wav,rock\njazz/b.wav\n")
        self.assert_one_error_line(self.convert("--folders", root, "--label-csv", bad_csv, "--out",
                                                os.path.join(self.dir, "o1")), f"{bad_csv}:3:")
        gmap = os.path.join(self.dir, "map.csv")
        with open(gmap, "w") as f:
            f.write("label,fma_genre_id\nrock,12\n")
        self.assert_one_error_line(self.convert("--folders", root, "--genre-map", gmap, "--out",
                                                os.path.join(self.dir, "o2")), "labels not in the genre map", "jazz")
        write_wav(os.path.join(root, "jazz", "b.flac.wav"), 0.5, 500)
        write_wav(os.path.join(root, "jazz", "b flac.wav"), 0.5, 600)
        self.assert_one_error_line(self.convert("--folders", root, "--out", os.path.join(self.dir, "o3")),
                                   '"jazz/b flac.wav" and "jazz/b.flac.wav" both get the sample key "jazz_b_flac"')
        self.assertFalse(os.path.exists(os.path.join(self.dir, "o3", "taxonomy.json")))
        # Usage errors (exit 2): FMA flags mixed in, or FMA-only choices.
        for extra in (["--audio", root], ["--split", "official"], ["--split-group", "album"],
                      ["--labels", "multi"]):
            p = self.convert("--folders", root, "--out", os.path.join(self.dir, "o4"), *extra)
            self.assertEqual(p.returncode, 2, (extra, p.stderr))
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        p = e2e.run(e2e.CONVERT, "--audio", "a", "--metadata", "m", "--out", "o", "--label-csv", bad_csv)
        self.assertEqual(p.returncode, 2, p.stderr)

    def test_kill_then_resume_gives_the_uninterrupted_samples(self):
        root = os.path.join(self.dir, "tree")
        for i in range(24):
            genre = ["blues", "jazz", "rock"][i % 3]
            write_wav(os.path.join(root, genre, f"{i // 3}", f"t{i:02d}.wav"), 3.0, 150 + 21 * i)

        def command(out, *extra):
            return [e2e.CONVERT, "--folders", root, "--out", out, "--workers", "2", "--pipeline", WINDOWED,
                    "--sink-properties", "max-samples=7", *extra]

        ref = os.path.join(self.dir, "ref")
        e2e.run(*command(ref), check=0)
        reference = e2e.dataset_samples(ref)
        self.assertGreater(len(reference), 24)  # windows
        out = os.path.join(self.dir, "killed")
        summary = faults.kill_then_resume(self, lambda *extra: command(out, *extra), out)
        self.assertEqual(summary["already_complete"] + summary["converted"], 24)
        e2e.assert_same_dataset(self, e2e.dataset_samples(out), reference)

    def test_cluster_jobs_and_merge_equal_one_run(self):
        root = os.path.join(self.dir, "tree")
        good_tree(root, per_genre=3, seconds=0.6)
        open(os.path.join(root, "rock", "empty.wav"), "wb").close()
        single = os.path.join(self.dir, "single")
        self.assertEqual(self.convert("--folders", root, "--out", single).returncode, 1)
        shared = os.path.join(self.dir, "shared")
        for i in range(2):
            self.assertIn(self.convert("--folders", root, "--out", shared, "--shard-index", str(i),
                                       "--shard-count", "2").returncode, (0, 1))
        m = e2e.run(e2e.CONVERT, "--merge", "--out", shared, "--shard-count", "2")
        self.assertEqual(m.returncode, 1, m.stderr)
        self.assertEqual(json.loads(m.stdout)["missing"], 0)
        self.assertEqual(set(e2e.read_failures(os.path.join(shared, "failures.csv"), key=str)), {"rock_empty"})
        e2e.assert_same_dataset(self, e2e.dataset_samples(shared), e2e.dataset_samples(single))

    def test_real_gtzan_clips(self):
        gtzan = os.path.join(SHARED, "gtzan-dev", "genres_original")
        if not os.path.isdir(gtzan):
            self.skipTest(f"../shared/data is absent ({gtzan} not a directory)")
        root = os.path.join(self.dir, "gtzan")
        for genre in ("disco", "metal", "reggae"):
            os.makedirs(os.path.join(root, genre))
            for name in sorted(os.listdir(os.path.join(gtzan, genre)))[:2]:
                os.symlink(os.path.join(gtzan, genre, name), os.path.join(root, genre, name))
        out = os.path.join(self.dir, "ds")
        p = e2e.run(e2e.CONVERT, "--folders", root, "--out", out, "--workers", "2", "--pipeline",
                    "audioconvert ! audioresample ! melspec sample-rate=22050 ! specresize width=130 height=128")
        self.assertEqual(p.returncode, 0, p.stderr)
        tax = json.load(open(os.path.join(out, "taxonomy.json")))
        macro = {c["index"]: c["name"] for c in tax["macro"]}
        self.assertEqual({c["name"]: (c["fma_genre_id"], macro[c["macro"]]) for c in tax["fine"]},
                         {"disco": (11, "Soul-RnB"), "metal": (31, "Rock"), "reggae": (79, "International")})
        samples = e2e.dataset_samples(out)
        self.assertEqual(len(samples), 6)
        self.assertIn("metal_metal_00000", samples)
        for key, (split, tensor, cls, macro_cls) in samples.items():
            self.assertEqual(tensor.shape[-2:], (128, 130))
            self.assertTrue(tensor.std() > 0, key)


if __name__ == "__main__":
    unittest.main(verbosity=2)
