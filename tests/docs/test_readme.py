"""README.md's shell blocks, run as a new user runs them, in order, on small generated data.

HOME is a fresh directory whose ~/fma holds an FMA download made by fma-synth (64 tracks of
30 s, the official layout, checksums); the commands run in a fresh working directory (relative
paths such as runs/cnn resolve there), with the build tree's tools on PATH and its plugins on
GST_PLUGIN_PATH, as inside `meson devenv -C build -w .`; `meson devenv -C build` becomes the
build tree under test. The files a reader brings (song.mp3, song.ogg, track.mp3, 000002.mp3,
~/Music, a ~/gtzan/genres_original tree of two genres) are copies of generated tracks. Two changes keep the test short, and nothing else is
changed: genre-train gets `--epochs 1` and --live ends with SIGINT after a few seconds.

Commands that cannot run here are skipped by name below (installing packages, another build
tree, CUDA, downloaded ImageNet weights, a capture device, the test suites themselves); every
other line must exit 0. A new command in README.md runs by default.

usage: test_readme.py (GENRE_BUILD_ROOT set by meson)
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("GENRE_BUILD_ROOT", os.path.join(SOURCE, "build"))
README = os.path.join(SOURCE, "README.md")

# (pattern, why it cannot run here)
SKIPPED = [
    (r"^\.ci/", "installs packages and builds"),
    (r"^meson (setup|compile|install)\b", "another build or an install"),
    (r"^meson test\b", "the test suites themselves"),
    (r"^meson devenv -C build( -w \.)?\s*(#.*)?$", "an interactive shell"),
    (r"build-cuda|--device cuda|export_torchvision_weights", "a CUDA LibTorch, a GPU or downloaded weights"),
    (r"--init resnet|--resume runs/r18|--nproc 4", "ImageNet weights (export_torchvision_weights.py) and GPUs"),
    (r"^gst-launch-1.0 autoaudiosrc", "a capture device, and it runs until stopped"),
]

LIVE_SECONDS = 6


def shell_blocks(path):
    """The commands of every ```sh block: continuation lines joined, comment-only lines dropped."""
    commands, block, pending = [], None, ""
    for line in open(path, encoding="utf-8"):
        if line.startswith("```sh"):
            block = True
            continue
        if line.startswith("```"):
            block = None
            continue
        if not block:
            continue
        text = line.rstrip("\n")
        if pending:
            text = pending + " " + text.strip()
            pending = ""
        if text.rstrip().endswith("\\"):
            pending = text.rstrip()[:-1].rstrip()
            continue
        if text.strip() and not text.strip().startswith("#"):
            commands.append(text.strip())
    return commands


def skip_reason(command):
    for pattern, why in SKIPPED:
        if re.search(pattern, command):
            return why
    return None


class ReadmeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="genre-readme-")
        cls.home = os.path.join(cls.tmp, "home")
        cls.work = os.path.join(cls.tmp, "work")
        os.makedirs(cls.work)
        cls.env = dict(os.environ, HOME=cls.home,
                       PATH=os.path.join(BUILD, "tools") + os.pathsep + os.environ.get("PATH", ""),
                       GST_PLUGIN_PATH=os.path.join(BUILD, "plugins"))
        fma = os.path.join(cls.home, "fma")
        subprocess.run([os.path.join(BUILD, "tools", "fma-synth"), "--out", fma, "--tracks", "64", "--duration", "30",
                        "--seed", "1"], check=True, capture_output=True, timeout=600, env=cls.env)
        mp3s = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(fma, "fma_small"))
                      for f in fs if f.endswith(".mp3"))
        for name, src in (("song.mp3", mp3s[0]), ("track.mp3", mp3s[1]), ("000002.mp3", mp3s[2])):
            shutil.copy(src, os.path.join(cls.work, name))
        # A GTZAN-style tree (the folder is the label) of generated tracks, ten per genre.
        for i, genre in enumerate(("blues", "rock")):
            folder = os.path.join(cls.home, "gtzan", "genres_original", genre)
            os.makedirs(folder)
            for k, src in enumerate(mp3s[7 + 10 * i:17 + 10 * i]):
                shutil.copy(src, os.path.join(folder, f"{genre}.{k:05d}.mp3"))
        music = os.path.join(cls.home, "Music")
        os.makedirs(music)
        for src in mp3s[3:6]:
            shutil.copy(src, music)
        subprocess.run(["gst-launch-1.0", "-q", "filesrc", "location=" + mp3s[6], "!", "decodebin", "!",
                        "audioconvert", "!", "vorbisenc", "!", "oggmux", "!", "filesink",
                        "location=" + os.path.join(cls.work, "song.ogg")], check=True, capture_output=True,
                       timeout=120)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def as_run_here(self, command):
        """The command with the test's build tree and shortened training (see the docstring)."""
        command = command.replace("meson devenv -C build ", "meson devenv -C " + shlex.quote(BUILD) + " ")
        if re.match(r"^genre-train\b", command) and "--resume" not in command:
            command = re.sub(r"^genre-train\b", "genre-train --epochs 1 --threads 2", command)
        return command

    def run_live(self, command):
        p = subprocess.Popen(["bash", "-c", "exec " + command], cwd=self.work, env=self.env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(LIVE_SECONDS)
        ended = p.poll() is not None
        if not ended:
            p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        self.assertFalse(ended, f"{command}: ended by itself (exit {p.returncode})\n{err}")
        # No capture device here: a silent source, said as such; a microphone would give verdicts.
        self.assertIn(p.returncode, (0, 1), err)
        self.assertNotIn("whole clips of any length", err)
        return out, err

    def test_every_runnable_command_runs_as_written(self):
        commands = shell_blocks(README)
        self.assertGreater(len(commands), 20, "README.md's shell blocks were not found")
        ran, skipped = [], []
        for command in commands:
            why = skip_reason(command)
            if why:
                skipped.append((command, why))
                continue
            with self.subTest(command=command):
                here = self.as_run_here(command.split("  #")[0].strip())
                if re.search(r"--live\b", here):
                    self.run_live(here)
                else:
                    p = subprocess.run(["bash", "-c", here], cwd=self.work, env=self.env, text=True,
                                       capture_output=True, timeout=900)
                    self.assertEqual(p.returncode, 0, f"{here}\n{p.stderr[-3000:]}")
                ran.append(command)
        print(f"\n{len(ran)} README commands ran, {len(skipped)} skipped:")
        for command, why in skipped:
            print(f"  skipped ({why}): {command[:90]}")
        # The core sequence is among those that ran: convert, train, classify, tag, the pipeline lines.
        for needle in ("fma-convert", "genre-train --data ~/datasets/fma_small_128 --model cnn --regime two-stage --out",
                       "genre-classify -m runs/cnn/model.pt song.mp3", "--live", "--write-tags",
                       "--print-pipeline song.mp3)", "datasetsink"):
            self.assertTrue(any(needle in c for c in ran), f"no README command with '{needle}' ran")


if __name__ == "__main__":
    unittest.main(verbosity=2)
