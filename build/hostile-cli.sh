#!/usr/bin/env bash
# The hostile command lines of the hostile-user report, replayed: every nonsense option is refused before any work with
# exit 1 and one "hybrid: ..." line naming it (no stack trace), runaway training exits 3 with valid JSON under --json,
# paths that are not model files give named errors without blocking. Prints a table; exits non-zero on any bad outcome.
set -uo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Hybrid.Cli -c Release -v q --nologo > /dev/null || exit 1
cli=(dotnet src/Hybrid.Cli/bin/Release/net10.0/Hybrid.Cli.dll)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkfifo "$work/fifo"
mkdir "$work/dir.safetensors"
printf 'not a model' > "$work/text.safetensors"
quick=(--train-limit 512 --epochs 1)

# expected exit code | arguments (word-split) | what the message must contain
cases=(
  "1|train mnist --hidden 3000000|parameters"
  "1|train mnist --hidden 0|--hidden"
  "1|train mnist --hidden -5|--hidden"
  "1|train mnist --hidden abc|--hidden"
  "1|train mnist --hidden ,|--hidden"
  "1|train mnist --hidden 99999999999|--hidden"
  "1|train mnist --epochs 0|--epochs"
  "1|train mnist --epochs -3|--epochs"
  "1|train mnist --batch 0|--batch"
  "1|train mnist --batch -64|--batch"
  "1|train mnist --lr 0|--lr"
  "1|train mnist --lr -0.1|--lr"
  "1|train mnist --lr NaN|--lr"
  "1|train mnist --lr Infinity|--lr"
  "1|train mnist --momentum 5 --optimizer momentum|--momentum"
  "1|train mnist --momentum -0.5|--momentum"
  "1|train mnist --momentum NaN|--momentum"
  "1|train mnist --weight-decay -1|--weight-decay"
  "1|train mnist --weight-decay NaN|--weight-decay"
  "1|train mnist --dropout -0.5|--dropout"
  "1|train mnist --dropout 1|--dropout"
  "1|train mnist --dropout NaN|--dropout"
  "1|train mnist --clip-norm NaN|--clip-norm"
  "1|train mnist --clip-norm 0|--clip-norm"
  "1|train mnist --clip-norm -1|--clip-norm"
  "1|train mnist --validation-split 1|--validation-split"
  "1|train mnist --validation-split -0.1|--validation-split"
  "1|train mnist --validation-split NaN|--validation-split"
  "1|evaluate $work/text.safetensors --activation relu|text.safetensors"
  "1|train mnist --schedule exponential:-1|--schedule"
  "1|train mnist --schedule exponential:NaN|--schedule"
  "1|train mnist --schedule cosine:-5|--schedule"
  "1|train mnist --schedule plateau:0.5:-1|--schedule"
  "1|train mnist --schedule plateau:1.5|--schedule"
  "1|train mnist --schedule plateau:0.5:2.5|--schedule"
  "1|train mnist --schedule step:0|--schedule"
  "1|train mnist --schedule step:5:0|--schedule"
  "1|train mnist --schedule step:5:0.5:9|--schedule"
  "1|train mnist --schedule warmup:0|--schedule"
  "1|train mnist --schedule warmup:9:cosine --epochs 5|--schedule"
  "1|train mnist --schedule bogus|--schedule"
  "1|train mnist --train-limit 0|--train-limit"
  "1|train mnist --threads 0|--threads"
  "1|train mnist --threads 100000|--threads"
  "1|train mnist --save $work/dir.safetensors|is a directory"
  "1|train mnist --save /proc/model.safetensors|cannot write"
  "1|train mnist --save $work/text.safetensors/inside|is a file"
  "1|train mnist --report $work/dir.safetensors|is a directory"
  "1|train mnist --save-diverged|--save-diverged"
  "1|train mnist --save $work/same.html --report $work/same.html|same file"
  "1|train mnist --checkpoint $work/dir.safetensors|is a directory"
  "1|train mnist --checkpoint $work/same.st --save $work/same.st|same file"
  "1|train mnist --resume $work/text.safetensors|text.safetensors"
  "1|train mnist --resume $work/fifo|fifo"
  "2|train mnist --resume $work/text.safetensors --hidden 64|--hidden"
  "1|train mnist --epochs 0 --json|--epochs"
  "3|train mnist --lr 1e6 --json ${quick[*]} --save $work/diverged.safetensors|diverged"
  "3|train mnist --optimizer momentum --momentum 0.99 --lr 50 --json ${quick[*]}|diverged"
  "3|train mnist --optimizer sgd --lr 1e4 --json ${quick[*]}|diverged"
  "0|train mnist --batch 300000000 ${quick[*]}|full-batch"
  "1|evaluate /dev/zero|character device"
  "1|evaluate /dev/null|character device"
  "1|evaluate $work/fifo|FIFO"
  "1|evaluate $work/dir.safetensors|is a directory"
  "1|evaluate $work/text.safetensors|not a valid safetensors file"
  "1|evaluate $work/missing.safetensors|not found"
  "1|predict $work/text.safetensors /dev/zero|not a valid safetensors file"
)

bad=0 ok=0
printf '| exit | wanted | seconds | verdict | command | message |\n|---:|---:|---:|---|---|---|\n'
for entry in "${cases[@]}"; do
  IFS='|' read -r want args needle <<< "$entry"
  start=$(date +%s%N)
  # shellcheck disable=SC2086
  timeout 120 "${cli[@]}" $args > "$work/out" 2> "$work/err"
  code=$?
  seconds=$(( ($(date +%s%N) - start) / 1000000 ))
  message=$(grep -m1 '^hybrid:' "$work/err" "$work/out" -h | cut -c1-150)
  [ -z "$message" ] && message=$(grep -m1 -h "$needle" "$work/err" "$work/out" | cut -c1-150)
  verdict=ok
  if [ "$code" != "$want" ]; then verdict="exit $code, wanted $want"
  elif grep -q -e '^   at ' -e 'Unhandled exception' "$work/err"; then verdict="stack trace"
  elif ! grep -q -- "$needle" "$work/err" "$work/out"; then verdict="message lacks '$needle'"
  elif [[ "$args" == *--json* ]] && ! python3 -c 'import json,sys; json.loads(open(sys.argv[1]).read())' "$work/out" 2> /dev/null; then verdict="invalid JSON"
  fi
  [ "$verdict" = ok ] && ok=$((ok + 1)) || bad=$((bad + 1))
  printf '| %s | %s | %s | %s | `hybrid %s` | %s |\n' "$code" "$want" "$(printf '%d.%02d' $((seconds / 1000)) $((seconds % 1000 / 10)))" "$verdict" "${args//$work/DIR}" "${message//$work/DIR}"
done
[ -e "$work/diverged.safetensors" ] && { echo "a diverged run saved its model"; bad=$((bad + 1)); }
echo
echo "hostile command lines: $ok as expected, $bad not"
[ "$bad" = 0 ]
