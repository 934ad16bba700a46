#!/usr/bin/env python3
"""Reference values for Hybrid's optimizer and schedule tests, from PyTorch itself.

Run with Debian's interpreter: /usr/bin/python3 tests/reference/optim_reference.py
The F# tests (tests/Hybrid.Core.Tests/OptimTests.fs, ScheduleTests.fs) hold these numbers.

Problem: p starts at [1.0, -2.0, 0.5]; loss = sum(0.5 * c * (p - a)^2) with c = [1, 3, 0.5],
a = [0.2, 0.1, -0.4], so the gradient is c * (p - a). Three steps, float64.
"""
import torch

torch.set_default_dtype(torch.float64)
c = torch.tensor([1.0, 3.0, 0.5])
a = torch.tensor([0.2, 0.1, -0.4])


def run(make, steps=3, clip=None):
    p = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = make([p])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss = (0.5 * c * (p - a) ** 2).sum()
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([p], clip)
        opt.step()
        out.append([repr(float(x)) for x in p.detach()])
    return out


cases = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "sgd_wd": lambda ps: torch.optim.SGD(ps, lr=0.1, weight_decay=0.05),
    "momentum": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    "momentum_dampening": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5),
    "nesterov": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=0.01),
    "rmsprop_momentum_wd": lambda ps: torch.optim.RMSprop(ps, lr=0.01, momentum=0.5, weight_decay=0.1),
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.1),
    "adam_wd": lambda ps: torch.optim.Adam(ps, lr=0.1, weight_decay=0.1),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.1, weight_decay=0.1),
}
for name, make in cases.items():
    print(name, run(make))
print("sgd_clip1", run(lambda ps: torch.optim.SGD(ps, lr=0.1), clip=1.0))


def lrs(make, epochs=8, metrics=None):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make(opt)
    out = []
    for e in range(epochs):
        out.append(repr(opt.param_groups[0]["lr"]))
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[e])
    return out


S = torch.optim.lr_scheduler
print("step", lrs(lambda o: S.StepLR(o, step_size=2, gamma=0.5)))
print("exponential", lrs(lambda o: S.ExponentialLR(o, gamma=0.9)))
print("cosine", lrs(lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01), epochs=5))
print("warmup", lrs(lambda o: S.LinearLR(o, start_factor=0.1, total_iters=3)))
print("plateau", lrs(lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=1),
                     metrics=[1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7]))
