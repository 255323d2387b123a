#!/usr/bin/python3
"""Checks TorchScript models built in C++ and --init'ed from an exported weights file against
torchvision's own model with the same weights: the same state_dict names and shapes, and the
same outputs on the same input (eval mode). A 1-channel case is compared with torchvision fed
the grey plane repeated 3 times; a ViT case at another size with torchvision's model at that
size, its position embedding interpolated by torchvision's interpolate_embeddings.

usage: compare_torchvision.py --weights FILE --case SCRIPTED,CHANNELS,HEIGHT,WIDTH [--case ...]
Exit status 0 when every case matches; prints one line per case.
"""

import argparse
import sys

import torch
import torchvision
from torchvision.models.vision_transformer import interpolate_embeddings


def torchvision_model(arch, state, size):
    if arch.startswith("resnet"):
        model = torchvision.models.get_model(arch)
    else:
        layers = {"vit_b_16": (12, 12, 768, 3072), "vit_ti16": (12, 3, 192, 768)}[arch]
        model = torchvision.models.VisionTransformer(image_size=size, patch_size=16, num_layers=layers[0],
                                                     num_heads=layers[1], hidden_dim=layers[2], mlp_dim=layers[3])
        if size != 224:
            state = interpolate_embeddings(size, 16, state)
    model.load_state_dict(state)
    return model.eval()


def check_case(payload, scripted_path, channels, height, width):
    arch, state = payload["arch"], dict(payload["state_dict"])
    reference = torchvision_model(arch, state, height)
    scripted = torch.jit.load(scripted_path).eval()
    problems = []

    ours = scripted.state_dict()
    theirs = reference.state_dict()
    if set(ours) != set(theirs):
        problems.append(f"names differ: only ours {sorted(set(ours) - set(theirs))[:5]}, "
                        f"only torchvision's {sorted(set(theirs) - set(ours))[:5]}")
    stem = "conv1.weight" if arch.startswith("resnet") else "conv_proj.weight"
    for name in set(ours) & set(theirs):
        if ours[name].shape == theirs[name].shape:
            continue
        if name == stem and ours[name].shape[1] == 1:
            if not torch.allclose(ours[name], theirs[name].sum(1, keepdim=True), atol=1e-6):
                problems.append(f"{name}: not the sum of the RGB kernels")
        else:
            problems.append(f"{name}: {tuple(ours[name].shape)} vs torchvision's {tuple(theirs[name].shape)}")

    torch.manual_seed(0)
    x = torch.randn(2, channels, height, width)
    with torch.no_grad():
        got = scripted(x)
        heads = scripted.forward_heads(x)
        expected = reference(x.expand(-1, 3, -1, -1) if channels == 1 else x)
    difference = (got - expected).abs().max().item()
    scale = max(1.0, expected.abs().max().item())
    if got.shape != expected.shape or difference > 1e-4 * scale:
        problems.append(f"outputs differ: max |difference| {difference:.3g} (output scale {scale:.3g})")
    if len(heads) != 1 or not torch.equal(heads[0], got):
        problems.append("forward_heads is not [forward]")
    print(f"{scripted_path}: {arch} {channels}x{height}x{width}: max |difference| {difference:.3g}, "
          f"scale {scale:.3g}: {'OK' if not problems else 'FAILED: ' + '; '.join(problems)}")
    return not problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", required=True)
    parser.add_argument("--case", action="append", required=True)
    args = parser.parse_args()
    payload = torch.load(args.weights)
    ok = True
    for case in args.case:
        path, channels, height, width = case.split(",")
        ok &= check_case(payload, path, int(channels), int(height), int(width))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
