"""The safetensors format read and written with json and struct only (no safetensors package is needed), as the
safetensors library's save_file writes it: an 8-byte little-endian header length, a JSON header with the tensors
sorted by name, "__metadata__" only when there is some, padded with spaces to a multiple of 8, then the bytes.
Float32 tensors only. Imported by torch_mlp.py and torch_state_dict.py (the script's folder is on sys.path)."""
import json
import struct

import torch


def save_file(tensors, path, metadata=None):
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_file(path):
    """(tensors by name, metadata) of a safetensors file of float32 tensors."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", info["dtype"]
        start, end = info["data_offsets"]
        buf = bytearray(raw[8 + n + start:8 + n + end])
        tensors[name] = torch.frombuffer(buf, dtype=torch.float32).reshape(info["shape"]).clone()
    return tensors, metadata
