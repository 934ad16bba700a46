#!/usr/bin/env python3
"""PyTorch side of Hybrid's model interchange test (run with Debian's python3-torch).

  torch_mlp.py write MODEL INPUTS OUT   build a seeded nn.Sequential MLP, save it as safetensors
                                        (PyTorch names and layouts, architecture in the metadata),
                                        and write its softmax outputs for INPUTS to OUT (JSON)
  torch_mlp.py read MODEL INPUTS OUT    load a safetensors model (or checkpoint) written by Hybrid into an
                                        nn.Sequential and write its softmax outputs for INPUTS

INPUTS is JSON: {"rows": [[...784 floats...], ...]}. OUT is JSON: {"probabilities": [[...]], "classes": [...]}.
The safetensors format is read and written by safetensors_io.py (json and struct only), so no package beyond torch
is needed.
"""
import json
import sys

import torch
from torch import nn

from safetensors_io import load_file, save_file


def sequential(architecture):
    modules = []
    for layer in architecture["layers"]:
        kind = layer["type"]
        if kind == "Linear":
            modules.append(nn.Linear(layer["in_features"], layer["out_features"]))
        elif kind == "Dropout":
            modules.append(nn.Dropout(layer["p"]))
        elif kind == "LeakyReLU":
            modules.append(nn.LeakyReLU(layer["negative_slope"]))
        elif kind == "Softmax":
            modules.append(nn.Softmax(dim=1))
        else:
            modules.append(getattr(nn, kind)())
    return nn.Sequential(*modules)


def architecture_of(model, inputs):
    layers = []
    for m in model:
        if isinstance(m, nn.Linear):
            layers.append({"type": "Linear", "in_features": m.in_features, "out_features": m.out_features})
        elif isinstance(m, nn.Dropout):
            layers.append({"type": "Dropout", "p": m.p})
        else:
            layers.append({"type": type(m).__name__})
    return {"inputs": inputs, "layers": layers}


def predict(model, inputs_path, out_path):
    rows = torch.tensor(json.load(open(inputs_path))["rows"], dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        p = torch.softmax(model(rows), dim=1)
    json.dump({"probabilities": p.tolist(), "classes": p.argmax(dim=1).tolist()}, open(out_path, "w"))


def main():
    mode, model_path, inputs_path, out_path = sys.argv[1:5]
    if mode == "write":
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 10))
        metadata = {"format": "pt", "architecture": json.dumps(architecture_of(model, 784)), "loss": "softmax_cross_entropy"}
        save_file(model.state_dict(), model_path, metadata)
        predict(model, inputs_path, out_path)
    elif mode == "read":
        tensors, metadata = load_file(model_path)
        model = sequential(json.loads(metadata["architecture"]))
        # A Hybrid checkpoint adds its optimizer's buffers as "optimizer.<parameter>.<buffer>": not the model's.
        model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("optimizer.")})
        predict(model, inputs_path, out_path)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
