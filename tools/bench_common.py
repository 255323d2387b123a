"""What the training benchmarks (train-bench.py, dist-bench.py) share: running a tool, the
load average, and a windowed dataset made by the real tools (fma-synth, fma-convert)."""
import os
import shutil
import subprocess


class BenchError(Exception):
    pass


def run(args, env=None):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(args)} exited {p.returncode}:\n{p.stderr[-3000:]}")
    return p.stdout


def load_average():
    return "%.2f %.2f %.2f" % os.getloadavg()


def make_windowed_dataset(build, out, tracks, seconds, image, hop, workers):
    """tracks x seconds of generated mono 22050 Hz audio through `image` (a specresize
    description), cut into 130-frame (3 s) windows every `hop` frames, into `out`; made once
    (kept when out/manifest.json exists)."""
    if os.path.isfile(os.path.join(out, "manifest.json")):
        return out
    fma = out + "-fma"
    shutil.rmtree(fma, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    tools = os.path.join(build, "tools")
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(build, "plugins"))
    run([os.path.join(tools, "fma-synth"), "--out", fma, "--tracks", str(tracks), "--duration", str(seconds),
         "--seed", "3", "--workers", str(workers), "--sample-rate", "22050", "--channels", "1"], env)
    pipeline = f"audioconvert ! audioresample ! melspec sample-rate=22050 ! {image} window-frames=130 hop-frames={hop}"
    run([os.path.join(tools, "fma-convert"), "--audio", os.path.join(fma, "fma_small"), "--metadata",
         os.path.join(fma, "fma_metadata"), "--out", out, "--workers", str(workers), "--min-duration", "1",
         "--progress-interval", "3600", "--pipeline", pipeline], env)
    shutil.rmtree(fma, ignore_errors=True)
    return out
