#!/usr/bin/env bash
# Executes every notebook of the docs site (output/*.ipynb, written by fsdocs from each page when
# docs/_template.ipynb exists; run ./build/docs.sh first) headlessly with Debian's jupyter-nbconvert against the
# .NET Interactive kernel from the repository's tool manifest (Microsoft.dotnet-interactive). Each notebook gets a
# first cell that loads the local build (tests/Hybrid.Examples/References.fsx; FSharp.Core is pinned to the version
# the kernel ships, so Hybrid.Core loads there). A failing cell fails the script; the executed notebooks
# go to artifacts/notebooks/.
# Usage: ./build/notebooks.sh [page ...]   (page names without .ipynb; all by default)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT=1
command -v jupyter-nbconvert >/dev/null || { echo "jupyter-nbconvert is missing: apt-get install -y jupyter-nbconvert jupyter-client" >&2; exit 1; }
[ -f output/index.html ] || { echo "the site is not built: run ./build/docs.sh first" >&2; exit 1; }
dotnet tool restore >/dev/null
repo=$PWD
# A kernel spec of our own, in a private Jupyter path: the kernel is the manifest's tool, run from the repository.
kernels=$(mktemp -d)
trap 'rm -rf "$kernels"' EXIT
mkdir -p "$kernels/kernels/hybrid-fsharp"
cat > "$kernels/kernels/hybrid-fsharp/kernel.json" <<JSON
{ "argv": ["bash", "-c", "cd '$repo' && exec dotnet tool run dotnet-interactive -- jupyter --default-kernel fsharp \"\$0\" --http-port-range 2048-3000", "{connection_file}"],
  "display_name": ".NET (F#), Hybrid", "language": "F#" }
JSON
export JUPYTER_PATH="$kernels"
mkdir -p artifacts/notebooks
pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
  for f in output/*.ipynb; do pages+=("$(basename "$f" .ipynb)"); done
fi
failed=()
work="$kernels/notebooks"
mkdir -p "$work"
for page in "${pages[@]}"; do
  start=$(date +%s)
  # fsdocs leaves the pages' hidden cells out of the notebooks, the #load of the local build among them: put it
  # back as the first cell (References.fsx #r's the examples project's bin/Release, built by build/docs.sh).
  python3 - "output/$page.ipynb" "$work/$page.ipynb" "$repo/tests/Hybrid.Examples/References.fsx" <<'PY'
import json, sys
source, target, references = sys.argv[1:]
notebook = json.load(open(source, encoding="utf-8"))
load = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
        "source": [f'#load "{references}"\n']}
# fsdocs writes the pages' raw HTML blocks (an exercise's frame, a folded solution's <details>) as code cells.
for cell in notebook["cells"]:
    if cell["cell_type"] == "code" and "".join(cell["source"]).lstrip().startswith("<"):
        cell.update(cell_type="markdown")
        for key in ("outputs", "execution_count"):
            cell.pop(key, None)
notebook["cells"].insert(0, load)
json.dump(notebook, open(target, "w", encoding="utf-8"))
PY
  if (cd "$work" && jupyter-nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=hybrid-fsharp \
        --ExecutePreprocessor.timeout=900 --output-dir "$repo/artifacts/notebooks" "$page.ipynb" >/tmp/nbconvert-$$.log 2>&1); then
    echo "notebook $page: ran in $(( $(date +%s) - start )) s"
  else
    echo "notebook $page: FAILED after $(( $(date +%s) - start )) s" >&2
    tail -20 /tmp/nbconvert-$$.log >&2
    failed+=("$page")
  fi
done
rm -f /tmp/nbconvert-$$.log
if [ ${#failed[@]} -gt 0 ]; then echo "failed notebooks: ${failed[*]}" >&2; exit 1; fi
echo "all ${#pages[@]} notebooks ran"
