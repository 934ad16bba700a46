#!/usr/bin/python3
"""The machine's limit for each case of the race, and Hybrid's distance from it (build/bench.sh runs this).

  /usr/bin/python3 build/roofline.py RACE.jsonl MNIST_DIR [--threads 2] [--hybrid-cli Hybrid.Cli.dll]

Measures, on this machine and now:
  peak       float32 GEMM GFLOP/s on 2048x2048 matrices with the race's thread count, the larger of PyTorch's torch.mm
             (best of 5) and, given --hybrid-cli, Hybrid's own product (`hybrid bench gemm`, its fastest of 5 calls of
             the Simd provider's 512-bit and 256-bit paths): the best measured, both printed
  bandwidth  memory GB/s of a NumPy triad c = a + b (bytes read and written over seconds, best of 5), once on arrays
             of 128 MiB (main memory) and once per case on arrays of as many floats as the case has parameters: the
             bandwidth at the size of Adam's working set, which a small network keeps in cache
and, from the MNIST training images, the fraction of input pixels that are not zero (the first layer's products
only need those: Hybrid takes that sparse path, a dense library does not).

For every case (784-h1-...-10, batch B) of RACE.jsonl, per epoch of N = 60,000 samples:
  flops      forward 2N sum(in*out) + weight gradients 2N sum(in*out) + input gradients 2N sum over layers 2.. of
             in*out, with the first layer's two products counted at the input density
  bytes      Adam per step reads p, g, m, v and writes p, m, v (7 x 4 bytes per parameter) plus the weight gradient
             the step writes (4 bytes), and the images are read twice (forward, weight gradient)
  limit      max(flops / peak, bytes / bandwidth): an epoch cannot be faster than either
and Hybrid's median epoch from the race over that limit. Prints a Markdown table.
"""
import argparse
import gzip
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict

import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument("race")
p.add_argument("mnist")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--hybrid-cli", help="Hybrid.Cli.dll, to measure Hybrid's own 2048³ product too")
args = p.parse_args()


def best(fn, repeats=5):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


torch.set_num_threads(args.threads)
n = 2048
a = torch.randn(n, n)
b = torch.randn(n, n)
c = torch.empty(n, n)
torch_peak = 2 * n ** 3 / best(lambda: torch.mm(a, b, out=c)) / 1e9


def hybrid_gemm():
    """Hybrid's fastest 2048³ float32 product in GFLOP/s (its Simd paths, not OpenBLAS), or None without the CLI."""
    if not args.hybrid_cli:
        return None
    out = subprocess.run(["dotnet", args.hybrid_cli, "bench", "gemm", "--shape", f"{n}x{n}x{n}", "--threads",
                          str(args.threads), "--rounds", "5", "--json"], check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return max(r[k] for k in ("simd512_gflops_best", "simd256_gflops_best") if k in r)


hybrid_peak = hybrid_gemm()
peak = max(torch_peak, hybrid_peak or 0.0)
peak_source = "Hybrid's bench gemm" if hybrid_peak and hybrid_peak > torch_peak else "torch.mm"

def triad(size):
    """GB/s of c = a + b on float32 arrays of size elements, repeated to at least 64 MiB a timing."""
    x = np.ones(size, dtype=np.float32)
    y = np.ones(size, dtype=np.float32)
    z = np.empty(size, dtype=np.float32)
    reps = max(1, (64 * 1024 * 1024) // (12 * size))

    def run():
        for _ in range(reps):
            np.add(x, y, out=z)

    return 3 * 4 * size * reps / best(run) / 1e9


bandwidth = triad(128 * 1024 * 1024 // 4)

path = os.path.join(args.mnist, "train-images-idx3-ubyte")
with (open(path, "rb") if os.path.exists(path) else gzip.open(path + ".gz", "rb")) as f:
    images = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
density = float(np.count_nonzero(images)) / images.size
samples = 60000

runs = defaultdict(list)
for line in open(args.race):
    if line.startswith("{"):
        r = json.loads(line)
        if r["peer"] == "hybrid":
            runs[(r["arch"], r["batch"])].append(r["epoch_s_median"])
if not runs:
    sys.exit(f"roofline.py: {args.race} has no Hybrid run")

peaks = f"torch.mm {torch_peak:.0f}" + (f", Hybrid's own product {hybrid_peak:.0f}" if hybrid_peak else "")
print(f"Measured now: float32 GEMM peak {peak:.0f} GFLOP/s (2048³, {args.threads} threads, the best of {peaks}: "
      f"{peak_source}), main-memory "
      f"bandwidth {bandwidth:.1f} GB/s (NumPy triad on 128 MiB arrays), MNIST input density {density:.3f} (nonzero "
      "pixels). Each case's bandwidth is the triad's at the size of its parameters.")
print()
print("| arch | batch | GFLOP/epoch | MB/epoch | GB/s at its size | compute limit s | memory limit s | limit s | "
      "Hybrid s/epoch | Hybrid / limit |")
print("|---|---|---|---|---|---|---|---|---|---|")
for arch, batch in sorted(runs, key=lambda k: (len(k[0]), k[0], k[1])):
    sizes = [int(s) for s in arch.split("-")]
    layers = list(zip(sizes, sizes[1:]))
    steps = math.ceil(samples / batch)
    params = sum(i * o + o for i, o in layers)
    flops = 0.0
    for index, (i, o) in enumerate(layers):
        work = 2.0 * samples * i * o
        flops += 2 * work * (density if index == 0 else 1.0)  # forward and weight gradient
        if index > 0:
            flops += work  # input gradient (the first layer needs none)
    moved = steps * params * 4 * 8 + 2 * samples * sizes[0] * 4
    near = triad(params)
    compute, memory = flops / (peak * 1e9), moved / (near * 1e9)
    limit = max(compute, memory)
    mine = statistics.median(runs[(arch, batch)])
    print(f"| {arch} | {batch} | {flops / 1e9:.1f} | {moved / 1e6:.0f} | {near:.0f} | {compute:.3f} | {memory:.3f} | "
          f"{limit:.3f} | "
          f"{mine:.3f} | {mine / limit:.2f} |")
