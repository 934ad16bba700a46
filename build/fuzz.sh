#!/usr/bin/env bash
# The nightly-style fuzz run: 10,000 FsCheck-generated hostile files per format (safetensors, architectures, raw IDX,
# gzip IDX, CSV, state_dicts, safetensors through inference; CASES overrides) plus the replay of the reported classes, each case asserted to give a value or the
# documented exception naming the file within 2 s and 512 MB; then the hostile command-line options
# (build/hostile-cli.sh). The tables of outcomes land in artifacts/fuzz/ and are printed. SEED replays a run.
#   build/fuzz.sh                # 10,000 per format
#   CASES=1000 build/fuzz.sh     # what CI runs inside ./build/test.sh
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export HYBRID_FUZZ_CASES=${CASES:-10000}
[ -n "${SEED:-}" ] && export HYBRID_FUZZ_SEED=$SEED
rm -rf artifacts/fuzz
status=0
dotnet build tests/Hybrid.Tests -c Release -v q --nologo > /dev/null || exit 1
dotnet test tests/Hybrid.Tests -c Release --no-build --filter "FullyQualifiedName~Hybrid.Tests.FuzzTests" \
  --logger "console;verbosity=minimal" || status=$?
for table in artifacts/fuzz/*.md; do
  [ -e "$table" ] || continue
  echo
  cat "$table"
done
./build/hostile-cli.sh || status=$?
exit $status
