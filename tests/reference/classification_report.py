#!/usr/bin/env python3
"""Reference for Hybrid's per-class metrics (Evaluation.PerClass, MacroAverage, WeightedAverage): scikit-learn's
classification_report on the same true and predicted classes. Run with Debian's python3-sklearn:

  /usr/bin/python3 tests/reference/classification_report.py IN.json OUT.json

IN is {"true": [...], "predicted": [...]}; OUT is classification_report(..., output_dict=True, zero_division=0),
every figure at full precision, plus "accuracy" from accuracy_score.
"""
import json
import sys

from sklearn.metrics import accuracy_score, classification_report

source, target = sys.argv[1:3]
data = json.load(open(source))
report = classification_report(data["true"], data["predicted"], output_dict=True, zero_division=0)
report["accuracy"] = accuracy_score(data["true"], data["predicted"])
json.dump(report, open(target, "w"))
