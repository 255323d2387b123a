#!/usr/bin/python3
"""Export torchvision weights for genre-train --init.

Writes a torch.save'd dict {"format": "genre-torchvision-weights", "version": 1,
"arch": NAME, "weights": DEFAULT|none, "image_size": 224, "state_dict": {name: tensor}}
that the C++ side reads with torch::pickle_load; names are torchvision's state_dict names.

  --weights DEFAULT   torchvision's ImageNet weights (downloaded once into torch's cache;
                      needs network access). Not available for vit_ti16.
  --weights none      random weights, for tests: torchvision's own init, seeded with
                      --random-seed, then every tensor that init leaves constant (norm weights
                      and biases, running statistics, zero biases, the class token, ViT's
                      zeroed head) drawn at random too, so that a test comparing outputs sees
                      every tensor in its place.

ViT-Ti/16 is not in torchvision's model zoo: it is torchvision's VisionTransformer with
image_size 224, patch 16, 12 layers, 3 heads, hidden 192, MLP 768 (same names as vit_b_16).
Run with /usr/bin/python3 (Debian's python3-torch and python3-torchvision).
"""

import argparse
import os
import sys

from genre_weights_file import save_weights_file

MODELS = ["resnet18", "resnet34", "resnet50", "resnet101", "vit_b_16", "vit_ti16"]


def build(arch, weights):
    import torchvision

    if arch == "vit_ti16":
        if weights != "none":
            raise ValueError("torchvision has no ImageNet weights for vit_ti16; use --weights none")
        return torchvision.models.VisionTransformer(
            image_size=224, patch_size=16, num_layers=12, num_heads=3, hidden_dim=192, mlp_dim=768)
    return torchvision.models.get_model(arch, weights=None if weights == "none" else weights)


def randomise_constants(model, generator):
    """Gives every tensor torchvision initialises to a constant a random value of a sane scale."""
    import torch

    with torch.no_grad():
        for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
            if not tensor.is_floating_point():
                continue
            leaf = name.rsplit(".", 1)[-1]
            if leaf in ("running_var",) or (leaf == "weight" and tensor.dim() == 1):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)  # norm scales, variances
            elif leaf == "running_mean" or leaf.endswith("bias") or name == "class_token":
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.1)
            elif name == "heads.head.weight":
                tensor.copy_(torch.randn(tensor.shape, generator=generator) / tensor.shape[1] ** 0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=MODELS)
    parser.add_argument("--out", required=True, help="file to write (atomically)")
    parser.add_argument("--weights", default="DEFAULT", help="DEFAULT (ImageNet) or none (random, for tests)")
    parser.add_argument("--random-seed", type=int, default=0, help="seed for --weights none")
    args = parser.parse_args()

    try:
        import torch
    except ImportError:
        sys.exit("export_torchvision_weights: needs torch and torchvision (Debian: python3-torch python3-torchvision)")

    try:
        torch.manual_seed(args.random_seed)
        model = build(args.model, args.weights)
        if args.weights == "none":
            randomise_constants(model, torch.Generator().manual_seed(args.random_seed + 1))
    except Exception as e:  # unknown weights name, no network, ...
        sys.exit(f"export_torchvision_weights: {args.model} weights {args.weights}: {e}")

    state = {name: tensor.detach().clone().contiguous() for name, tensor in model.state_dict().items()}
    payload = {"format": "genre-torchvision-weights", "version": 1, "arch": args.model,
               "weights": args.weights, "image_size": 224, "state_dict": state}
    save_weights_file(payload, args.out)
    print(f"{args.out}: {args.model} ({args.weights}), {len(state)} tensors")


if __name__ == "__main__":
    main()
