#!/usr/bin/env bash
# The speed race: Hybrid against the PyTorch, NumPy and TorchSharp peers of ../shared/bench, interleaved in one run
# (run_matrix.sh), on the same MNIST files. Writes artifacts/bench/matrix-*.jsonl and .log, and the table
# the docs show, docs/benchmarks.md. Knobs: ROUNDS, EPOCHS, ACC_RUNS, SEED (see ../shared/bench/README.md),
# PROVIDER (default best), THREADS (default 2), CASES (default the five below), TORCHSHARP=0 (leave the TorchSharp peer
# out). Then build/roofline.py measures the machine's GEMM peak (torch.mm's or Hybrid's own 2048³ product, the faster)
# and memory bandwidth and writes each case's limit and Hybrid's distance from it.
#
# Cases ("hidden batch" pairs): 784-128-10 at batch 32 and 64, 784-512-256-10 at 128, 784-1024-1024-10 at 256,
# 784-2048-10 at 512. Peers: PyTorch (Debian's 1.13, three thread set-ups), NumPy (1 and 2 threads) and TorchSharp
# (../shared/bench/torchsharp: TorchSharp-cpu 0.107 on libtorch 2.10 with MKL, 1 and 2 threads; its first run
# restores about 1.2 GB of packages).
#
# One change to the harness: round r trains with seed SEED + r (the harness gives every round the same seed).
# Timing is unchanged, but a test accuracy from one seed swings by 0.1-0.3 points between seeds, for every
# peer, so one seed cannot tell whether two implementations of the same recipe learn equally well; the table
# compares each peer's mean accuracy over the rounds' seeds.
#
#   build/bench.sh                 # ~10 minutes on 2 cores
#   ROUNDS=1 ACC_RUNS=0 build/bench.sh
#   FROM=artifacts/bench/matrix-….jsonl build/bench.sh   # rewrite the tables from an earlier run's results
#   OTHER=1 build/bench.sh         # leave the page's race as it is: record this one in its section "Other machines",
#                                  #   one block per processor kind (model name, family, model), in place of that
#                                  #   kind's earlier block
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Checked before the race: OTHER=1 adds to a page a full run wrote.
if [ "${OTHER:-0}" = 1 ] && [ ! -f docs/benchmarks.md ]; then
  echo "build/bench.sh: OTHER=1 records into docs/benchmarks.md, and there is none: run build/bench.sh first" >&2
  exit 2
fi

# Without the OpenMP build of OpenBLAS the harness skips torch-2t-openmpblas (often PyTorch's fastest variant) with a
# note, and the table would compare Hybrid with slower peers only (FROM= rewrites tables and needs no peer).
omp_blas="${OMP_BLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-openmp}"
[ -n "${FROM:-}" ] || [ -f "$omp_blas/libopenblas.so.0" ] || {
  echo "build/bench.sh: the peer torch-2t-openmpblas needs the OpenMP build of OpenBLAS in $omp_blas (apt-get install -y libopenblas0-openmp); without it the race would leave that peer out" >&2
  exit 2
}
. build/peers.sh build/bench.sh run_matrix.sh

# The harness writes beside itself, and ../shared is read-only: run a copy.
work=artifacts/bench
mkdir -p "$work/harness"
cp "$peers"/*.py "$peers"/*.sh "$work/harness/"
harness="$work/harness/run_matrix.sh"
sed -i -e 's/--seed "\$SEED"/--seed "${RUN_SEED:-$SEED}"/' \
       -e 's/^for ((r = 0; r < ROUNDS; r++)); do$/&\n  RUN_SEED=$((SEED + r))/' \
       -e 's/^if \[\[ "\$ACC_RUNS" == 1 \]\]; then$/RUN_SEED=$SEED\n&/' "$harness"
[ "$(grep -c 'RUN_SEED' "$harness")" = 3 ] || { echo "build/bench.sh: could not give the harness's rounds their seeds (has run_matrix.sh changed?)" >&2; exit 2; }
export CASES="${CASES:-128 32;128 64;512,256 128;1024,1024 256;2048 512}"
ts_cmd="$(torchsharp_peer "$work/harness")"
if [ -n "${FROM:-}" ]; then
  # Only the tables again, from an earlier run's results.
  out="$(realpath "$FROM")"
  written="$(date -u -r "$out" +'%Y-%m-%d %H:%M UTC')"
else
  out="$PWD/$work/matrix-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
  DATA="$data" OUT="$out" TS_CMD="$ts_cmd" \
    EXTRA_CMD="dotnet $cli bench mlp --provider ${PROVIDER:-best}" EXTRA_TAG=hybrid EXTRA_THREADS="${THREADS:-2}" \
    bash "$harness"
  written="$(date -u +'%Y-%m-%d %H:%M UTC')"
fi

table="$(/usr/bin/python3 "$work/harness/summarize.py" "$out")"
ratios="$(/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith("{"):
        r = json.loads(line)
        runs[(r["arch"], r["batch"], r["epochs"], r["peer"], r.get("tag", ""))].append(r)
peers = sorted({k[3] for k in runs} - {"hybrid"})

def accuracy(rs):
    """Mean over seeds of the final test accuracy (a peer's variants share a seed's weights and order)."""
    by_seed = defaultdict(list)
    for x in rs:
        by_seed[x["seed"]].append(x["test_acc"])
    return statistics.mean(statistics.mean(v) for v in by_seed.values()), sorted(by_seed)

name = {"hybrid": "Hybrid", "numpy": "NumPy", "pytorch": "PyTorch", "torchsharp": "TorchSharp"}
print("| arch | batch | epochs | Hybrid s/epoch | fastest peer | its s/epoch | ratio | seeds | "
      + " | ".join(f"accuracy {name.get(p, p)}" for p in ["hybrid", *peers]) + " | largest gap (points) |")
print("|---|---|---|---|---|---|---|---|" + "---|" * (len(peers) + 2))
for (arch, batch, epochs) in sorted({k[:3] for k in runs}, key=lambda k: (k[2], k[0], k[1])):
    med = lambda rs: statistics.median(x["epoch_s_median"] for x in rs)
    case = {k: v for k, v in runs.items() if k[:3] == (arch, batch, epochs)}
    ours = [x for k, v in case.items() if k[3] == "hybrid" for x in v]
    timed = [(med(v), k[4]) for k, v in case.items() if k[3] != "hybrid"]
    if not ours or not timed:
        continue
    best, variant = min(timed)
    mine = med(ours)
    acc, seeds = accuracy(ours)
    theirs = [accuracy([x for k, v in case.items() if k[3] == p for x in v])[0] if any(k[3] == p for k in case) else None for p in peers]
    gap = max(abs(acc - t) for t in theirs if t is not None)
    cells = " | ".join("–" if t is None else f"{t:.4f}" for t in theirs)
    print(f"| {arch} | {batch} | {epochs} | {mine:.3f} | {variant} | {best:.3f} | {mine / best:.2f} | "
          f"{', '.join(map(str, seeds))} | {acc:.4f} | {cells} | {100 * gap:.2f} |")
PY
)"

. build/machine.sh

roofline="$(/usr/bin/python3 build/roofline.py "$out" "$data" --threads "${THREADS:-2}" --hybrid-cli "$cli")"

provider="$(dotnet "$cli" providers --provider "${PROVIDER:-best}" | sed -n 's/^active *//p')"

if [ "${OTHER:-0}" = 1 ]; then
  # This run as one block of the section "Other machines": the processor kind is its key, and a block of the same
  # kind is replaced. The rest of the page stays as it is.
  KIND="$(cpu_field 'model name'), family $(cpu_field 'cpu family'), model $(cpu_field model)" \
  TITLE="$(nproc) cores, $(machine)" WRITTEN="$written" PROVIDER_LINE="$provider" RATIOS="$ratios" ROOFLINE="$roofline" \
    /usr/bin/python3 - docs/benchmarks.md <<'PY'
import os, re, sys
page = sys.argv[1]
text = open(page).read()
heading, seeds = "## Other machines", "## Accuracy over more seeds"
env = os.environ
key = f"<!-- machine: {env['KIND']} -->"
block = (f"{key}\n### {env['TITLE']}\n\nWritten by `OTHER=1 build/bench.sh` on {env['WRITTEN']}. Hybrid's provider: "
         f"{env['PROVIDER_LINE']}.\n\n{env['RATIOS']}\n\n{env['ROOFLINE']}\n<!-- /machine -->")
intro = (f"{heading}\n\nThe same race on processors of other kinds, one block each: `OTHER=1 build/bench.sh` records or\n"
         "replaces the block of the processor it runs on, and `build/bench.sh` keeps this section when it rewrites the page.")
# The seeds section, when there is one, stays last; this section (empty when the page has none yet) comes before it.
before, mark, after = text.partition(seeds)
before, _, section = before.partition(heading)
blocks = dict((k, b) for b, k in re.findall(r"((<!-- machine: .*? -->)\n.*?\n<!-- /machine -->)", section, re.S))
blocks[key] = block
out = before.rstrip("\n") + "\n\n" + intro + "\n\n" + "\n\n".join(blocks[k] for k in sorted(blocks)) + "\n" + ("\n" + mark + after if mark else "")
with open(page + ".tmp", "w") as f:
    f.write(out)
os.replace(page + ".tmp", page)
PY
  echo "recorded in docs/benchmarks.md, section Other machines (from $out)"
  exit 0
fi

# The sections kept as they are: "Other machines" (OTHER=1, above) up to the next section, and the one build/seeds.sh
# writes (RECORD=1), from its heading to the page's end.
others="$(sed -n '/^## Other machines$/,/^## Accuracy over more seeds$/p' docs/benchmarks.md 2>/dev/null | sed '${/^## Accuracy over more seeds$/d}' || true)"
kept="$(sed -n '/^## Accuracy over more seeds$/,$p' docs/benchmarks.md 2>/dev/null || true)"

{
  # Front matter: the page's place in the docs site's menu.
  printf -- '---\ntitle: Benchmarks: the race\ncategory: Guides\ncategoryindex: 3\nindex: 3\n---\n'
  echo "# Benchmarks"
  echo
  echo "Written by \`build/bench.sh\` on $written, $(nproc) cores, $(machine)."
  echo "Hybrid's provider: $provider."
  echo "Every peer trains the same 784-…-10 ReLU network (Glorot-uniform weights, zero biases, softmax cross-entropy,"
  echo "Adam, reshuffled each epoch) on the same MNIST files; epoch times count the training loop only."
  echo "Times are medians over the rounds; round r trains every peer with seed ${SEED:-0} + r, and the accuracy columns are"
  echo "the final test accuracy's mean over those seeds (one seed's accuracy moves by 0.1-0.3 points from seed to seed, in"
  echo "every peer). The ratio is Hybrid's time over the fastest peer's."
  [ -z "$others" ] || echo "The section \"Other machines\" holds the same race on processors of other kinds."
  [ -z "$kept" ] || echo "The last section compares the accuracy over more seeds (build/seeds.sh)."
  echo
  echo "## Hybrid against the fastest peer"
  echo
  echo "$ratios"
  echo
  echo "## The machine's limit"
  echo
  echo "What an epoch must compute and move, the limit that the GEMM peak and the memory bandwidth measured now imply,"
  echo "and Hybrid's median epoch over it (build/roofline.py says how each figure is counted)."
  echo
  echo "$roofline"
  echo
  echo "## Every run"
  echo
  echo "$table"
  [ -z "$others" ] || printf '\n%s\n' "$others"
  [ -z "$kept" ] || printf '\n%s\n' "$kept"
} > docs/benchmarks.md.tmp
mv docs/benchmarks.md.tmp docs/benchmarks.md
echo "wrote docs/benchmarks.md (from $out)"
