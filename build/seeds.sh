#!/usr/bin/env bash
# Test accuracy over seeds: Hybrid and the peers of ../shared/bench (PyTorch, NumPy, and TorchSharp unless
# TORCHSHARP=0) train one recipe once per seed, and a table gives each one's mean, spread and range. One seed's final
# accuracy moves by a few tenths of a point from seed to seed (and, for the same seed, between thread counts), so this
# is how to compare two implementations of a recipe, or a recipe with a threshold. Timing is not the point: torch and
# TorchSharp run on one thread.
#
# The README's main command itself (its recipe, validation split and wall time, one fresh process per seed) is measured
# by build/main-job.sh.
#   build/seeds.sh                                   # 784-128-10, batch 64, 5 epochs, seeds 1-8 (~6 minutes)
#   HIDDEN=512,256 BATCH=128 EPOCHS=10 SEEDS="1 2 3" THRESHOLD=0.98 build/seeds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

. build/peers.sh build/seeds.sh torch_mlp.py
hidden="${HIDDEN:-128}" batch="${BATCH:-64}" epochs="${EPOCHS:-5}" seeds="${SEEDS:-1 2 3 4 5 6 7 8}"

mkdir -p artifacts/bench
ts_cmd="$(torchsharp_peer artifacts/bench/harness)"
out="artifacts/bench/seeds-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
recipe=(--hidden "$hidden" --batch "$batch" --epochs "$epochs" --opt adam)
for seed in $seeds; do
  echo "seed $seed" >&2
  { dotnet "$cli" bench mlp "${recipe[@]}" --seed "$seed" --threads 2 --tag hybrid 2>/dev/null | tail -n 1
    /usr/bin/python3 "$peers/numpy_mlp.py" "${recipe[@]}" --seed "$seed" --threads 2 --data "$data" --tag numpy 2>/dev/null | tail -n 1
    /usr/bin/python3 "$peers/torch_mlp.py" "${recipe[@]}" --seed "$seed" --threads 1 --data "$data" --tag pytorch 2>/dev/null | tail -n 1
    [ -z "$ts_cmd" ] || "$ts_cmd" "${recipe[@]}" --seed "$seed" --threads 1 --data "$data" --tag torchsharp 2>/dev/null | tail -n 1
  } >>"$out"
done

/usr/bin/python3 - "$out" "${THRESHOLD:-}" <<'PY'
import json, statistics, sys
from collections import defaultdict
runs = defaultdict(dict)
for line in open(sys.argv[1]):
    if line.startswith("{"):
        r = json.loads(line)
        runs[r["peer"]][r["seed"]] = r["test_acc"]
threshold = float(sys.argv[2]) if sys.argv[2] else None
r = next(json.loads(l) for l in open(sys.argv[1]) if l.startswith("{"))
print(f"{r['arch']}, batch {r['batch']}, {r['epochs']} epochs, Adam: final test accuracy per seed")
print()
head = "| peer | seeds | mean | sd | min | max |" + (f" runs ≥ {threshold} |" if threshold else "") + " per seed |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
for peer in sorted(runs, key=lambda p: (p != "hybrid", p)):
    acc = runs[peer]
    values = list(acc.values())
    cells = [peer, str(len(values)), f"{statistics.mean(values):.4f}",
             f"{statistics.stdev(values):.4f}" if len(values) > 1 else "–", f"{min(values):.4f}", f"{max(values):.4f}"]
    if threshold:
        cells.append(f"{sum(v >= threshold for v in values)}/{len(values)}")
    cells.append(", ".join(f"{s}: {acc[s]:.4f}" for s in sorted(acc)))
    print("| " + " | ".join(cells) + " |")
PY
echo "(runs: $out)"
