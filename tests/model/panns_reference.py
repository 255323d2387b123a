#!/usr/bin/python3
"""PANNs' CNN14 and MobileNetV2 as eager torch.nn models with PANNs' module names and layout
(written from pytorch/models.py's architecture: no torchlibrosa here, so the spectrogram and
log-mel layers are stand-in tensors of their shapes), for testing the C++ models and
tools/export_panns_weights.py without PANNs' real weights.

  panns_reference.py make MODEL OUT [--seed S] [--mel-bins 64] [--n-fft 1024]
      writes a random checkpoint in PANNs' layout {"model": state_dict} under PANNs' names,
      every tensor random (batch-norm statistics included) so that a misplaced one shows
  panns_reference.py compare MODEL CHECKPOINT SCRIPTED
      loads the checkpoint into the reference, the C++ model saved (eval mode, after --init) from
      SCRIPTED, and checks: the C++ state_dict is the checkpoint's minus the extractor and
      fc_audioset tensors (MobileNetV2's features.N named blocks.N) plus the head fc; every
      tensor but the head equal; features(x) on our
      [N, 1, mel bands, frames] layout equal to the reference's embedding (fc1 after ReLU) of
      PANNs' [N, 1, frames, mel bands] layout.
Exit status 0 when all holds; one line per problem.
"""

import argparse
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x, pool):
        x = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        return F.avg_pool2d(x, 2) if pool else x


class Extractors(nn.Module):
    """Holds stand-ins for torchlibrosa's parameters under PANNs' names."""

    def __init__(self, n_fft, mel_bins):
        super().__init__()
        bins = n_fft // 2 + 1
        self.spectrogram_extractor = nn.Module()
        self.spectrogram_extractor.stft = nn.Module()
        self.spectrogram_extractor.stft.conv_real = nn.Conv1d(1, bins, n_fft, bias=False)
        self.spectrogram_extractor.stft.conv_imag = nn.Conv1d(1, bins, n_fft, bias=False)
        self.logmel_extractor = nn.Module()
        self.logmel_extractor.melW = nn.Parameter(torch.rand(bins, mel_bins))


class Cnn14(nn.Module):
    def __init__(self, n_fft=1024, mel_bins=64):
        super().__init__()
        ex = Extractors(n_fft, mel_bins)
        self.spectrogram_extractor, self.logmel_extractor = ex.spectrogram_extractor, ex.logmel_extractor
        self.bn0 = nn.BatchNorm2d(mel_bins)
        widths = [1, 64, 128, 256, 512, 1024, 2048]
        for i in range(6):
            setattr(self, f"conv_block{i + 1}", ConvBlock(widths[i], widths[i + 1]))
        self.fc1 = nn.Linear(2048, 2048)
        self.fc_audioset = nn.Linear(2048, 527)

    def embedding(self, x):  # x: [N, 1, frames, mel bins], the log-mel extractor's output
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        for i in range(6):
            x = getattr(self, f"conv_block{i + 1}")(x, pool=i < 5)
        x = torch.mean(x, dim=3)
        x = torch.max(x, dim=2)[0] + torch.mean(x, dim=2)
        return F.relu(self.fc1(x))


def conv_bn(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.AvgPool2d(stride), nn.BatchNorm2d(cout),
                         nn.ReLU6())


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.residual = stride == 1 and cin == cout
        layers = [] if expand == 1 else [nn.Conv2d(cin, hidden, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden),
                                         nn.ReLU6()]
        layers += [nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden, bias=False), nn.AvgPool2d(stride),
                   nn.BatchNorm2d(hidden), nn.ReLU6(), nn.Conv2d(hidden, cout, 1, 1, 0, bias=False),
                   nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, n_fft=1024, mel_bins=64):
        super().__init__()
        ex = Extractors(n_fft, mel_bins)
        self.spectrogram_extractor, self.logmel_extractor = ex.spectrogram_extractor, ex.logmel_extractor
        self.bn0 = nn.BatchNorm2d(mel_bins)
        features, cin = [conv_bn(1, 32, 2)], 32
        for t, c, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 2],
                           [6, 160, 3, 1], [6, 320, 1, 1]]:
            for i in range(n):
                features.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        features.append(nn.Sequential(nn.Conv2d(cin, 1280, 1, 1, 0, bias=False), nn.BatchNorm2d(1280), nn.ReLU6()))
        self.features = nn.Sequential(*features)
        self.fc1 = nn.Linear(1280, 1024)
        self.fc_audioset = nn.Linear(1024, 527)

    def embedding(self, x):
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        x = torch.mean(self.features(x), dim=3)
        x = torch.max(x, dim=2)[0] + torch.mean(x, dim=2)
        return F.relu(self.fc1(x))


MODELS = {"panns_cnn14": Cnn14, "panns_mobilenetv2": MobileNetV2}
DROPPED = ("spectrogram_extractor.", "logmel_extractor.", "fc_audioset.")


def renamed(model, name):
    """Our name for a PANNs tensor: MobileNetV2's features.N is blocks.N in the C++ model."""
    return "blocks." + name[len("features."):] if model == "panns_mobilenetv2" and name.startswith("features.") else name


def randomise(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            if not t.is_floating_point():
                t.fill_(int(torch.randint(1, 1000, (1,), generator=g)))
            elif name.endswith(("running_var",)) or (name.endswith("weight") and t.dim() == 1):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            elif t.dim() > 1:  # kernels and matrices: variance-keeping, so deep activations stay finite
                fan_in = t[0].numel()
                t.copy_(torch.randn(t.shape, generator=g) * (1.0 / fan_in) ** 0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=g) * 0.1)


def make(args):
    model = MODELS[args.model](args.n_fft, args.mel_bins)
    randomise(model, args.seed)
    torch.save({"model": model.state_dict(), "iteration": 0}, args.out)
    print(f"{args.out}: random {args.model} checkpoint, {len(model.state_dict())} tensors")


def compare(args):
    checkpoint = torch.load(args.checkpoint)["model"]
    reference = MODELS[args.model]()
    reference.load_state_dict(checkpoint)  # strict: the names and shapes are PANNs' layout
    reference.eval()
    ours = torch.jit.load(args.scripted).eval()
    problems = []
    mine = ours.state_dict()
    theirs = {renamed(args.model, n): t for n, t in checkpoint.items() if not n.startswith(DROPPED)}
    expected = set(theirs) | {"fc.weight", "fc.bias"}
    if set(mine) != expected:
        problems.append(f"names differ: only ours {sorted(set(mine) - expected)[:5]}, "
                        f"only PANNs' {sorted(expected - set(mine))[:5]}")
    for name in sorted(set(mine) & set(theirs)):
        if not torch.equal(mine[name], theirs[name]):
            problems.append(f"{name}: not the checkpoint's tensor")
    bands = mine["bn0.weight"].shape[0]
    x = torch.randn(2, 1, bands, args.frames) * 10 - 30  # log-mel dB
    with torch.no_grad():
        got = ours.features(x)
        want = reference.embedding(x.transpose(2, 3))  # PANNs' [N, 1, frames, mel bins]
    difference = (got - want).abs().max().item()
    if got.shape != want.shape or difference > 1e-4 * max(1.0, want.abs().max().item()):
        problems.append(f"features differ from PANNs' embedding by {difference:.3g} (shapes {tuple(got.shape)}, "
                        f"{tuple(want.shape)})")
    print(f"{args.model}: {len(mine)} tensors, features max |difference| {difference:.3g}: "
          f"{'OK' if not problems else 'FAILED: ' + '; '.join(problems)}")
    return not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("model", choices=sorted(MODELS))
    m.add_argument("out")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--mel-bins", type=int, default=64)
    m.add_argument("--n-fft", type=int, default=1024)
    c = sub.add_parser("compare")
    c.add_argument("model", choices=sorted(MODELS))
    c.add_argument("checkpoint")
    c.add_argument("scripted")
    c.add_argument("--frames", type=int, default=96)
    args = parser.parse_args()
    if args.command == "make":
        make(args)
    else:
        sys.exit(0 if compare(args) else 1)


if __name__ == "__main__":
    main()
