#!/usr/bin/env bash
# The packages as a user meets them, in a fresh folder under /tmp, outside the repository:
#  1. packs Hybrid.Core, Hybrid and Hybrid.Cli (build/pack.sh) with a version of their own, 0.1.0-ci.<time>.<pid>,
#     so no Hybrid already in the global packages folder (from an earlier run, or another clone) can stand in for
#     this pack; the run's own entries are removed from that folder at the end;
#  2. `dotnet new console`, `dotnet add package Hybrid` through a nuget.config that only adds the folder of packages
#     (the machine's default sources stay: MathNet.Numerics and FSharp.Core come from there);
#  3. compiles every C# block of README.md against the package: the block that starts `// Program.cs` is the program,
#     the others are compiled as methods; runs it on the first $LIMIT training images and checks its test accuracy;
#  4. runs the README's F# blocks with dotnet fsi (`// train.fsx` on the same images, accuracy checked; the others
#     against Hybrid.Core);
#  5. installs the tool into a temporary tool path, checks that `hybrid --version` prints the package version and
#     that `hybrid train mnist --epochs 1 --train-limit $LIMIT` reaches the accuracy.
# MNIST comes from the shared cache (~/.cache/hybrid or $HYBRID_DATA), fetched there on first use.
# Prints "consumer: ..." lines; exits 0 when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Invariant number formats, so the accuracy prints as 93.50%.
export LC_ALL=C
repo=$PWD
limit=${LIMIT:-10000}
# A 784-128-10 MLP trained with Adam on 10,000 images reaches about 94% after 3 epochs and 90% after 1; an
# untrained or broken one stays near 10%, and one whose updates are subtly wrong well below these.
program_min=${PROGRAM_MIN:-90}
tool_min=${TOOL_MIN:-85}

version="0.1.0-ci.$(date -u +%Y%m%d%H%M%S).$$"
work=$(mktemp -d /tmp/hybrid-consumer.XXXXXX)
globals=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
cleanup() {
  rm -rf "$work"
  for id in hybrid hybrid.core hybrid.cli; do
    rm -rf "${globals:?}/$id/$version"
    rmdir "$globals/$id" 2>/dev/null || true
  done
}
trap cleanup EXIT
fail() { echo "consumer: FAILED: $*" >&2; exit 1; }
started=$SECONDS

# 1. The packages.
OUT="$work/packages" VERSION="$version" ./build/pack.sh > "$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "build/pack.sh"; }
echo "consumer: packed $version ($((SECONDS - started)) s)"

# Nothing from the folders above may reach the apps: no props, targets or central package versions.
for f in Directory.Build.props Directory.Build.targets Directory.Packages.props; do echo '<Project />' > "$work/$f"; done
# Adds the folder of packages; without <clear/>, the sources of the machine's own NuGet configuration stay.
cat > "$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="hybrid-local" value="$work/packages" />
  </packageSources>
</configuration>
EOF

# README.md's fenced blocks of one language, each into $2/block-N.$3 (N from 1).
blocks() {
  awk -v lang="$1" -v dir="$2" -v ext="$3" '
    /^```/ { if (inside) { inside = 0; close(file); next }
             if ($0 == "```" lang) { inside = 1; n++; file = dir "/block-" n "." ext; printf "" > file; next } }
    inside { print > file }' "$repo/README.md"
}

# 2-3. The C# app.
app="$work/app"
mkdir -p "$app/readme"
(cd "$app" && dotnet new console --name Consumer --output . > "$work/new.log" 2>&1) || { cat "$work/new.log"; fail "dotnet new console"; }
(cd "$app" && dotnet add package Hybrid --version "$version" > "$work/add.log" 2>&1) || { cat "$work/add.log"; fail "dotnet add package Hybrid"; }
blocks csharp "$app/readme" cs
program=""
examples=0
for block in "$app/readme"/block-*.cs; do
  if head -n 1 "$block" | grep '^// Program\.cs' >/dev/null; then
    program=$block
    continue
  fi
  # Any other block is a fragment: its usings stay at the top, its statements become a method's body.
  examples=$((examples + 1))
  {
    grep '^using ' "$block" || true
    echo "static class ReadmeExample$examples"
    echo "{"
    echo "    static void Run()"
    echo "    {"
    grep -v '^using ' "$block"
    echo "    }"
    echo "}"
  } > "$app/ReadmeExample$examples.cs"
done
[ -n "$program" ] || fail "README.md has no C# block starting with '// Program.cs'"
cp "$program" "$app/Program.cs"
rm -rf "$app/readme"
(cd "$app" && dotnet build -c Release > "$work/build.log" 2>&1) || { cat "$work/build.log"; fail "the README's C# blocks do not compile against Hybrid $version"; }
# The app's sources: the folder of packages beside the machine's own.
sources=$(cd "$app" && dotnet nuget list source --format short | awk '$1 == "E" { print $2 }' | tr '\n' ' ')
case " $sources" in *" $work/packages "*) ;; *) fail "the folder of packages is not among the app's sources ($sources)" ;; esac
[ "$(echo "$sources" | wc -w)" -ge 2 ] || fail "the machine's own package sources are gone ($sources)"
resolved=$(grep -o '"Hybrid/[^"]*"' "$app/obj/project.assets.json" | head -n 1)
[ "$resolved" = "\"Hybrid/$version\"" ] || fail "the app resolved $resolved, not Hybrid/$version"
echo "consumer: package sources: the folder of packages and $(($(echo "$sources" | wc -w) - 1)) of the machine's own"
echo "consumer: the README's C# program and $examples C# fragments compile against Hybrid $version ($((SECONDS - started)) s)"

# Reads "test accuracy: 93.50%" (program) or "test accuracy 93.50%" (tool) from a log; checks it against a minimum.
accuracy() {
  local got
  got=$(grep -o 'test accuracy:\? [0-9.]*%' "$1" | tail -n 1 | grep -o '[0-9.]*' || true)
  [ -n "$got" ] || { cat "$1" >&2; fail "$2 printed no test accuracy"; }
  awk -v a="$got" -v m="$3" 'BEGIN { exit !(a >= m) }' || { cat "$1" >&2; fail "$2: test accuracy $got% < $3%"; }
  echo "$got"
}
(cd "$app" && dotnet run -c Release --no-build -- "$limit" > "$work/run.log" 2>&1) || { cat "$work/run.log"; fail "the README's C# program failed"; }
got=$(accuracy "$work/run.log" "the README's C# program" "$program_min")
echo "consumer: the README's C# program, 3 epochs on $limit images: test accuracy $got% (>= $program_min%) ($((SECONDS - started)) s)"

# 4. The F# blocks, each as a script of its own; the package line points at this version (the folder of packages
#    comes from the nuget.config beside the scripts).
fsx="$work/fsx"
mkdir -p "$fsx" "$work/tmp"
blocks fsharp "$fsx" fsx
ran=0
for block in "$fsx"/block-*.fsx; do
  if head -n 1 "$block" | grep '^// train\.fsx' >/dev/null; then
    grep '^#r "nuget: Hybrid"$' "$block" >/dev/null || fail "README.md's train.fsx does not reference the package with #r \"nuget: Hybrid\""
    sed "s|^#r \"nuget: Hybrid\"\$|#r \"nuget: Hybrid, $version\"|" "$block" > "$fsx/train.fsx"
    (cd "$fsx" && TMPDIR="$work/tmp" dotnet fsi train.fsx "$limit" > "$work/fsi.log" 2>&1) || { cat "$work/fsi.log"; fail "the README's train.fsx failed"; }
    got=$(accuracy "$work/fsi.log" "the README's train.fsx" "$program_min")
    echo "consumer: the README's train.fsx, 3 epochs on $limit images: test accuracy $got% (>= $program_min%) ($((SECONDS - started)) s)"
  else
    # A fragment on the core: its own script with Hybrid.Core.
    ran=$((ran + 1))
    { echo "#r \"nuget: Hybrid.Core, $version\""; cat "$block"; } > "$fsx/fragment$ran.fsx"
    (cd "$fsx" && TMPDIR="$work/tmp" dotnet fsi "fragment$ran.fsx" > "$work/fragment$ran.log" 2>&1) || { cat "$work/fragment$ran.log"; fail "the README's F# block $block failed"; }
  fi
done
[ -s "$fsx/train.fsx" ] || fail "README.md has no F# block starting with '// train.fsx'"
echo "consumer: the README's $ran other F# block(s) ran on Hybrid.Core $version ($((SECONDS - started)) s)"

# 5. The tool.
tools="$work/tools"
dotnet tool install Hybrid.Cli --version "$version" --tool-path "$tools" --add-source "$work/packages" > "$work/tool.log" 2>&1 || { cat "$work/tool.log"; fail "dotnet tool install Hybrid.Cli"; }
printed=$("$tools/hybrid" --version)
[ "$printed" = "$version" ] || fail "hybrid --version printed '$printed', not the package version $version"
echo "consumer: hybrid --version printed $printed"
"$tools/hybrid" train mnist --epochs 1 --train-limit "$limit" > "$work/train.log" 2>&1 || { cat "$work/train.log"; fail "hybrid train mnist"; }
got=$(accuracy "$work/train.log" "hybrid train mnist" "$tool_min")
echo "consumer: hybrid train mnist --epochs 1 --train-limit $limit: test accuracy $got% (>= $tool_min%)"
echo "consumer: passed in $((SECONDS - started)) s"
