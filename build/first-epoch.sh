#!/usr/bin/env bash
# Is the first epoch as fast as the later ones in a user's application? Packs the working tree (build/pack.sh,
# a version of its own, 0.1.0-bench.<time>.<pid>), makes a console app under /tmp that references the Hybrid
# package with every setting at its default (tiered compilation on, the default provider), trains 784-128-10 on
# the whole of MNIST (Adam, batch 64, 3 epochs) ROUNDS times, each in a fresh process, and prints every run's epoch
# seconds, the medians, and the median of epoch 1 / epoch 3 per run. It also prints the first batch's seconds:
# that batch compiles the training step (every method's first compilation, paid once however the runtime tiers),
# so epoch 1 / epoch 3 without it shows how soon the step runs at full speed.
#   ROUNDS=5 build/first-epoch.sh                   5 runs (the default)
#   BASELINE=/tmp/old/packages build/first-epoch.sh  also the Hybrid package in that folder (packed earlier, e.g. with
#                                                    OUT=/tmp/old/packages VERSION=0.1.0-old build/pack.sh), run by
#                                                    turns with this one, so both see the same machine load
#   HYBRID_PROVIDER=simd build/first-epoch.sh       another provider (any Hybrid setting passes through)
# Timing: on a machine others are using, the figures move; compare runs taken by turns, never across sessions.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 LC_ALL=C
rounds=${ROUNDS:-5}
baseline=${BASELINE:-}

# Settings that change how the runtime compiles: a run with them is not a run at the defaults.
if env | grep -E '^(DOTNET|COMPlus)_(Tiered|TC_|ReadyToRun|JitStress|OSR)' >/dev/null; then
  echo "first-epoch.sh: unset these to measure the defaults: $(env | grep -E '^(DOTNET|COMPlus)_' | tr '\n' ' ')" >&2
  exit 1
fi

version="0.1.0-bench.$(date -u +%Y%m%d%H%M%S).$$"
work=$(mktemp -d /tmp/hybrid-first-epoch.XXXXXX)
globals=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
cleanup() {
  rm -rf "$work"
  for id in hybrid hybrid.core hybrid.cli; do
    rm -rf "${globals:?}/$id/$version"
    rmdir "$globals/$id" 2>/dev/null || true
  done
}
trap cleanup EXIT

OUT="$work/packages" VERSION="$version" ./build/pack.sh > "$work/pack.log" 2>&1 || { cat "$work/pack.log"; exit 1; }
for f in Directory.Build.props Directory.Build.targets Directory.Packages.props; do echo '<Project />' > "$work/$f"; done

# app NAME FOLDER VERSION: a console app on the Hybrid package VERSION from FOLDER, built in Release.
app() {
  local dir="$work/$1"
  mkdir -p "$dir"
  cat > "$dir/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="hybrid-local" value="$2" />
  </packageSources>
</configuration>
CONFIG
  (cd "$dir" && dotnet new console --name FirstEpoch --output . >/dev/null && dotnet add package Hybrid --version "$3" >/dev/null)
  cat > "$dir/Program.cs" <<'PROGRAM'
using System.Globalization;
using Hybrid;
using Hybrid.Data;
using Hybrid.Training;

var mnist = Mnist.Load();
var model = Network.Sequential(784)
    .Dense(128, Activation.ReLU)
    .Dense(10)
    .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001), seed: 1);
var firstBatch = 0.0;
var progress = new Watch(p => { if (p.Epoch == 1 && p.Batch == 1) firstBatch = p.Elapsed.TotalSeconds; });
var history = model.Fit(mnist.Train, epochs: 3, batchSize: 64, progress: progress);
// The three epochs' seconds, then the first batch's.
var seconds = history.Epochs.Select(e => e.Seconds).Append(firstBatch);
Console.WriteLine(string.Join(" ", seconds.Select(s => s.ToString("F3", CultureInfo.InvariantCulture))));

// Called on the training thread after every batch (Progress<T> would post to the thread pool, after the fact).
sealed class Watch(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
PROGRAM
  (cd "$dir" && dotnet build -c Release -o out >"$work/$1-build.log" 2>&1) || { cat "$work/$1-build.log"; exit 1; }
}

names=(this)
app this "$work/packages" "$version"
if [ -n "$baseline" ]; then
  base_version=$(cd "$baseline" && ls Hybrid.[0-9]*.nupkg | head -n 1 | sed 's/^Hybrid\.//; s/\.nupkg$//')
  [ -n "$base_version" ] || { echo "first-epoch.sh: no Hybrid package in $baseline" >&2; exit 1; }
  app baseline "$(cd "$baseline" && pwd)" "$base_version"
  names=(baseline this)
fi

echo "784-128-10, Adam, batch 64, 3 epochs of MNIST's 60,000 images; provider: ${HYBRID_PROVIDER:-the default}; $rounds rounds"
echo "this: Hybrid $version (the working tree)${baseline:+; baseline: Hybrid $base_version ($baseline)}"
for r in $(seq 1 "$rounds"); do
  for name in "${names[@]}"; do
    line=$(dotnet "$work/$name/out/FirstEpoch.dll")
    echo "$line" >> "$work/$name.times"
    echo "$line" | awk -v r="$r" -v n="$name" '{
      printf "round %d %-8s epochs %s %s %s s, first batch %s s   epoch 1 / epoch 3 %.2f (without the first batch %.2f)\n",
        r, n, $1, $2, $3, $4, $1 / $3, ($1 - $4) / $3 }'
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for name in "${names[@]}"; do
  column() { awk -v c="$1" '{ print $c }' "$work/$name.times" | median; }
  ratio=$(awk '{ printf "%.3f\n", $1 / $3 }' "$work/$name.times" | median)
  rest=$(awk '{ printf "%.3f\n", ($1 - $4) / $3 }' "$work/$name.times" | median)
  printf '%-8s median epoch s: %s %s %s, first batch %s s   median epoch 1 / epoch 3: %s (without the first batch: %s)\n' \
    "$name" "$(column 1)" "$(column 2)" "$(column 3)" "$(column 4)" "$ratio" "$rest"
done
