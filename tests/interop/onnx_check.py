#!/usr/bin/env python3
"""Validates ONNX files with the onnx package's checker (run with Debian's python3-onnx).

  onnx_check.py FILE...   for each file: onnx.checker.check_model(model, full_check=True), which also runs strict
                          shape inference; prints one line per file, and exits 1 at the first file that fails.
"""
import sys

import onnx


def main():
    for path in sys.argv[1:]:
        model = onnx.load(path)
        try:
            onnx.checker.check_model(model, full_check=True)
        except Exception as e:  # the checker raises ValidationError, shape inference InferenceError
            print(f"{path}: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
            sys.exit(1)
        opsets = ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import)
        ops = " ".join(n.op_type for n in model.graph.node)
        print(f"{path}: ok (onnx {onnx.__version__}, IR {model.ir_version}, opset {opsets}; {ops})")


if __name__ == "__main__":
    main()
