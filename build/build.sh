#!/usr/bin/env bash
# Builds the whole solution in Release. Warnings are errors (Directory.Build.props).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
dotnet build Hybrid.sln -c Release "$@"
