#!/usr/bin/env python3
"""PyTorch side of Hybrid's ONNX import test (run with Debian's python3-torch; no onnx package needed).

  torch_onnx.py OUT TRAIN_IMAGES TRAIN_LABELS TEST_IMAGES

The image files are raw uint8 pixels, 784 per image (MNIST), the labels raw uint8. Two seeded MLPs are trained for
two epochs on the training images (Adam, lr 0.003, batch 64), put in eval mode and exported with torch.onnx.export, each with a
dynamic batch dimension, in the two shapes ONNX exporters write:

  OUT/sequential.onnx  nn.Sequential(Flatten, Linear, ReLU, Dropout, Linear, Sigmoid, Linear) on [N, 1, 28, 28],
                       opset 17: Flatten, Gemm (transB=1), Relu, Gemm, Sigmoid, Gemm; dropout left out in eval mode
  OUT/matmul.onnx      x.reshape(-1, 784) @ W + b by hand, LeakyReLU(0.1), Tanh, Softplus, a Linear and a Softmax on
                       [N, 784], opset 11 (Softmax before its opset-13 meaning): Reshape, MatMul + Add, ..., Gemm, Softmax

For each, the test images' probabilities (softmax of the logits for the first; the model's own output for the second)
are written as raw float32 to OUT/NAME.probabilities and the predicted classes as raw int64 to OUT/NAME.classes.
"""
import sys

import torch
from torch import nn


class HandWritten(nn.Module):
    """Linear layers written as matmul + add, which torch.onnx.export writes as MatMul and Add nodes."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(784, 48) * 0.05)
        self.b1 = nn.Parameter(torch.zeros(48))
        self.w2 = nn.Parameter(torch.randn(48, 32) * 0.15)
        self.b2 = nn.Parameter(torch.zeros(32))
        self.w3 = nn.Parameter(torch.randn(32, 24) * 0.2)
        self.b3 = nn.Parameter(torch.zeros(24))
        self.out = nn.Linear(24, 10)

    def forward(self, x):
        x = x.reshape(-1, 784)
        x = nn.functional.leaky_relu(x @ self.w1 + self.b1, 0.1)
        x = torch.tanh(x @ self.w2 + self.b2)
        x = nn.functional.softplus(x @ self.w3 + self.b3)
        return torch.softmax(self.out(x), dim=1)


def read_images(path):
    raw = bytearray(open(path, "rb").read())
    return torch.frombuffer(raw, dtype=torch.uint8).reshape(-1, 784).to(torch.float32) / 255


def train(model, images, labels, shape, probabilities):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(2):
        order = torch.randperm(images.shape[0], generator=generator)
        for start in range(0, images.shape[0], 64):
            batch = order[start:start + 64]
            out = model(images[batch].reshape(shape))
            loss = nn.functional.nll_loss(torch.log(out), labels[batch]) if probabilities else nn.functional.cross_entropy(out, labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()


def export(model, name, out, test, shape, opset, probabilities):
    path = f"{out}/{name}.onnx"
    example = test[:2].reshape(shape)
    torch.onnx.export(model, example, path, input_names=["pixels"], output_names=["scores"], opset_version=opset,
                      dynamic_axes={"pixels": {0: "batch"}, "scores": {0: "batch"}})
    with torch.no_grad():
        scores = model(test.reshape(shape))
        p = scores if probabilities else torch.softmax(scores, dim=1)
    open(f"{out}/{name}.probabilities", "wb").write(p.contiguous().numpy().tobytes())
    open(f"{out}/{name}.classes", "wb").write(p.argmax(dim=1).to(torch.int64).numpy().tobytes())


def main():
    out, train_images, train_labels, test_images = sys.argv[1:5]
    images = read_images(train_images)
    labels = torch.frombuffer(bytearray(open(train_labels, "rb").read()), dtype=torch.uint8).to(torch.int64)
    test = read_images(test_images)

    torch.manual_seed(0)
    sequential = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 32),
                               nn.Sigmoid(), nn.Linear(32, 10))
    train(sequential, images, labels, (-1, 1, 28, 28), probabilities=False)
    export(sequential, "sequential", out, test, (-1, 1, 28, 28), 17, probabilities=False)

    torch.manual_seed(1)
    hand = HandWritten()
    train(hand, images, labels, (-1, 784), probabilities=True)
    export(hand, "matmul", out, test, (-1, 784), 11, probabilities=True)


if __name__ == "__main__":
    main()
