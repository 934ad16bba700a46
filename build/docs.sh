#!/usr/bin/env bash
# Builds the documentation site into output/ with fsdocs: every literate page is executed (--eval) and any
# warning fails the build (--strict); the API reference comes from the projects' XML docs.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
dotnet build Hybrid.sln -c Release -v quiet -nologo
dotnet fsdocs build --input docs --output output --eval --strict --properties Configuration=Release "$@"
echo "site: $PWD/output/index.html"
