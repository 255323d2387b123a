#!/usr/bin/python3
"""Convert a PANNs AudioSet checkpoint for genre-train --init.

PANNs (Kong et al. 2020, github.com/qiuqiangkong/audioset_tagging_cnn) publish their AudioSet
weights under CC BY 4.0 on Zenodo (https://zenodo.org/record/3987831): Cnn14_mAP=0.431.pth
for --model panns_cnn14 and MobileNetV2_mAP=0.383.pth for --model panns_mobilenetv2. Download
one yourself (this tool never downloads) and convert it:

  export_panns_weights.py --model panns_mobilenetv2 --checkpoint MobileNetV2_mAP=0.383.pth --out mnv2.pt

A checkpoint is a torch.save'd dict {"model": state_dict, ...} with PANNs' names. The output is
a torch.save'd dict {"format": "genre-panns-weights", "version": 1, "arch": MODEL, "source":
the checkpoint's file name, "dropped": "name, ...", "renamed": "PANNs' prefix* -> ours*", "state_dict":
{name: tensor}} that genre-train reads with torch::pickle_load. Dropped are
spectrogram_extractor.* and logmel_extractor.* (melspec makes the log-mel input) and
fc_audioset.* (AudioSet's 527 classes: genre-train's fc is a new head for your classes; fc1,
PANNs' embedding layer, is kept). Every other name stays PANNs' own but one: MobileNetV2's
features.N... is blocks.N... in genre-train's model (a TorchScript module cannot have both a
submodule and a method named features, and every model there has the method features()).

Refused, with one line naming the checkpoint: a file that is not such a dict, a checkpoint of the
other architecture, and one not made for PANNs' 32 kHz, 64-band input (Cnn14_16k, Cnn14_mel128
and the like: their STFT or bn0 tensors say so).
Run with /usr/bin/python3 (Debian's python3-torch).
"""

import argparse
import os
import sys

from genre_weights_file import save_weights_file

# Tensors only the named architecture has, to tell the two apart.
MARKERS = {"panns_cnn14": "conv_block6.conv2.weight", "panns_mobilenetv2": "features.18.0.weight"}
DROPPED_PREFIXES = ("spectrogram_extractor.", "logmel_extractor.", "fc_audioset.")
RENAMED = {"panns_cnn14": {}, "panns_mobilenetv2": {"features.": "blocks."}}


def our_name(model, name):
    for theirs, ours in RENAMED[model].items():
        if name.startswith(theirs):
            return ours + name[len(theirs):]
    return name
N_FFT, MEL_BINS = 1024, 64


def fail(message):
    sys.exit(f"export_panns_weights: {message}")


def load_state(path, torch):
    try:
        checkpoint = torch.load(path, map_location="cpu")
    except Exception as e:  # missing, not a torch file, truncated
        fail(f"{path}: cannot read as a PyTorch checkpoint ({str(e).splitlines()[0] if str(e) else type(e).__name__})")
    state = checkpoint.get("model") if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not state or not all(torch.is_tensor(t) for t in state.values()):
        fail(f"{path}: not a PANNs checkpoint (no 'model' dict of named tensors)")
    if all(name.startswith("module.") for name in state):  # saved from nn.DataParallel
        state = {name[len("module."):]: t for name, t in state.items()}
    return state


def check_architecture(path, model, state):
    for arch, marker in MARKERS.items():
        if arch != model and marker in state:
            fail(f"{path}: a {arch} checkpoint, not {model} (it has {marker})")
    if MARKERS[model] not in state:
        fail(f"{path}: not a {model} checkpoint (no {MARKERS[model]})")
    stft = state.get("spectrogram_extractor.stft.conv_real.weight")
    if stft is not None and stft.shape[-1] != N_FFT:
        fail(f"{path}: made for an STFT of {stft.shape[-1]} points, not PANNs' 32 kHz input (n_fft {N_FFT}, "
             "hop 320): use Cnn14_mAP=0.431.pth or MobileNetV2_mAP=0.383.pth")
    bn0 = state.get("bn0.weight")
    if bn0 is None or bn0.shape[0] != MEL_BINS:
        bands = "no bn0" if bn0 is None else f"{bn0.shape[0]} mel bands"
        fail(f"{path}: {bands}, not PANNs' {MEL_BINS}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=sorted(MARKERS))
    parser.add_argument("--checkpoint", required=True, help="PANNs' .pth file, as downloaded")
    parser.add_argument("--out", required=True, help="file to write (atomically)")
    args = parser.parse_args()

    try:
        import torch
    except ImportError:
        fail("needs torch (Debian: python3-torch)")

    state = load_state(args.checkpoint, torch)
    check_architecture(args.checkpoint, args.model, state)
    kept = {our_name(args.model, name): t.detach().clone().contiguous()
            for name, t in state.items() if not name.startswith(DROPPED_PREFIXES)}
    dropped = sorted(name for name in state if name.startswith(DROPPED_PREFIXES))
    # "dropped" and "renamed" are strings: pickle writes a one-entry dict with SETITEM (and a
    # one-item list with APPEND), which LibTorch 1.13's unpickler does not know.
    payload = {"format": "genre-panns-weights", "version": 1, "arch": args.model,
               "source": os.path.basename(args.checkpoint), "dropped": ", ".join(dropped),
               "renamed": ", ".join(f"{a}* -> {b}*" for a, b in RENAMED[args.model].items()), "state_dict": kept}
    save_weights_file(payload, args.out)
    print(f"{args.out}: {args.model} from {os.path.basename(args.checkpoint)}, {len(kept)} tensors kept, "
          f"{len(dropped)} dropped ({', '.join(sorted({n.split('.')[0] for n in dropped}))})")


if __name__ == "__main__":
    main()
