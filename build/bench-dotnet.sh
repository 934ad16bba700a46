#!/usr/bin/env bash
# BenchmarkDotNet: each provider on the products of a 784-128-10 step and on a whole fused training step
# (784-128-10 and 784-512-256-10, batch 64 and 128), with allocations; results in artifacts/benchmarks (Markdown tables there).
#   build/bench-dotnet.sh             # the default job
#   build/bench-dotnet.sh --job short # quicker, less precise
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet run -c Release --project tests/Hybrid.Benchmarks -- --filter '*' --artifacts artifacts/benchmarks "$@"

# The tables the docs show.
{
  # Front matter: the page's place in the docs site's menu.
  printf -- '---\ntitle: Benchmarks: BenchmarkDotNet\ncategory: Guides\ncategoryindex: 3\nindex: 4\n---\n'
  echo "# BenchmarkDotNet"
  echo
  echo "Written by \`build/bench-dotnet.sh $*\` on $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores."
  echo "\`MlpStepProducts\`: the five matrix products of one 784-128-10 training step; \`Forward784x128\`: the first"
  echo "layer's forward product through the provider, beside \`cblas_sgemm\` called directly; \`Step\`: a whole fused"
  echo "training step (forward, softmax cross-entropy, backward, Adam) of 784-\`Hidden\`-10 on dense inputs or on sparse"
  echo "ones (four in five zero, like MNIST). \`Allocated\` is per call, after warm-up."
  for f in artifacts/benchmarks/results/*-report-github.md; do
    echo
    echo "## $(basename "$f" -report-github.md | sed 's/^Hybrid.Benchmarks.//')"
    echo
    sed -n '/^|/p' "$f" | sed 's/\*\*//g'
  done
} > docs/benchmarks-dotnet.md
echo "wrote docs/benchmarks-dotnet.md"
