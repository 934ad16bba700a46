#!/usr/bin/env python3
"""A PyTorch model saved as PyTorch users save it: model.state_dict() in the safetensors format, with no Hybrid
metadata. Run with Debian's python3-torch (no safetensors package is needed: safetensors_io.py writes the format as
the safetensors library's save_file does).

  torch_state_dict.py MNIST_DIR OUT_DIR

trains nn.Sequential(Linear(784, 64), ReLU, Dropout(0.2), Linear(64, 32), ReLU, Linear(32, 10)) (seeded, one
epoch on the first 10,000 training images, Adam) and writes to OUT_DIR:
  plain.safetensors    the state_dict ("0.weight" [64, 784], "0.bias" [64], "3.weight", …, "5.bias"), no metadata
  foreign.safetensors  the same tensors with another tool's metadata (an "architecture" that is not Hybrid's JSON)
  classes.json         {"classes": [...]}: the model's class for each of the 10,000 test images (eval mode)
"""
import gzip
import json
import os
import struct
import sys

import torch
from torch import nn

from safetensors_io import save_file


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    rank = raw[3]
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    data = torch.frombuffer(bytearray(raw[4 + 4 * rank:]), dtype=torch.uint8)
    return data.reshape(dims)


def main():
    data, out = sys.argv[1:3]
    torch.manual_seed(7)
    torch.set_num_threads(1)
    x = read_idx(os.path.join(data, "train-images-idx3-ubyte"))[:10000].reshape(-1, 784).float() / 255
    y = read_idx(os.path.join(data, "train-labels-idx1-ubyte"))[:10000].long()
    test = read_idx(os.path.join(data, "t10k-images-idx3-ubyte")).reshape(-1, 784).float() / 255
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = torch.optim.Adam(model.parameters(), lr=0.002)
    order = torch.randperm(len(x))
    for start in range(0, len(x), 64):
        batch = order[start:start + 64]
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        classes = model(test).argmax(dim=1).tolist()
    state = model.state_dict()
    save_file(state, os.path.join(out, "plain.safetensors"))
    save_file(state, os.path.join(out, "foreign.safetensors"),
              {"format": "pt", "architecture": "mlp-784-64-32-10", "framework": f"torch {torch.__version__}"})
    json.dump({"classes": classes}, open(os.path.join(out, "classes.json"), "w"))


if __name__ == "__main__":
    main()
