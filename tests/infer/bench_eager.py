"""PyTorch eager baseline for bench_inference: the same model and weights as
the C++ benchmark's bundle, run as a plain nn.Module (torchvision's ResNet, or
the small CNN written out here) under torch.inference_mode, batch 1.

usage: bench_eager.py MODEL.pt NAME THREADS; prints "ready", then for each
line N on stdin runs N windows and prints their times (ms) as a JSON list; 0 ends.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class SmallCNN(nn.Module):
    """lib/model/cnn.cpp's network, parameter for parameter."""

    def __init__(self, channels, height, width, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 5, 2)
        self.conv2 = nn.Conv2d(16, 32, 3, 2)
        self.bn = nn.BatchNorm2d(32)

        def extent(n):
            return (((n - 5) // 2 + 1) // 2 - 3) // 2 + 1

        self.fc1 = nn.Linear(32 * (extent(height) // 4) * (extent(width) // 4), 1000)
        self.fc2 = nn.Linear(1000, 500)
        self.fc3 = nn.Linear(500, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 4)
        x = F.dropout(self.bn(x), 0.6, self.training)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        x = F.relu(self.fc2(F.dropout(x, 0.2, self.training)))
        return self.fc3(F.dropout(x, 0.2, self.training))


def main():
    path, name, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    scripted = torch.jit.load(path)
    info = json.loads(scripted.bundle_json)
    c, h, w = info["input_shape"]
    classes = len(info["classes"]["fine"])
    if name == "cnn":
        model = SmallCNN(c, h, w, classes)
    else:
        model = getattr(torchvision.models, name)(num_classes=classes)
    missing, unexpected = model.load_state_dict(dict(scripted.state_dict()), strict=False)
    if missing:
        sys.exit(f"bench_eager.py: {name}: parameters missing from the bundle: {missing[:5]}")
    model.eval()
    x = torch.rand(1, c, h, w)
    with torch.inference_mode():
        if not torch.allclose(torch.softmax(model(x), 1), torch.softmax(scripted(x), 1), atol=1e-4):
            sys.exit(f"bench_eager.py: {name}: eager and TorchScript outputs differ")
        for _ in range(5):
            model(x)
        print("ready", flush=True)
        # Chunks on request, so the C++ side can interleave them with its own.
        for line in sys.stdin:
            n = int(line)
            if n <= 0:
                break
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                torch.softmax(model(x), 1)
                times.append((time.perf_counter() - t0) * 1e3)
            print(json.dumps(times), flush=True)


if __name__ == "__main__":
    main()
