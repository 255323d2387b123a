"""genre-classify as a user runs it, on generated audio: verdicts in every
format, a directory with a broken file, usage errors, --live with Ctrl-C, and
--write-tags round trips on MP3, Ogg Vorbis and FLAC read back by
gst-discoverer-1.0 and mutagen (decoded audio and the other tags unchanged),
including a run killed with SIGKILL.

usage: test_genre_classify.py GENRE_CLASSIFY MAKE_TEST_BUNDLE
"""
import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import mutagen

TOOL = MAKE_BUNDLE = None
# The cnn bundle: 64 mel bands, 3 s windows (129 frames at 22050 / 512), 64x64 images.
MIDDLE = "melspec sample-rate=22050 n-mels=64 ! specresize window-frames=129 hop-frames=43 width=64 height=64"
WHOLE_CLIP_MIDDLE = "melspec sample-rate=22050 n-mels=32 ! specresize max-frames=300 width=32 height=16"
CLASSES = {"Rock", "Jazz", "Pop", "Blues"}
MACROS = {"Rock": "Band", "Pop": "Band", "Jazz": "Roots", "Blues": "Roots"}


def run(args, **kw):
    return subprocess.run([TOOL] + args, capture_output=True, text=True, timeout=300, **kw)


def gst_launch(description):
    subprocess.run(["gst-launch-1.0", "-q"] + description.split(), check=True, capture_output=True, timeout=120)


def make_audio(path, seconds, wave, title, artist):
    """A tagged file of `seconds` of audiotestsrc `wave`; the encoder from the extension."""
    buffers = int(seconds * 44100 / 1024)
    enc = {".mp3": "lamemp3enc ! id3v2mux", ".ogg": "vorbisenc ! oggmux", ".flac": "flacenc"}[os.path.splitext(path)[1]]
    tags = f"taginject tags=title={title},artist={artist}"
    gst_launch(f"audiotestsrc num-buffers={buffers} wave={wave} ! audioconvert ! {tags} ! {enc} ! "
               f"filesink location={path}")


def decoded_audio(path):
    """The file's audio as mono S16 PCM at 22050 Hz, hashed."""
    out = path + ".pcm"
    gst_launch(f"filesrc location={path} ! decodebin ! audioconvert ! audioresample ! "
               f"audio/x-raw,format=S16LE,rate=22050,channels=1 ! filesink location={out}")
    digest = file_digest(out)
    os.remove(out)
    return digest


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def file_digest(path):
    return hashlib.sha256(read_bytes(path)).hexdigest()


def discoverer_genre(path):
    out = subprocess.run(["gst-discoverer-1.0", "-v", path], capture_output=True, text=True, timeout=60).stdout
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("genre: "):
            return line[len("genre: "):]
    return None


def mutagen_tags(path):
    f = mutagen.File(path)
    if path.endswith(".mp3"):
        t = f.tags
        return {"genre": str(t["TCON"]) if "TCON" in t else None, "title": str(t["TIT2"]), "artist": str(t["TPE1"])}
    return {"genre": (f.tags.get("genre") or [None])[0], "title": f.tags["title"][0], "artist": f.tags["artist"][0]}


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class GenreClassifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="genre-classify-cli-")
        cls.model = os.path.join(cls.dir, "cnn.pt")
        subprocess.run([MAKE_BUNDLE, cls.model, "cnn", MIDDLE], check=True, timeout=300)
        cls.whole = os.path.join(cls.dir, "whole.pt")
        subprocess.run([MAKE_BUNDLE, cls.whole, "probe", WHOLE_CLIP_MIDDLE], check=True, timeout=300)
        cls.audio = os.path.join(cls.dir, "audio")
        os.makedirs(os.path.join(cls.audio, "sub"))
        cls.files = []
        for name, wave in [("sine.mp3", "sine"), ("noise.ogg", "pink-noise"), ("sub/square.flac", "square")]:
            path = os.path.join(cls.audio, name)
            make_audio(path, 6, wave, "Title-" + wave, "Artist-" + wave)
            cls.files.append(path)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def copy_of(self, paths, into):
        os.makedirs(into, exist_ok=True)
        out = []
        for p in paths:
            shutil.copy(p, into)
            out.append(os.path.join(into, os.path.basename(p)))
        return out

    # ---- verdicts -----------------------------------------------------------

    def test_a_file_set_gets_one_verdict_each(self):
        r = run(["-m", self.model, "--format", "json", "-k", "3"] + self.files)
        self.assertEqual(r.returncode, 0, r.stderr)
        records = {rec["file"]: rec for rec in json_lines(r.stdout)}
        self.assertEqual(set(records), set(self.files))
        for rec in records.values():
            self.assertIn(rec["verdict"], CLASSES)
            self.assertIn(rec["macrogenre"], set(MACROS.values()))
            self.assertEqual(len(rec["top"]), 3)
            self.assertEqual(rec["top"][0]["label"], rec["verdict"])
            self.assertGreaterEqual(rec["top"][0]["score"], rec["top"][1]["score"])
            # 6 s: windows start every second while a full 3 s window fits, plus the padded tail.
            self.assertIn(rec["windows"], (4, 5))
            self.assertEqual(rec["skipped"], 0)
        self.assertIn("3 of 3 files classified", r.stderr)

    def test_text_and_json_agree(self):
        text = run(["-m", self.model, "-j", "1", self.files[0]])
        js = run(["-m", self.model, "--format", "json", self.files[0]])
        self.assertEqual(text.returncode, 0, text.stderr)
        rec = json_lines(js.stdout)[0]
        line = text.stdout.strip()
        self.assertTrue(line.startswith(f"{self.files[0]}: {rec['verdict']} "), line)
        self.assertIn(f"[{rec['macrogenre']} ", line)

    def test_csv_has_a_header_and_a_row_per_file(self):
        r = run(["-m", self.model, "--format", "csv", "-q"] + self.files)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual(sorted(row["file"] for row in rows), sorted(self.files))
        for row in rows:
            self.assertEqual(row["status"], "ok")
            self.assertIn(row["verdict"], CLASSES)
            self.assertEqual(row["top"].split(";")[0].split(":")[0], row["verdict"])
        self.assertEqual(r.stderr, "", "--quiet prints no summary when nothing failed")

    def test_windows_are_json_lines_before_each_verdict(self):
        r = run(["-m", self.model, "--windows", "--format", "json", "-j", "1", self.files[0]])
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = json_lines(r.stdout)
        windows = [x for x in recs if x["type"] == "window"]
        final = [x for x in recs if x["type"] == "file"]
        self.assertEqual(len(final), 1)
        self.assertEqual(recs[-1]["type"], "file")
        self.assertEqual(len(windows), final[0]["windows"])
        self.assertEqual([w["window"] for w in windows], list(range(len(windows))))
        for i, w in enumerate(windows):
            self.assertAlmostEqual(w["start_s"], i * 43 * 512 / 22050, places=3)  # the 1 s hop in frames
            self.assertAlmostEqual(w["duration_s"], 129 * 512 / 22050, places=3)
        # The file's verdict is the mean of its windows' probabilities.
        label = final[0]["verdict"]
        mean = sum(next((t["score"] for t in w["top"] if t["label"] == label), 0.0) for w in windows) / len(windows)
        self.assertAlmostEqual(final[0]["score"], mean, places=4)

    def test_whole_clip_bundles_classify_whole_clips(self):
        r = run(["-m", self.whole, "--format", "json"] + self.files)
        self.assertEqual(r.returncode, 0, r.stderr)
        for rec in json_lines(r.stdout):
            self.assertEqual(rec["windows"], 1, rec)

    def test_long_files_are_several_clips_of_the_trained_length(self):
        # The bundle was trained on clips cut to 300 frames (~7 s): a 20 s file is 3 such clips
        # (the last one padded), averaged; never one image squeezed to another time scale.
        long = os.path.join(self.dir, "long.ogg")
        make_audio(long, 20, "pink-noise", "Long", "Artist")
        r = run(["-m", self.whole, "--format", "json", "--windows", long])
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = json_lines(r.stdout)
        windows = [x for x in recs if x["type"] == "window"]
        self.assertEqual(recs[-1]["windows"], 3, recs[-1])
        self.assertEqual(len(windows), 3)
        for i, w in enumerate(windows):
            self.assertAlmostEqual(w["start_s"], i * 300 * 512 / 22050, places=3)
            self.assertAlmostEqual(w["duration_s"], 300 * 512 / 22050, places=3)
        printed = run(["-m", self.whole, "--print-pipeline", long]).stdout
        self.assertIn(" window-frames=300 hop-frames=300", printed)

    def test_a_directory_with_a_broken_file(self):
        tree = os.path.join(self.dir, "tree")
        copies = self.copy_of(self.files, tree)
        os.makedirs(os.path.join(tree, "deeper"), exist_ok=True)
        broken = os.path.join(tree, "deeper", "broken.mp3")
        with open(broken, "wb") as f:
            f.write(os.urandom(5000))
        with open(os.path.join(tree, "cover.jpg"), "wb") as f:
            f.write(b"not audio, not tried")
        r = run(["-m", self.model, "--format", "json", "-j", "2", tree])
        self.assertEqual(r.returncode, 1, r.stderr)
        recs = {rec["file"]: rec for rec in json_lines(r.stdout)}
        self.assertEqual(set(recs), set(copies) | {broken})
        self.assertIn("error", recs[broken])
        for c in copies:
            self.assertIn(recs[c]["verdict"], CLASSES)
        self.assertIn("3 of 4 files classified, 1 failed:", r.stderr)
        self.assertIn(broken, r.stderr)
        self.assertNotIn("cover.jpg", r.stdout + r.stderr)

    def test_progress_bar_on_request(self):
        r = run(["-m", self.model, "--progress", "-j", "1"] + self.files)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("3/3 files", r.stderr)

    def test_a_missing_file_fails_alone(self):
        r = run(["-m", self.model, self.files[0], os.path.join(self.dir, "missing.mp3")])
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.mp3: FAILED", r.stdout)
        self.assertIn("1 of 2 files classified", r.stderr)

    def test_printed_pipeline_runs_and_agrees(self):
        printed = run(["-m", self.model, "--print-pipeline", self.files[2]])
        self.assertEqual(printed.returncode, 0, printed.stderr)
        line = printed.stdout.strip()
        self.assertTrue(line.startswith("gst-launch-1.0 -m filesrc location="), line)
        self.assertIn(" n-mels=64 ", line)
        self.assertIn(" window-frames=129 hop-frames=43 ", line)
        launched = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=120)
        self.assertEqual(launched.returncode, 0, launched.stderr)
        final = [l for l in launched.stdout.splitlines() if "(element): genre," in l and "final=(boolean)true" in l]
        self.assertEqual(len(final), 1, launched.stdout[-2000:])
        score = float(final[0].split("verdict-score=(double)")[1].split(",")[0])
        rec = json_lines(run(["-m", self.model, "--format", "json", self.files[2]]).stdout)[0]
        self.assertIn(f"verdict=(string){rec['verdict']},", final[0])
        self.assertAlmostEqual(score, rec["score"], places=5)

    def test_printed_pipeline_is_shell_safe(self):
        # Parentheses, spaces, an apostrophe, '!' and '$' in the paths: the line still runs in bash as printed.
        odd = os.path.join(self.dir, "odd (copy) it's $HOME!")
        os.makedirs(odd, exist_ok=True)
        song = self.copy_of([self.files[0]], odd)[0]
        model = os.path.join(odd, "model (1).pt")
        shutil.copy(self.model, model)
        printed = run(["-m", model, "--print-pipeline", song])
        self.assertEqual(printed.returncode, 0, printed.stderr)
        line = printed.stdout.strip()
        launched = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=120)
        self.assertEqual(launched.returncode, 0, line + "\n" + launched.stderr)
        final = [l for l in launched.stdout.splitlines() if "(element): genre," in l and "final=(boolean)true" in l]
        self.assertEqual(len(final), 1, launched.stdout[-2000:])

    def test_silence_is_not_a_genre(self):
        silent = os.path.join(self.dir, "silent.flac")
        make_audio(silent, 6, "silence", "Nothing", "Nobody")
        r = run(["-m", self.model, "--format", "json", silent, self.files[0]])
        self.assertEqual(r.returncode, 1, r.stderr)
        recs = {rec["file"]: rec for rec in json_lines(r.stdout)}
        self.assertIn("the input is silent", recs[silent]["error"])
        self.assertNotIn("verdict", recs[silent])
        self.assertIn(recs[self.files[0]]["verdict"], CLASSES)
        self.assertEqual(recs[self.files[0]]["silent_windows"], 0)
        self.assertIn("1 of 2 files classified, 1 failed:", r.stderr)
        self.assertIn(silent + ": the input is silent", r.stderr)

    def test_live_silence_is_said_once_and_gives_no_verdict(self):
        p = subprocess.Popen([TOOL, "-m", self.model, "--live", "--source", "audiotestsrc is-live=true wave=silence"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            lines = []
            deadline = time.time() + 60
            while len(lines) < 3 and time.time() < deadline:
                line = p.stdout.readline()
                if not line:
                    break
                lines.append(line)
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
        self.assertEqual(len(lines), 3, err)
        for line in lines:
            self.assertTrue(line.rstrip().endswith(": silent (no signal)"), line)
            self.assertNotIn("%", line, "no scores for silence")
        self.assertEqual(err.count("the input is silent"), 2, err)  # once while live, once at the end
        self.assertIn("no verdicts while it lasts", err)
        self.assertEqual(p.returncode, 1, err)

    # ---- usage -------------------------------------------------------------------

    # ---- --decode crm ---------------------------------------------------------

    def test_decode_crm_takes_the_genre_of_least_expected_distance(self):
        """With -k 4 the JSON holds every class's probability: the crm verdict is checked against
        argmin_j sum_i p_i d(i, j) on the bundle's two-level tree (siblings 2, other macrogenres 4)."""
        args = ["-m", self.model, "--format", "json", "-k", "4", "-j", "1"]
        crm = {rec["file"]: rec for rec in json_lines(run(args + ["--decode", "crm"] + self.files).stdout)}
        argmax = {rec["file"]: rec for rec in json_lines(run(args + self.files).stdout)}
        self.assertEqual(set(crm), set(self.files))
        for f in self.files:
            c, a = crm[f], argmax[f]
            self.assertEqual(c["decoding"], "crm")
            self.assertEqual(a["decoding"], "argmax")
            self.assertEqual(a["verdict"], a["top"][0]["label"])
            self.assertEqual([t["label"] for t in c["top"]], [t["label"] for t in a["top"]],
                             "the top-k is the probability ranking under both")
            p = {t["label"]: t["score"] for t in c["top"]}
            self.assertEqual(set(p), CLASSES)
            risk = {j: sum(p[i] * (0 if i == j else 2 if MACROS[i] == MACROS[j] else 4) for i in p) for j in p}
            best = min(risk.values())
            # The printed probabilities have six decimals: a near tie may go either way.
            self.assertIn(c["verdict"], [j for j in risk if risk[j] - best < 1e-4], (f, risk))
            self.assertEqual(c["macrogenre"], MACROS[c["verdict"]], "crm's macrogenre is its verdict's")
            self.assertAlmostEqual(c["score"], p[c["verdict"]], places=6)

    def test_decode_crm_windows_and_text_name_it(self):
        r = run(["-m", self.model, "--decode", "crm", "--windows", "--format", "json", "-j", "1", self.files[0]])
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = json_lines(r.stdout)
        self.assertTrue(recs)
        for rec in recs:
            self.assertEqual(rec["decoding"], "crm", rec)
        text = run(["-m", self.model, "--decode", "crm", "-j", "1", self.files[0]])
        self.assertIn(" (crm)", text.stdout)
        self.assertNotIn("(argmax)", run(["-m", self.model, "-j", "1", self.files[0]]).stdout)
        rows = list(csv.DictReader(io.StringIO(
            run(["-m", self.model, "--decode", "crm", "--format", "csv", "-q", self.files[0]]).stdout)))
        self.assertEqual([row["decoding"] for row in rows], ["crm"])
        printed = run(["-m", self.model, "--decode", "crm", "--print-pipeline", self.files[0]]).stdout
        self.assertIn(" decoding=crm ", printed)

    def test_decode_crm_refuses_a_multi_label_bundle(self):
        multi = os.path.join(self.dir, "multi.pt")
        subprocess.run([MAKE_BUNDLE, multi, "probe-multi-label", WHOLE_CLIP_MIDDLE], check=True, timeout=300)
        r = run(["-m", multi, "--decode", "crm", self.files[0]])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("multi-label", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertEqual(run(["-m", multi, self.files[0]]).returncode, 0, "argmax decodes it")

    def test_usage_errors_are_one_line_and_exit_2(self):
        for args in (["-m", self.model, "--bogus", self.files[0]], ["-m", self.model], [self.files[0]],
                     ["-m", self.model, "--format", "xml", self.files[0]],
                     ["-m", self.model, "--dry-run", self.files[0]],
                     ["-m", self.model, "-k", "0", self.files[0]]):
            r = run(args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, (args, r.stderr))
            self.assertTrue(r.stderr.startswith("genre-classify: "), r.stderr)
            self.assertEqual(r.stdout, "")

    def test_an_unknown_option_is_named_before_missing_required_ones(self):
        for args in (["--bogus"], ["--bogus", self.files[0]]):
            r = run(args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn("--bogus", r.stderr)
            self.assertIn("not expected", r.stderr)
            self.assertNotIn("--model is required", r.stderr)

    def test_help_documents_every_option(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0)
        for opt in ("--model", "--windows", "--format", "--jobs", "--threads", "--top-k", "--batch", "--hop",
                    "--device", "--min-confidence", "--live", "--source", "--smoothing", "--ema-alpha",
                    "--write-tags", "--dry-run", "--genre-format", "--all-files", "--progress", "--quiet",
                    "--print-pipeline",
                    "Exit status"):
            self.assertIn(opt, r.stdout)

    def test_a_bad_model_is_one_line_and_exit_2(self):
        junk = os.path.join(self.dir, "junk.pt")
        with open(junk, "w") as f:
            f.write("no model here\n")
        for model in (junk, os.path.join(self.dir, "none.pt")):
            r = run(["-m", model, self.files[0]])
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(model, r.stderr)

    def test_a_preprocessing_parameter_the_elements_lack_is_an_error_naming_it(self):
        # A bundle from a newer plugin: its specresize recorded 'crop', which this specresize
        # lacks. Leaving it out would feed the model other images than it was trained on.
        import torch
        extra = {"genre/bundle.json": ""}
        module = torch.jit.load(self.model, _extra_files=extra)
        bundle = json.loads(extra["genre/bundle.json"])
        bundle["preprocessing"]["genre/specresize-params"]["crop"] = "0,4"
        newer = os.path.join(self.dir, "newer.pt")
        torch.jit.save(module, newer, _extra_files={"genre/bundle.json": json.dumps(bundle)})
        r = run(["-m", newer, "-j", "2", self.files[0], self.files[1]])
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("sets specresize crop=0,4, but this specresize has no 'crop' property", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_gst_inspect_documents_every_property(self):
        out = subprocess.run(["gst-inspect-1.0", "genreclassify"], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        text = out.stdout
        self.assertIn("Music genre classifier", text)
        self.assertIn("Filename", text)
        self.assertIn("libgstgenreclassify.so", text)
        lines = text.splitlines()
        for prop in ("model", "device", "threads", "top-k", "smoothing", "ema-alpha", "min-confidence", "silence-floor",
                     "post-messages", "emit-tags", "batch", "leaky", "max-delay", "skipped"):
            at = next((i for i, l in enumerate(lines) if l.startswith(f"  {prop} ") and ":" in l), None)
            self.assertIsNotNone(at, f"gst-inspect shows no '{prop}'")
            blurb = lines[at].split(":", 1)[1].strip()
            self.assertGreater(len(blurb), 20, f"'{prop}' has no real description")
            block = "\n".join(lines[at:at + 6])
            self.assertIn("Default:", block, f"'{prop}' shows no default")

    # ---- live ------------------------------------------------------------------------

    def test_live_source_with_a_decoder_ends_at_its_eos(self):
        # decodebin's pad appears later: the source bin must not ghost audioconvert's sink pad.
        source = f"filesrc location={self.files[0]} ! decodebin ! audioconvert ! identity sync=true"
        p = run(["-m", self.model, "--live", "--source", source, "--format", "json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = json_lines(p.stdout)
        self.assertGreaterEqual(sum(1 for j in lines if j["type"] == "window"), 2)
        self.assertEqual(lines[-1]["type"], "file")
        self.assertIn(lines[-1]["verdict"], CLASSES)

    def test_live_source_without_a_free_source_pad_is_a_usage_error(self):
        p = run(["-m", self.model, "--live", "--source", "audiotestsrc ! fakesink"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("no free source pad", p.stderr)

    def test_openmp_threads_wait_passively_unless_the_user_says_otherwise(self):
        def policy_of_a_running_tool(env):
            p = subprocess.Popen([TOOL, "-m", self.model, "--live", "--source", "audiotestsrc is-live=true"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                 env=dict(os.environ, **env))
            try:
                p.stdout.readline()  # a first window: the process has re-executed itself by now
                with open(f"/proc/{p.pid}/environ", "rb") as f:
                    found = [v for v in f.read().split(b"\0") if v.startswith(b"OMP_WAIT_POLICY=")]
            finally:
                p.kill()
                p.wait()
            return found

        self.assertEqual(policy_of_a_running_tool({}), [b"OMP_WAIT_POLICY=PASSIVE"])
        self.assertEqual(policy_of_a_running_tool({"OMP_WAIT_POLICY": "ACTIVE"}), [b"OMP_WAIT_POLICY=ACTIVE"])

    def test_live_until_interrupted(self):
        p = subprocess.Popen([TOOL, "-m", self.model, "--live", "--source", "audiotestsrc is-live=true wave=pink-noise",
                              "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            windows = []
            deadline = time.time() + 60
            while len(windows) < 2 and time.time() < deadline:
                line = p.stdout.readline()
                if not line:
                    break
                windows.append(json.loads(line))
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
        self.assertEqual(p.returncode, 0, err)
        self.assertGreaterEqual(len(windows), 2)
        self.assertEqual(windows[0]["type"], "window")
        final = json_lines(out)[-1]
        self.assertEqual(final["type"], "file")
        self.assertIn(final["verdict"], CLASSES)
        self.assertGreaterEqual(final["windows"], 2)

    def test_live_uri_ends_with_the_stream(self):
        r = run(["-m", self.model, "--live", self.files[1]])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().splitlines()
        self.assertTrue(lines[0].startswith("0.0s window 0: "), lines[0])
        self.assertTrue(lines[-1].startswith(self.files[1] + ": "), lines[-1])

    def test_first_sigterm_or_sigint_ends_a_forward_pass_that_never_returns(self):
        # ~10^9 matrix products per window: the forward pass does not end in any test's lifetime.
        hung = os.path.join(self.dir, "hung.pt")
        subprocess.run([MAKE_BUNDLE, hung, "probe", WHOLE_CLIP_MIDDLE, "1000000000"], check=True, timeout=300)
        for sig, live in ((signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)):
            args = ["--live", self.files[0]] if live else ["-j", "1", self.files[0]]
            p = subprocess.Popen([TOOL, "-m", hung, "--threads", "1"] + args, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            try:
                time.sleep(4)  # the model is loaded and its first forward pass runs
                self.assertIsNone(p.poll(), "the run ended before the signal")
                sent = time.time()
                p.send_signal(sig)
                out, err = p.communicate(timeout=20)
                took = time.time() - sent
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            self.assertEqual(p.returncode, 130, (sig, live, err))
            self.assertLess(took, 6, (sig, live))
            self.assertIn("interrupted", err)

    # ---- tags --------------------------------------------------------------------------

    def test_write_tags_round_trip(self):
        files = self.copy_of(self.files, os.path.join(self.dir, "tagged"))
        before = {f: (decoded_audio(f), mutagen_tags(f)) for f in files}
        r = run(["-m", self.model, "--format", "json", "--write-tags", "--genre-format", "macro/fine"] + files)
        self.assertEqual(r.returncode, 0, r.stderr)
        for rec in json_lines(r.stdout):
            f = rec["file"]
            want = rec["macrogenre"] + "/" + rec["verdict"]
            self.assertEqual(rec["tag"]["action"], "written", rec)
            self.assertEqual(rec["tag"]["new"], want)
            self.assertEqual(discoverer_genre(f), want, f)
            tags = mutagen_tags(f)
            self.assertEqual(tags["genre"], want, f)
            self.assertEqual(tags["title"], before[f][1]["title"], "other tags kept")
            self.assertEqual(tags["artist"], before[f][1]["artist"], "other tags kept")
            self.assertEqual(decoded_audio(f), before[f][0], f"{f}: decoded audio changed")
        self.assertIn("3 of 3 files classified; tags: 3 written", r.stderr)
        # Again: the genre is already there.
        again = run(["-m", self.model, "--format", "json", "--write-tags", "--genre-format", "macro/fine"] + files)
        self.assertEqual({rec["tag"]["action"] for rec in json_lines(again.stdout)}, {"unchanged"})
        self.assertIn("3 of 3 files classified; tags: 3 unchanged", again.stderr)

    def test_an_ape_genre_beside_id3_is_updated_too(self):
        from mutagen.apev2 import APEv2
        f = self.copy_of([self.files[0]], os.path.join(self.dir, "ape"))[0]
        ape = APEv2()
        ape["Genre"] = "Polka"
        ape["Title"] = "Ape Title"
        ape.save(f)
        audio = decoded_audio(f)
        r = run(["-m", self.model, "--format", "json", "--write-tags", f])
        self.assertEqual(r.returncode, 0, r.stderr)
        rec = json_lines(r.stdout)[0]
        self.assertEqual(rec["tag"]["action"], "written")
        self.assertEqual(rec["tag"]["fields"], ["ID3v2.4 TCON", "APE Genre"])
        self.assertIn("APE Genre", rec["tag"]["detail"])
        self.assertIn("1 of 1 files classified; tags: 1 written\n", r.stderr)
        tags = APEv2(f)
        self.assertEqual(str(tags["Genre"]), rec["verdict"], "players that read APE see the new genre")
        self.assertEqual(str(tags["Title"]), "Ape Title")
        self.assertEqual(mutagen_tags(f)["genre"], rec["verdict"])
        self.assertEqual(decoded_audio(f), audio)

    def test_hard_linked_files_are_refused_unless_tag_hard_links(self):
        files = self.copy_of(self.files[:2], os.path.join(self.dir, "library"))
        seed = os.path.join(self.dir, "seed")
        os.makedirs(seed, exist_ok=True)
        links = [os.path.join(seed, os.path.basename(f)) for f in files]
        for f, link in zip(files, links):
            os.link(f, link)
        digest = {f: file_digest(f) for f in files}
        refused = run(["-m", self.model, "--write-tags"] + files)
        self.assertEqual(refused.returncode, 1, refused.stderr)
        for f in files:
            self.assertIn(f"{f}: tag not written: {f}: has 2 hard links: replacing it would leave its other names "
                          "with the old file; not tagged (--tag-hard-links writes such files in place)\n",
                          refused.stderr)
            self.assertEqual(file_digest(f), digest[f], "a refused file is left as it was")
        self.assertIn("tags: 2 failed", refused.stderr)
        audio = {f: decoded_audio(f) for f in files}
        r = run(["-m", self.model, "--format", "json", "--write-tags", "--tag-hard-links"] + files)
        self.assertEqual(r.returncode, 0, r.stderr)
        for rec in json_lines(r.stdout):
            f = rec["file"]
            link = os.path.join(seed, os.path.basename(f))
            self.assertEqual(rec["tag"]["action"], "written")
            self.assertIn("in place (hard links)", rec["tag"]["detail"])
            self.assertEqual(os.stat(f).st_nlink, 2)
            self.assertEqual(os.stat(f).st_ino, os.stat(link).st_ino)
            self.assertEqual(mutagen_tags(link)["genre"], rec["verdict"], "the other name sees the new tag")
            self.assertEqual(decoded_audio(link), audio[f])
        bad = run(["-m", self.model, "--tag-hard-links"] + files)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--tag-hard-links", bad.stderr)

    def test_dry_run_and_uncertain_verdicts_leave_files_alone(self):
        files = self.copy_of(self.files, os.path.join(self.dir, "dry"))
        digest = {f: file_digest(f) for f in files}
        dry = run(["-m", self.model, "--format", "json", "--write-tags", "--dry-run", "--genre-format", "macro"] + files)
        self.assertEqual(dry.returncode, 0, dry.stderr)
        for rec in json_lines(dry.stdout):
            self.assertEqual(rec["tag"]["action"], "dry run")
            self.assertEqual(rec["tag"]["new"], rec["macrogenre"])
        unsure = run(["-m", self.model, "--format", "json", "--write-tags", "--min-confidence", "0.99"] + files)
        self.assertEqual(unsure.returncode, 0, unsure.stderr)
        for rec in json_lines(unsure.stdout):
            self.assertFalse(rec["confident"])
            self.assertEqual(rec["tag"]["action"], "uncertain: left alone")
        # The summary counts what happened to the tags, not "classified and tagged".
        self.assertIn("3 of 3 files classified; tags: 3 left alone (uncertain)", unsure.stderr)
        self.assertNotIn("and tagged", unsure.stderr)
        self.assertIn("3 of 3 files classified; tags (dry run, nothing written): 3 would change (dry run)", dry.stderr)
        quiet = run(["-m", self.model, "-q", "--write-tags", "--min-confidence", "0.99"] + files)
        self.assertEqual(quiet.returncode, 0, quiet.stderr)
        self.assertEqual(quiet.stderr, "", "-q: no summary when nothing failed")
        for f in files:
            self.assertEqual(file_digest(f), digest[f], f)
            self.assertIsNone(mutagen_tags(f)["genre"])

    def test_a_killed_write_tags_run_leaves_every_file_whole(self):
        src = os.path.join(self.dir, "kill-src")
        originals = []
        for i in range(12):
            path = os.path.join(src, f"track{i:02d}.mp3")
            os.makedirs(src, exist_ok=True)
            shutil.copy(self.files[0], path)
            originals.append(path)
        before_audio = decoded_audio(originals[0])
        before_bytes = read_bytes(originals[0])
        work = os.path.join(self.dir, "kill")
        files = self.copy_of(originals, work)
        p = subprocess.Popen([TOOL, "-m", self.model, "--write-tags", "--format", "json", "-j", "1", "--batch", "1"]
                             + files, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        done = []
        line = p.stdout.readline()  # the first file is tagged: the run is mid-way
        if line:
            done.append(json.loads(line))
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        self.assertTrue(done, "the run was killed before it tagged anything")
        self.assertEqual(done[0]["tag"]["action"], "written")
        tagged = 0
        for f in files:
            if read_bytes(f) == before_bytes:
                continue
            tagged += 1
            self.assertIn(mutagen_tags(f)["genre"], CLASSES, f)
            self.assertEqual(decoded_audio(f), before_audio, f)
        self.assertGreaterEqual(tagged, 1)
        self.assertLess(tagged, len(files), "killed mid-run, not at the end")
        # A rerun finishes the job and leaves no temporary behind.
        r = run(["-m", self.model, "--write-tags", "-q"] + files)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(work)), sorted(os.path.basename(f) for f in files))
        for f in files:
            self.assertIn(mutagen_tags(f)["genre"], CLASSES)


if __name__ == "__main__":
    TOOL, MAKE_BUNDLE = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    unittest.main(verbosity=2)
