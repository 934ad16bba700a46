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
#   RECORD=1 HIDDEN=1024,1024 BATCH=256 EPOCHS=3 SEEDS="0 1 2 3 4 5 6 7" build/seeds.sh
#                                                    # also puts the table in docs/benchmarks.md ("Accuracy over more
#                                                    # seeds"), in place of an earlier table of the same recipe
#   RUNS=artifacts/bench/seeds-….jsonl RECORD=1 build/seeds.sh   # the table of an earlier run, trains nothing
# The race (build/bench.sh) times every case over a few seeds only; this is how its accuracy columns are checked.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ -n "${RUNS:-}" ]; then
  [ -s "$RUNS" ] || { echo "seeds.sh: RUNS=$RUNS: no such run file (or it is empty)" >&2; exit 1; }
  out="$RUNS"
else
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
fi

. build/machine.sh
/usr/bin/python3 - "$out" "${THRESHOLD:-}" "${RECORD:-}" "$(machine), $(nproc) cores" <<'PY'
import datetime, json, os, re, statistics, sys
from collections import defaultdict
path, threshold, record, cpu = sys.argv[1], (float(sys.argv[2]) if sys.argv[2] else None), sys.argv[3] == "1", sys.argv[4]
runs = defaultdict(dict)
recipes = set()
for n, line in enumerate(open(path), 1):
    if line.startswith("{"):
        try:
            r = json.loads(line)
            runs[r["peer"]][r["seed"]] = r["test_acc"]
            recipes.add((r["arch"], r["batch"], r["epochs"]))
        except (ValueError, KeyError) as e:
            sys.exit(f"seeds.sh: {path}, line {n}: not a run record ({e})")
if len(recipes) != 1 or "hybrid" not in runs:
    sys.exit(f"seeds.sh: {path} holds {len(recipes)} recipes and {'a' if 'hybrid' in runs else 'no'} Hybrid run; a table needs one recipe with Hybrid")
(arch, batch, epochs), = recipes
ours = statistics.mean(runs["hybrid"].values())
lines = []
head = "| peer | seeds | mean | sd | min | max | Hybrid − peer (points) |" + (f" runs ≥ {threshold} |" if threshold else "") + " per seed |"
lines.append(head)
lines.append("|" + "---|" * (head.count("|") - 1))
for peer in sorted(runs, key=lambda p: (p != "hybrid", p)):
    acc = runs[peer]
    values = list(acc.values())
    cells = [peer, str(len(values)), f"{statistics.mean(values):.4f}",
             f"{statistics.stdev(values):.4f}" if len(values) > 1 else "–", f"{min(values):.4f}", f"{max(values):.4f}",
             "–" if peer == "hybrid" else f"{100 * (ours - statistics.mean(values)):+.2f}"]
    if threshold:
        cells.append(f"{sum(v >= threshold for v in values)}/{len(values)}")
    cells.append(", ".join(f"{s}: {acc[s]:.4f}" for s in sorted(acc)))
    lines.append("| " + " | ".join(cells) + " |")
title = f"{arch}, batch {batch}, {epochs} epochs, Adam"
print(f"{title}: final test accuracy per seed")
print()
print("\n".join(lines))
if not record:
    sys.exit(0)

# The docs page's section of these tables: one block per recipe, this one in place of an earlier one of the same recipe.
page, heading = "docs/benchmarks.md", "## Accuracy over more seeds"
text = open(page).read()
if heading not in text:
    text = text.rstrip("\n") + f"""

{heading}

The race above trains each case with a few seeds, and one seed's accuracy moves by 0.1-0.3 points, so the gaps in its
accuracy columns are mostly the seeds'. Here each recipe was trained once per seed with more seeds by
`RECORD=1 build/seeds.sh` (Hybrid and NumPy on 2 threads, PyTorch and TorchSharp on 1), on the day and machine each
table names; `build/bench.sh` keeps this section when it rewrites the page.
"""
when = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc).strftime("%Y-%m-%d")
key = f"<!-- seeds: {arch} batch {batch} epochs {epochs} -->"
block = f"{key}\n### {title}\n\nTaken on {when}, {cpu}.\n\n" + "\n".join(lines) + "\n<!-- /seeds -->"
before, _, section = text.partition(heading)
blocks = {k: b for b, k in re.findall(r"((<!-- seeds: .*? -->)\n.*?\n<!-- /seeds -->)", section, re.S)}
intro = section.split("<!-- seeds: ", 1)[0].rstrip("\n")
blocks[key] = block
order = lambda k: (int(re.search(r"epochs (\d+)", k)[1]), re.search(r"seeds: (\S+)", k)[1], int(re.search(r"batch (\d+)", k)[1]))
text = before + heading + intro + "\n\n" + "\n\n".join(blocks[k] for k in sorted(blocks, key=order)) + "\n"
tmp = page + ".tmp"
with open(tmp, "w") as f:
    f.write(text)
os.replace(tmp, page)
print(f"(recorded in {page})")
PY
echo "(runs: $out)"
