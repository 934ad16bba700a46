#!/usr/bin/env bash
# Builds the documentation site into output/ with fsdocs: every literate page is executed (--eval) and any
# warning fails the build (--strict); the API reference comes from the projects' XML docs. The chart scripts
# (Vega, Vega-Lite, vega-embed) and KaTeX (which typesets the equations), pinned and SHA-256 checked, are copied
# from Hybrid's cache into output/js and output/katex.
# View the site with: python3 -m http.server -d output 8000
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
dotnet build Hybrid.sln -c Release -v quiet -nologo
# .fsdocs/ caches the project list between runs; a stale one points the API reference at another build.
rm -rf output .fsdocs
dotnet run --project src/Hybrid.Cli -c Release --no-build -- chart-scripts --copy-to output/js --math output/katex >/dev/null
dotnet fsdocs build --input docs --output output --eval --strict --parameters root / --properties Configuration=Release "$@"
# fsdocs copies its own NuGet.config (with feeds outside this project) into the output: the site does not need it.
rm -f output/NuGet.config
echo "site: $PWD/output/index.html"
