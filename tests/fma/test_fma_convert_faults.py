"""Faults during fma-convert: kill -9 at seeded random points, each followed by
--resume, gives the uninterrupted run's dataset (none missing, none twice); a
full disk (tmpfs, or a file size limit: ulimit -f) and a read-only output stop the run
with one clear error line and exit 3, keep every finalized shard, and a later
--resume with space or permissions completes the dataset.
Run by meson with GENRE_BUILD_ROOT and GST_PLUGIN_PATH set (tests/meson.build)."""
import hashlib
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_fma_convert_e2e as e2e  # noqa: E402  (its helpers; its tests do not run here)

TRACKS = 24
# Windowed: several samples per track, and shard rollovers cut tracks, the hard case for --resume.
PIPELINE = ("audioconvert ! audioresample ! audio/x-raw,channels=1,rate=22050 ! melspec n-mels=32 ! "
            "specresize window-frames=32 hop-frames=16 width=32 height=32")
# 24 tracks are too few for a val and a test split: fma-convert warns about that before it starts.
ROUTINE_LINE = re.compile(r"^fma-convert: (\d+ tracks? to convert|\d+/\d+ tracks |warning: split '\w+' gets no tracks)")


def error_lines(stderr):
    """stderr without the start, progress and empty-split warning lines."""
    return [line for line in stderr.splitlines() if not ROUTINE_LINE.match(line)]


def file_bytes(out):
    """name -> sha256 of every finalized shard."""
    return {n: hashlib.sha256(open(os.path.join(out, n), "rb").read()).hexdigest()
            for n in sorted(os.listdir(out)) if n.endswith(".tar")}


def mount_tmpfs(path, size_kb):
    os.makedirs(path, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode == 0


def remount(path, options):
    subprocess.run(["mount", "-o", f"remount,{options}", path], check=True)


def kill_then_resume(test, command, out, seed=20261121, points=4):
    """kill -9 a conversion at `points` seeded random moments (after 1-4 more finalized shards, then a
    little more: mid-track, mid-shard), each run after the first with --resume, checking every
    finalized shard stays readable; then a last --resume to the end. command(*extra) gives the
    argv. Returns the last run's summary."""
    rng = random.Random(seed)
    kills = 0
    for point in range(points):
        resume = ["--resume"] if point else []
        tars_before = len(file_bytes(out)) if os.path.isdir(out) else 0
        target = tars_before + rng.randint(1, 4)  # finalized shards to wait for
        extra_delay = rng.uniform(0.0, 0.03)      # then a little more: mid-track, mid-shard
        proc = subprocess.Popen(command(*resume), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            if os.path.isdir(out) and len([n for n in os.listdir(out) if n.endswith(".tar")]) >= target:
                break
            time.sleep(0.002)
        time.sleep(extra_delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        e2e.dataset_samples(out)  # every finalized shard readable, no sample twice
    test.assertGreaterEqual(kills, points - 1, "the converter finished before most kill points")
    p = e2e.run(*command("--resume"))
    test.assertIn(p.returncode, (0, 1), p.stderr)
    return json.loads(p.stdout)


class FmaConvertFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="fma-faults-")
        cls.audio, cls.meta = e2e.synth(os.path.join(cls.tmp.name, "tree"), TRACKS, 3, "--sample-rate", "22050",
                                        "--channels", "1")
        ref = os.path.join(cls.tmp.name, "reference")
        e2e.run(*cls.command(ref, "max-samples=7"), check=0)
        cls.reference = e2e.dataset_samples(ref)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def command(cls, out, sink_properties, *extra):
        return [e2e.CONVERT, "--audio", cls.audio, "--metadata", cls.meta, "--out", out, "--workers", "2",
                "--pipeline", PIPELINE, "--sink-properties", sink_properties, *extra]

    def setUp(self):
        self.mounts = []

    def tearDown(self):
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def assert_complete_and_consistent(self, out):
        """The uninterrupted run's samples, each once; manifest == the shards on disk; no partials."""
        e2e.assert_same_dataset(self, e2e.dataset_samples(out), self.reference)
        manifest = json.load(open(os.path.join(out, "manifest.json")))
        listed = {s["name"]: s for s in manifest["shards"]}
        on_disk = file_bytes(out)
        self.assertEqual(sorted(listed), sorted(on_disk))
        for name, digest in on_disk.items():
            self.assertEqual(listed[name]["sha256"], digest, name)
        self.assertEqual(sum(s["samples"] for s in listed.values()), len(self.reference))
        self.assertEqual([n for n in os.listdir(out) if ".partial" in n or ".tmp." in n], [])

    def assert_one_error_line(self, p, *causes):
        self.assertEqual(p.returncode, 3, p.stderr)
        lines = error_lines(p.stderr)
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("fma-convert: "), lines[0])
        self.assertTrue(any(c in lines[0] for c in causes), lines[0])

    def test_kill_at_seeded_random_points_then_resume(self):
        out = os.path.join(self.tmp.name, "killed")
        summary = kill_then_resume(self, lambda *extra: self.command(out, "max-samples=7", *extra), out)
        self.assertEqual(summary["already_complete"] + summary["converted"], TRACKS)
        self.assert_complete_and_consistent(out)

    def convert_part_then_fail_then_resume(self, out, make_it_fail, restore, causes, preexec=None):
        """A first run converts 10 tracks; a --resume that cannot write fails cleanly and keeps them;
        a --resume once writing works again completes the dataset."""
        e2e.run(*self.command(out, "max-samples=50", "--limit", "10"), check=0)
        before = file_bytes(out)
        self.assertGreater(len(before), 0)
        make_it_fail()
        p = subprocess.run(self.command(out, "max-samples=50", "--resume"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, preexec_fn=preexec)
        self.assert_one_error_line(p, *causes)
        restore()
        after = file_bytes(out)
        for name, digest in before.items():
            self.assertEqual(after.get(name), digest, f"{name} changed by the failed run")
        e2e.dataset_samples(out)  # what the failed run finalized is valid too
        p = e2e.run(*self.command(out, "max-samples=50", "--resume"), check=0)
        self.assertGreater(json.loads(p.stdout)["already_complete"], 0)
        self.assert_complete_and_consistent(out)

    def test_disk_full_during_conversion(self):
        mnt = os.path.join(self.tmp.name, "small-disk")
        if not mount_tmpfs(mnt, 4096):
            self.skipTest("cannot mount a tmpfs here (needs root); the file size limit test covers EFBIG")
        self.mounts.append(mnt)
        out = os.path.join(mnt, "ds")
        ref_kb = sum(os.path.getsize(os.path.join(self.tmp.name, "reference", n))
                     for n in os.listdir(os.path.join(self.tmp.name, "reference"))) // 1024

        def fill():  # room for about a third of what is left
            used_kb = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out)) // 1024
            remount(mnt, f"size={used_kb + 16 + (ref_kb - used_kb) // 3}k")

        self.convert_part_then_fail_then_resume(out, fill, lambda: remount(mnt, "size=65536k"),
                                                ["No space left on device", "Disk full"])

    def test_file_size_limit_during_conversion(self):
        def limit():  # shards stop at 64 KiB; fma-convert ignores SIGXFSZ itself, so write() fails with EFBIG
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
            resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

        out = os.path.join(self.tmp.name, "fsize")
        self.convert_part_then_fail_then_resume(out, lambda: None, lambda: None, ["File too large"], preexec=limit)

    def test_read_only_output(self):
        if os.geteuid() == 0:  # root ignores permissions: a read-only filesystem
            mnt = os.path.join(self.tmp.name, "ro-disk")
            if not mount_tmpfs(mnt, 65536):
                self.skipTest("running as root without the right to mount a tmpfs: cannot make --out read-only")
            self.mounts.append(mnt)
            out = os.path.join(mnt, "ds")
            make_ro, make_rw = (lambda: remount(mnt, "ro")), (lambda: remount(mnt, "rw"))
            causes = ["Read-only file system"]
        else:
            out = os.path.join(self.tmp.name, "ro")
            make_ro, make_rw = (lambda: os.chmod(out, 0o555)), (lambda: os.chmod(out, 0o755))
            causes = ["Permission denied"]
        self.convert_part_then_fail_then_resume(out, make_ro, make_rw, causes)
        # A new --out under a read-only parent: the same one-line error.
        make_ro()
        try:
            p = e2e.run(*self.command(os.path.join(out, "new"), "max-samples=50"))
            self.assert_one_error_line(p, *causes)
        finally:
            make_rw()


if __name__ == "__main__":
    unittest.main(verbosity=2)
