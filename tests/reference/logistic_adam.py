#!/usr/bin/env python3
"""Reference trajectory for Hybrid's "optimizers for any graph" test, from PyTorch itself.

Run with Debian's interpreter: /usr/bin/python3 tests/reference/logistic_adam.py > tests/reference/logistic_adam.json
The C# test (tests/Hybrid.Tests/ParameterOptimizerTests.cs) builds the same logistic regression from Variables and
steps it with Optimizer.Adam(0.1).For(new[] { w, b }) and an exponential schedule stepped every 5 steps, and compares
every step's loss and parameters with these.

Problem: 12 points in the plane (fixed below), labels 0/1; p = sigmoid(X w + b); loss = mean BCE with logits.
w starts at [[0.4], [-0.3]], b at [[0.1]]. 20 Adam steps (lr 0.1, weight decay 0.01), float64; the learning rate is
multiplied by 0.5 after steps 5, 10 and 15 (torch.optim.lr_scheduler.ExponentialLR(gamma=0.5) stepped every 5 steps).
"""
import json

import torch

torch.set_default_dtype(torch.float64)
X = torch.tensor([
    [1.0, 2.0], [-1.5, 0.5], [0.3, -2.0], [2.0, 1.0], [-0.7, -1.2], [1.1, -0.4],
    [-2.2, 1.7], [0.9, 0.8], [-0.3, 2.4], [1.6, -1.9], [-1.1, -0.2], [0.2, 0.6],
])
y = torch.tensor([[1.0], [0.0], [0.0], [1.0], [0.0], [1.0], [0.0], [1.0], [1.0], [0.0], [0.0], [1.0]])
w = torch.tensor([[0.4], [-0.3]], requires_grad=True)
b = torch.tensor([[0.1]], requires_grad=True)
opt = torch.optim.Adam([w, b], lr=0.1, weight_decay=0.01)
schedule = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
steps = []
for step in range(1, 21):
    opt.zero_grad()
    loss = torch.nn.functional.binary_cross_entropy_with_logits(X @ w + b, y)
    loss.backward()
    opt.step()
    if step % 5 == 0:
        schedule.step()
    steps.append({
        "loss": repr(float(loss)),
        "w": [repr(float(v)) for v in w.detach().flatten()],
        "b": repr(float(b.detach()[0, 0])),
    })
print(json.dumps({"torch": torch.__version__, "x": X.tolist(), "y": y.flatten().tolist(), "steps": steps}, indent=1))
