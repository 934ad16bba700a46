#!/usr/bin/env bash
# Builds in Release, runs the façade tests, then the core suite once per available matrix provider
# (managed, simd, openblas), builds the docs site (every page executed) and opens each page in headless
# Chromium, prints the worst gradient-check error of each property, and ends with one line:
# "tests: N passed, N failed" (counted from the TRX results).
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"
export HYBRID_GRADCHECK_REPORT="$PWD/$results/gradcheck.tsv"
status=0
docs_failed=0

dotnet build Hybrid.sln -c Release || status=$?

if [ "$status" = 0 ]; then
  dotnet test tests/Hybrid.Tests -c Release --no-build --results-directory "$results" \
    --logger "trx;LogFileName=facade.trx" "$@" || status=$?

  # The prediction server: digits drawn on its page in headless Chromium, hostile requests, a bounded load test.
  dotnet test tests/Hybrid.Serve.Tests -c Release --no-build --results-directory "$results" \
    --logger "trx;LogFileName=serve.trx" "$@" || status=$?

  providers="managed simd"
  if /sbin/ldconfig -p 2>/dev/null | grep 'libopenblas\.so\.0' >/dev/null || [ -n "${HYBRID_OPENBLAS:-}" ]; then
    providers="$providers openblas"
  else
    echo "OpenBLAS is not installed (apt-get install -y libopenblas0-pthread): the core suite skips the openblas provider"
  fi
  for provider in $providers; do
    echo "== core suite on the $provider provider"
    HYBRID_PROVIDER=$provider dotnet test tests/Hybrid.Core.Tests -c Release --no-build --results-directory "$results" \
      --logger "trx;LogFileName=core-$provider.trx" "$@" || status=$?
  done

  # The docs site: every page is executed while it is built, then every page is opened in headless Chromium.
  echo "== docs: building the site (build/docs.sh, every page executed)"
  if ./build/docs.sh > "$results/docs-build.log" 2>&1; then
    dotnet test tests/Hybrid.Docs.Tests -c Release --no-build --results-directory "$results" \
      --logger "trx;LogFileName=docs.trx" "$@" || status=$?
  else
    status=1
    docs_failed=1
    tail -n 40 "$results/docs-build.log"
    echo "the docs build failed (whole log: $results/docs-build.log); the site's tests did not run"
  fi
fi

if [ -s "$HYBRID_GRADCHECK_REPORT" ]; then
  echo
  echo "Worst gradient error per property over all providers (|analytic - numeric| / max(1, |a|, |n|), float64):"
  sort -t$'\t' -k1,1 -k2,2g "$HYBRID_GRADCHECK_REPORT" \
    | awk -F'\t' '{ worst[$1] = $2 } END { for (k in worst) printf "  %-40s %s\n", k, worst[k] }' | sort
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

# A docs build that fails counts as one failed test: its pages are examples that no longer run.
failed=$((failed + docs_failed))

if [ "$found" = 0 ] && [ "$status" != 0 ]; then
  echo "no test results were written: the build or the test host failed (exit $status)" >&2
  failed=1
fi

echo "tests: $passed passed, $failed failed"
[ "$status" = 0 ] && [ "$failed" = 0 ]
