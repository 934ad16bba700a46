#!/usr/bin/env bash
# Every layer and loss on MNIST, interleaved: s/epoch of 784-128-k (batch 64, Adam) for ReLU/softmax-CE (the reference),
# Sigmoid, Tanh, LeakyReLU, Softplus and SiLU hidden layers, a Softmax layer + categorical CE, MSE, sigmoid output + BCE and
# BCE with logits (digit 0 against the rest), dropout, a user-defined Swish (from f and f′, and from graph ops) and a
# user-defined graph layer, each as a ratio to the reference; the bytes a warmed fused step of each built-in
# combination, the graph-ops Swish and the graph layer allocates; sigmoid + BCE for seeds 1-8 (5 epochs: NaN?, test
# accuracy). Writes artifacts/bench-layers.md and the docs page docs/benchmarks-layers.md.
# On a shared machine compare the ratios.
#   build/bench-layers.sh            # 4 rounds (the first dropped as warm-up)
#   ROUNDS=6 build/bench-layers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build tests/Hybrid.Benchmarks -c Release -v quiet -nologo
dotnet run -c Release --no-build --project tests/Hybrid.Benchmarks -- layers "${ROUNDS:-4}" artifacts/bench-layers.md

{
  printf -- '---\ntitle: Benchmarks: every layer and loss\ncategory: Guides\ncategoryindex: 3\nindex: 5\n---\n'
  echo "# Every layer and loss on the fused step"
  echo
  cat artifacts/bench-layers.md
} > docs/benchmarks-layers.md
echo "wrote docs/benchmarks-layers.md"
