#!/usr/bin/python3
"""Reads a genre dataset with nothing but tarfile + numpy, the way a Python
user would, and checks it against the float32 sources the C++ test wrote.

  read_with_python.py dataset DIR SRC   -> one line per sample: key fine macro sha256(tensor bytes)
                                           (SRC "-": no float32 sources to compare with)
  read_with_python.py f16 IN.f32 OUT.f16  numpy's astype(float16) of a raw float32 file
  read_with_python.py f16to32 OUT.f32     numpy's astype(float32) of all 65536 float16 bit patterns
"""
import hashlib
import io
import json
import os
import sys
import tarfile

import numpy as np


def fail(msg):
    print("python check failed: " + msg, file=sys.stderr)
    sys.exit(1)


def read_dataset(root, src):
    manifest = json.load(open(os.path.join(root, "manifest.json")))
    dtype = np.dtype(manifest["dtype"])
    shape = tuple(manifest["sample_shape"])
    lines = []
    for entry in manifest["shards"]:
        path = os.path.join(root, entry["name"])
        raw = open(path, "rb").read()
        if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
            fail(entry["name"] + ": sha256 differs from the manifest")
        samples = {}
        with tarfile.open(path) as tar:
            for m in tar.getmembers():
                if m.mtime != 0 or m.uid != 0 or m.gid != 0 or m.mode != 0o444 or not m.isfile():
                    fail(m.name + ": header is not deterministic")
                key, ext = m.name.split(".", 1)
                samples.setdefault(key, {})[ext] = tar.extractfile(m).read()
        if len(samples) != entry["samples"]:
            fail(entry["name"] + ": sample count differs from the manifest")
        for key, members in samples.items():
            npy = members["npy"]
            arr = np.load(io.BytesIO(npy))
            if arr.dtype != dtype or arr.shape != shape:
                fail(key + ": dtype/shape differ from the manifest")
            if src != "-":  # compare with the float32 source the writer was given
                source = np.fromfile(os.path.join(src, key + ".f32"), dtype="<f4").reshape(shape)
                expected = source.astype(dtype)
                if not np.array_equal(arr.view(np.uint8), expected.view(np.uint8)):
                    fail(key + ": tensor differs from numpy's conversion of the source")
                ref = io.BytesIO()
                np.save(ref, expected)
                if ref.getvalue() != npy:
                    fail(key + ": .npy bytes differ from np.save's")
            meta = json.loads(members["json"])
            fine, macro = int(members["cls"]), int(members["macro.cls"])
            if meta["key"] != key or meta["fine_label"] != fine or meta["macro_label"] != macro:
                fail(key + ": json disagrees with .cls/.macro.cls")
            classes = manifest.get("classes")
            if classes:  # a taxonomy's, or grown from label names ("class_origin": "names")
                if not 0 <= fine < len(classes["fine"]) or macro >= len(classes["macro"]):
                    fail(key + ": class index outside the manifest's class lists")
                if "fine_name" in meta and meta["fine_name"] != classes["fine"][fine]["name"]:
                    fail(key + ": fine_name disagrees with the manifest's class list")
                if macro >= 0 and "macro_name" in meta and meta["macro_name"] != classes["macro"][macro]["name"]:
                    fail(key + ": macro_name disagrees with the manifest's class list")
            lines.append("%s %d %d %s" % (key, fine, macro, hashlib.sha256(arr.tobytes()).hexdigest()))
    for line in sorted(lines):
        print(line)


def main():
    mode = sys.argv[1]
    if mode == "dataset":
        read_dataset(sys.argv[2], sys.argv[3])
    elif mode == "f16":
        np.fromfile(sys.argv[2], dtype="<f4").astype("<f2").tofile(sys.argv[3])
    elif mode == "f16to32":
        np.arange(65536, dtype=np.uint32).astype("<u2").view("<f2").astype("<f4").tofile(sys.argv[2])
    else:
        fail("unknown mode " + mode)


if __name__ == "__main__":
    main()
