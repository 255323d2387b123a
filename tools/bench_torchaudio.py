#!/usr/bin/python3
"""Prints the best time (seconds) torchaudio takes for a log-mel spectrogram of
30 s of 22050 Hz audio with melspec's defaults (librosa's), on one thread.
Used by bench-melspec as a baseline measured in the same run."""
import math
import time

import torch
import torchaudio

torch.set_num_threads(1)
rate, seconds = 22050, 30.0
n = int(rate * seconds)
t = torch.arange(n, dtype=torch.float32)
y = 0.3 * torch.sin(2 * math.pi * 440.0 * t / rate) + 0.1 * torch.sin(0.37 * t * t / rate)
mel = torchaudio.transforms.MelSpectrogram(
    sample_rate=rate, n_fft=2048, hop_length=512, win_length=2048, window_fn=torch.hann_window,
    center=True, pad_mode="constant", power=2.0, n_mels=128, f_min=0.0, f_max=rate / 2,
    norm="slaney", mel_scale="slaney")
to_db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=None)
with torch.inference_mode():
    to_db(mel(y))  # warm-up
    best = min(
        (lambda t0: (to_db(mel(y)), time.perf_counter() - t0)[1])(time.perf_counter())
        for _ in range(15))
print(f"{best:.6f}")
