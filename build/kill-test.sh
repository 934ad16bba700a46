#!/usr/bin/env bash
# Kills `hybrid train mnist --save MODEL` with SIGKILL, KILLS times (default 30), and checks after each kill that MODEL
# is the old model or the new one, byte for byte, never anything else; then one more run must leave no temporary file.
# Half the kills come at a random moment of the run, half right after the save's temporary file appears (so they land
# while the file is being written). Prints a table of outcomes; exits non-zero on any bad one.
#   build/kill-test.sh            # 30 kills
#   KILLS=4 build/kill-test.sh    # a short form
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${KILLS:-30}
dotnet build src/Hybrid.Cli -c Release -v q --nologo > /dev/null
cli=(dotnet src/Hybrid.Cli/bin/Release/net10.0/Hybrid.Cli.dll)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=$work/model.safetensors
# 784-1000-10: a 3.2 MB file, so that a save takes long enough to be hit.
run=(train mnist --train-limit 256 --epochs 1 --hidden 1000 --provider simd --threads 2)
sha() { sha256sum "$1" | cut -d' ' -f1; }
temporaries() { find "$work" -maxdepth 1 -name '.model.safetensors.*' | wc -l; }

"${cli[@]}" "${run[@]}" --seed 1 --save "$work/old.safetensors" > /dev/null 2>&1
start=$(date +%s%N)
"${cli[@]}" "${run[@]}" --seed 2 --save "$work/new.safetensors" > /dev/null 2>&1
duration_ms=$(( ($(date +%s%N) - start) / 1000000 ))
old=$(sha "$work/old.safetensors")
new=$(sha "$work/new.safetensors")
echo "a run takes ${duration_ms} ms; old model $old, new model $new"

was_old=0 was_new=0 was_other=0 missing=0 mid_write=0
for i in $(seq 1 "$kills"); do
  cp "$work/old.safetensors" "$work/.staging" && mv "$work/.staging" "$model"
  "${cli[@]}" "${run[@]}" --seed 2 --save "$model" > /dev/null 2>&1 &
  pid=$!
  if (( i % 2 == 1 )); then
    # A random moment between 40% and 105% of a run.
    delay=$(( duration_ms * (40 + RANDOM % 66) / 100 ))
    sleep "$(printf '0.%03d' $((delay % 1000)))"; sleep $((delay / 1000))
  else
    # Right after the temporary file appears, plus 0-40 ms.
    for _ in $(seq 1 4000); do
      [ "$(temporaries)" -gt 0 ] && break
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.002
    done
    sleep "$(printf '0.%03d' $((RANDOM % 40)))"
  fi
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  [ "$(temporaries)" -gt 0 ] && mid_write=$((mid_write + 1))
  if [ ! -e "$model" ]; then missing=$((missing + 1))
  else
    case "$(sha "$model")" in
      "$old") was_old=$((was_old + 1)) ;;
      "$new") was_new=$((was_new + 1)) ;;
      *) was_other=$((was_other + 1)); cp "$model" "$work/../hybrid-kill-test-other-$i.safetensors" ;;
    esac
  fi
done

left_before=$(temporaries)
"${cli[@]}" "${run[@]}" --seed 2 --save "$model" > /dev/null 2>&1
left_after=$(temporaries)
final=$(sha "$model")

echo
echo "| kills | old file | new file | another file | no file | killed mid-write (temporary left) | temporaries before the next run | after it | next run's file is the new model |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
echo "| $kills | $was_old | $was_new | $was_other | $missing | $mid_write | $left_before | $left_after | $([ "$final" = "$new" ] && echo yes || echo no) |"
[ "$was_other" = 0 ] && [ "$missing" = 0 ] && [ "$left_after" = 0 ] && [ "$final" = "$new" ]
