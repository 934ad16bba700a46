#!/usr/bin/env bash
# Installs what the tests need when it is missing (build/setup.sh: apt-get as root, else it stops and prints the command),
# builds in Release, runs the façade tests, then the core suite once per available matrix provider
# (managed, simd, openblas), builds the docs site (every page executed) and opens each page in headless
# Chromium, executes every page's notebook (build/notebooks.sh), uses the packages from a fresh app outside the
# repository (build/consumer.sh), prints the worst gradient-check error of each property, and ends with one line:
# "tests: N passed, N failed" (counted from the TRX results and the core suite's Expecto summaries, plus one for the
# docs build when it fails, one per executed notebook and one for the consumer check).
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

. build/setup.sh
hybrid_setup || { echo "tests: 0 passed, 1 failed (set-up)"; exit 1; }

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"
export HYBRID_GRADCHECK_REPORT="$PWD/$results/gradcheck.tsv"
status=0
docs_failed=0
consumer_passed=0
consumer_failed=0
notebooks_passed=0
notebooks_failed=0

dotnet build Hybrid.sln -c Release || status=$?

if [ "$status" = 0 ]; then
  dotnet test tests/Hybrid.Tests -c Release --no-build --results-directory "$results" \
    --logger "trx;LogFileName=facade.trx" "$@" || status=$?
  # ONNX export and import, checked by ONNX Runtime, the onnx checker and torch.onnx.export.
  dotnet test tests/Hybrid.Onnx.Tests -c Release --no-build --results-directory "$results" \
    --logger "trx;LogFileName=onnx.trx" "$@" || status=$?

  # The prediction server: digits drawn on its page in headless Chromium, hostile requests, a bounded load test.
  dotnet test tests/Hybrid.Serve.Tests -c Release --no-build --results-directory "$results" \
    --logger "trx;LogFileName=serve.trx" "$@" || status=$?

  providers="managed simd"
  if /sbin/ldconfig -p 2>/dev/null | grep 'libopenblas\.so\.0' >/dev/null || [ -n "${HYBRID_OPENBLAS:-}" ]; then
    providers="$providers openblas"
  else
    echo "OpenBLAS is not installed (apt-get install -y libopenblas0-pthread): the core suite skips the openblas provider"
  fi
  # The core suite is an Expecto program (the script's arguments are dotnet test's, not its own); sequenced,
  # as its CPU-bound properties gain nothing from Expecto's parallel workers on two cores. Its exit code is kept
  # beside its NUnit summary for the count below.
  for provider in $providers; do
    echo "== core suite on the $provider provider"
    HYBRID_PROVIDER=$provider dotnet run --project tests/Hybrid.Core.Tests -c Release --no-build -- --sequenced \
      --no-spinner --fail-on-focused-tests --nunit-summary "$results/core-$provider.xml"
    code=$?
    echo "$code" > "$results/core-$provider.exit"
    [ "$code" = 0 ] || status=$code
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

  # Every page's notebook executed with nbconvert against the .NET Interactive kernel (build/notebooks.sh): one test
  # per notebook, counted from the script's "ran in" and "FAILED" lines.
  if [ "$docs_failed" = 0 ]; then
    echo "== notebooks: every page's notebook executed (build/notebooks.sh)"
    code=0
    ./build/notebooks.sh > "$results/notebooks.log" 2>&1 || code=$?
    [ "$code" = 0 ] || status=$code
    notebooks_passed=$(grep -c ': ran in ' "$results/notebooks.log" || true)
    notebooks_failed=$(grep -c ': FAILED after ' "$results/notebooks.log" || true)
    # A script that failed with no failed notebook stopped before running them (the kernel, a missing package).
    if [ "$code" != 0 ] && [ "$notebooks_failed" = 0 ]; then notebooks_failed=1; fi
    grep -E 'notebook|notebooks' "$results/notebooks.log" | grep -v ': ran in ' | tail -n 25
    echo "notebooks: $notebooks_passed ran, $notebooks_failed failed (log: $results/notebooks.log)"
  fi

  # The packages in a fresh app outside the repository (build/consumer.sh): one test, passed or failed.
  echo "== consumer: the packages in a fresh console app and the installed tool (build/consumer.sh)"
  if ./build/consumer.sh > "$results/consumer.log" 2>&1; then
    consumer_passed=1
    grep '^consumer:' "$results/consumer.log"
  else
    consumer_failed=1
    tail -n 40 "$results/consumer.log"
    echo "the consumer check failed (whole log: $results/consumer.log)"
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

# Each core-suite run's Expecto NUnit summary has <test-results total=".." errors=".." failures=".." ignored="..">.
# A run that left no summary or executed no test, or whose process failed with no failed test (a crash), counts
# as one failed test.
counter() { grep -o '<test-results [^>]*' "$2" 2>/dev/null | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
for exit_file in "$results"/core-*.exit; do
  [ -e "$exit_file" ] || continue
  found=1
  xml=${exit_file%.exit}.xml
  t=$(counter total "$xml"); e=$(counter errors "$xml"); f=$(counter failures "$xml"); i=$(counter ignored "$xml")
  bad=$((${e:-0} + ${f:-0}))
  ran=$((${t:-0} - ${i:-0}))
  passed=$((passed + ran - bad))
  failed=$((failed + bad))
  if [ "$ran" -le 0 ]; then
    echo "$xml: no core test was executed (summary missing or empty)" >&2
    failed=$((failed + 1))
  elif [ "$(cat "$exit_file")" != 0 ] && [ "$bad" = 0 ]; then
    echo "the core suite exited $(cat "$exit_file") with no failed test in $xml: the process failed" >&2
    failed=$((failed + 1))
  fi
done

# A docs build that fails counts as one failed test: its pages are examples that no longer run.
failed=$((failed + docs_failed))
passed=$((passed + consumer_passed + notebooks_passed))
failed=$((failed + notebooks_failed))
failed=$((failed + consumer_failed))

if [ "$found" = 0 ] && [ "$status" != 0 ]; then
  echo "no test results were written: the build or the test host failed (exit $status)" >&2
  failed=1
fi

echo "tests: $passed passed, $failed failed"
[ "$status" = 0 ] && [ "$failed" = 0 ]
