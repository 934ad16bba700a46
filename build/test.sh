#!/usr/bin/env bash
# Runs every test project in Release, prints the worst gradient-check error of each property,
# and ends with one line: "tests: N passed, N failed" (counted from the TRX results).
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"
export HYBRID_GRADCHECK_REPORT="$PWD/$results/gradcheck.tsv"

dotnet test Hybrid.sln -c Release --results-directory "$results" --logger "trx" "$@"
status=$?

if [ -s "$HYBRID_GRADCHECK_REPORT" ]; then
  echo
  echo "Worst gradient error per property (|analytic - numeric| / max(1, |a|, |n|), float64):"
  sort -t$'\t' -k1,1 "$HYBRID_GRADCHECK_REPORT" | awk -F'\t' '{ printf "  %-40s %s\n", $1, $2 }'
fi

# Each TRX file has <Counters total=".." executed=".." passed=".." failed=".." ...>.
passed=0
failed=0
found=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  found=1
  p=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*')
  f=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

if [ "$found" = 0 ] && [ "$status" != 0 ]; then
  echo "no test results were written: the build or the test host failed (exit $status)" >&2
  failed=1
fi

echo "tests: $passed passed, $failed failed"
[ "$status" = 0 ] && [ "$failed" = 0 ]
