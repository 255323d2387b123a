#!/usr/bin/python3
"""Loads TorchScript models saved by C++ (DIR/NAME.pt, in eval mode) with torch.jit.load and
checks forward and forward_heads against the outputs C++ computed on the same input
(DIR/NAME.expected.pt, written with torch::pickle_save: {"input", "forward", "heads"}); then
trains one step's backward in Python to check train() reaches every submodule.

usage: check_saved_modules.py DIR NAME [NAME ...]     exit status 0 when all match
"""

import os
import sys

import torch


def check(directory, name):
    model = torch.jit.load(os.path.join(directory, name + ".pt"))
    expected = torch.load(os.path.join(directory, name + ".expected.pt"))
    problems = []
    if model.training:
        problems.append("saved in eval mode but loads training")
    x = expected["input"]
    with torch.no_grad():
        got = model(x)
        heads = model.forward_heads(x)
    difference = (got - expected["forward"]).abs().max().item()
    if difference > 1e-5 * max(1.0, expected["forward"].abs().max().item()):
        problems.append(f"forward differs from C++ by {difference:.3g}")
    if len(heads) != len(expected["heads"]):
        problems.append(f"{len(heads)} heads, C++ had {len(expected['heads'])}")
    for i, (a, b) in enumerate(zip(heads, expected["heads"])):
        if a.shape != b.shape or not torch.allclose(a, b, atol=1e-5, rtol=1e-5):
            problems.append(f"head {i} differs from C++")
    model.train()
    if not all(m.training for m in model.modules()):
        problems.append("train() does not reach every submodule")
    sum(logits.sum() for logits in model.forward_heads(x)).backward()
    without_grad = [n for n, p in model.named_parameters() if p.grad is None]
    if without_grad:
        problems.append(f"no gradient for {without_grad[:3]}")
    print(f"{name}: max |difference| {difference:.3g}: {'OK' if not problems else 'FAILED: ' + '; '.join(problems)}")
    return not problems


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    results = [check(sys.argv[1], name) for name in sys.argv[2:]]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
