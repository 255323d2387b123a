#!/usr/bin/python3
"""Writes a damaged copy of an exported weights file, for load_init's error tests.

usage: edit_weights.py IN OUT drop NAME | shrink NAME | add NAME | arch ARCH | not-ours
"""

import sys

import torch

source, target, action = sys.argv[1], sys.argv[2], sys.argv[3]
payload = torch.load(source)
state = payload["state_dict"]
if action == "drop":
    del state[sys.argv[4]]
elif action == "shrink":  # half the first dimension
    state[sys.argv[4]] = state[sys.argv[4]][: state[sys.argv[4]].shape[0] // 2].clone()
elif action == "add":
    state[sys.argv[4]] = torch.zeros(3)
elif action == "arch":
    payload["arch"] = sys.argv[4]
elif action == "not-ours":
    payload = {"a": 1, "b": 2}
else:
    sys.exit(__doc__)
torch.save(payload, target)
