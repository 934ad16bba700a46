#!/usr/bin/env bash
# Packs the three NuGet packages into artifacts/packages/: Hybrid.Core (the F# core), Hybrid (the C# façade) and
# Hybrid.Cli (the `hybrid` command as a dotnet tool). Fails on any pack warning (NU5xxx), on a missing readme,
# and when a package is not written.
#   VERSION=0.2.0 build/pack.sh        another version than Directory.Build.props' <Version>
#   OUT=/tmp/packages build/pack.sh    another folder
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out=${OUT:-artifacts/packages}
version=${VERSION:-}
props=()
[ -n "$version" ] && props+=("-p:Version=$version")
mkdir -p "$out"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# One build of the three (the CLI references the other two), then each project packs that build. A version
# given here is a global property, so the assemblies carry it too (hybrid --version prints it).
status=0
{
  dotnet build src/Hybrid.Cli -c Release "${props[@]}" &&
    for project in src/Hybrid.Core src/Hybrid src/Hybrid.Cli; do
      dotnet pack "$project" -c Release --no-build -o "$out" "${props[@]}" || exit 1
    done
} 2>&1 | tee "$log" || status=1
[ "$status" = 0 ] || { echo "pack.sh: the build or a pack failed (above)" >&2; exit 1; }

# Warnings are errors in the build, but NuGet's readme hint is only a message: catch both here.
if grep -E 'warning|NU5[0-9]{3}|missing a readme' "$log" >/dev/null; then
  echo "pack.sh: the pack printed warnings:" >&2
  grep -E 'warning|NU5[0-9]{3}|missing a readme' "$log" >&2
  exit 1
fi
version=${version:-$(dotnet msbuild src/Hybrid -getProperty:Version -p:Configuration=Release)}
for id in Hybrid.Core Hybrid Hybrid.Cli; do
  [ -s "$out/$id.$version.nupkg" ] || { echo "pack.sh: $out/$id.$version.nupkg was not written" >&2; exit 1; }
done
echo "packages ($version): $(cd "$out" && ls Hybrid.Core."$version".nupkg Hybrid."$version".nupkg Hybrid.Cli."$version".nupkg | tr '\n' ' ')in $out"
