#!/usr/bin/python3
"""genre_listen.py: gst-genre's elements from a Python GStreamer application (PyGObject).

    GST_PLUGIN_PATH=build/plugins examples/genre_listen.py -m RUN/model.pt song.mp3
    examples/genre_listen.py -m model.pt --decoding crm \\
        --middle "melspec sample-rate=22050 ! specresize width=128 height=128" https://host/stream.ogg

It builds

    uridecodebin uri=INPUT ! audioconvert ! audioresample ! MIDDLE ! genreclassify model=MODEL ! fakesink

with Gst.parse_launch, runs it in a GLib main loop, and prints each `genre` element message
genreclassify posts on the bus (see pipelines/classify.md for its fields):

    window 3 at 3.00 s: top Rock 0.6250 | verdict Rock 0.5500 Band (argmax)
    final over 5 windows: Rock 0.6100 Band (argmax)

MIDDLE must make the images the bundle was trained on (genreclassify stops with an error naming
any parameter that differs); `genre-classify --print-pipeline -m MODEL FILE` prints the bundle's
own. Exit status: 0 at the end of the stream, 1 when the pipeline cannot be built or fails, 2 on a
usage error.
Needs python3-gi and gir1.2-gstreamer-1.0, and the gst-genre plugins on GST_PLUGIN_PATH.
"""
import argparse
import os
import sys
import warnings

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

# The reference small CNN's images (README: 128x128 from 22050 Hz mel spectrograms).
DEFAULT_MIDDLE = "melspec sample-rate=22050 ! specresize width=128 height=128"


def strings(structure, field):
    """A string array field as a list. Without gst-python's overrides PyGObject cannot read a
    GstValueArray as a value; gst_structure_get_array gives a GValueArray, whose get_nth PyGObject
    marks deprecated."""
    ok, array = structure.get_array(field)
    if not ok:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [array.get_nth(i) for i in range(array.n_values)]


def describe(s):
    """One line for a `genre` message structure."""
    verdict = (f"{s.get_value('verdict')} {s.get_value('verdict-score'):.4f} "
               f"{s.get_value('verdict-macrogenre') or '-'} ({s.get_value('decoding')})")
    if s.get_value("final"):
        if s.get_value("silent"):
            return f"final: silent ({s.get_value('silent-windows')} windows without signal)"
        return f"final over {s.get_value('windows')} windows: {verdict}"
    ts = s.get_value("timestamp")
    at = f"{ts / Gst.SECOND:.2f} s" if ts != Gst.CLOCK_TIME_NONE else "?"
    if s.get_value("silent"):
        return f"window {s.get_value('window')} at {at}: silent"
    labels = strings(s, "labels")
    _, scores = s.get_array("scores")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        top = f"{labels[0]} {scores.get_nth(0):.4f}" if labels else "?"
    return f"window {s.get_value('window')} at {at}: top {top} | verdict {verdict}"


def main():
    ap = argparse.ArgumentParser(description="Print genreclassify's genre messages for an audio file or URI.")
    ap.add_argument("input", help="an audio file or a URI (file://, http://, ...)")
    ap.add_argument("-m", "--model", required=True, help="model bundle (model.pt) written by genre-train")
    ap.add_argument("--middle", default=DEFAULT_MIDDLE,
                    help="melspec ! specresize with the bundle's parameters (default: %(default)s)")
    ap.add_argument("--decoding", choices=["argmax", "crm"], default="argmax",
                    help="genreclassify's decoding: the most probable genre, or the genre of least expected "
                         "distance in the bundle's genre tree (default: %(default)s)")
    args = ap.parse_args()

    Gst.init(None)
    uri = args.input if Gst.uri_is_valid(args.input) else Gst.filename_to_uri(os.path.abspath(args.input))
    description = (f"uridecodebin name=source caps=audio/x-raw ! audioconvert ! audioresample ! {args.middle} ! "
                   f"genreclassify name=classify decoding={args.decoding} ! fakesink sync=false")
    try:
        pipeline = Gst.parse_launch(description)
    except GLib.Error as e:  # an element missing: is the gst-genre plugin directory on GST_PLUGIN_PATH?
        print(f"genre_listen: cannot build the pipeline: {e.message}", file=sys.stderr)
        return 1
    # Set apart: a path or URI with spaces or quotes needs no escaping for parse_launch.
    pipeline.get_by_name("source").set_property("uri", uri)
    pipeline.get_by_name("classify").set_property("model", args.model)

    loop = GLib.MainLoop()
    status = 0

    def on_message(_bus, msg):
        nonlocal status
        if msg.type == Gst.MessageType.ELEMENT and msg.get_structure().get_name() == "genre":
            print(describe(msg.get_structure()), flush=True)
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print(f"genre_listen: {msg.src.get_name()}: {err.message}" + (f" ({debug})" if debug else ""),
                  file=sys.stderr)
            status = 1
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        status = 1  # the error message says why; it is on the bus
        msg = bus.pop_filtered(Gst.MessageType.ERROR)
        if msg:
            on_message(bus, msg)
    else:
        loop.run()
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    return status


if __name__ == "__main__":
    sys.exit(main())
