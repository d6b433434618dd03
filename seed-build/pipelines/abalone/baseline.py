"""Processing script: the data-quality baseline (statistics.json, constraints.json) of the model's inputs.

It writes what SageMaker Model Monitor's baselining job writes, in the same JSON shapes, so a
DefaultModelMonitor schedule (or `python -m deploy drift` in the deploy repo) can use it as is:
statistics.json: dataset item count and per feature its inferred type, counts, mean, sum, std_dev,
min, max and a KLL-style distribution (ten equal-width buckets and a quantile sketch);
constraints.json: per feature its type, completeness and whether it is non-negative, plus the
monitoring_config defaults Model Monitor suggests.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

BUCKETS = 10
SKETCH_POINTS = 64


def processing_root() -> Path:
    # SageMaker mounts everything under /opt/ml; run_local maps that folder elsewhere through ML_ROOT.
    return Path(os.environ.get("ML_ROOT", "/opt/ml")) / "processing"


def inferred_type(values: pd.Series) -> str:
    if pd.api.types.is_integer_dtype(values):
        return "Integral"
    if pd.api.types.is_numeric_dtype(values):
        return "Fractional"
    return "String"


def distribution(values: np.ndarray) -> dict:
    low, high = float(values.min()), float(values.max())
    counts, edges = np.histogram(values, bins=BUCKETS, range=(low, high) if high > low else (low, low + 1))
    buckets = [
        {"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": float(counts[i])}
        for i in range(BUCKETS)
    ]
    quantiles = np.quantile(values, np.linspace(0, 1, SKETCH_POINTS)).tolist()
    return {"kll": {"buckets": buckets, "sketch": {"parameters": {"c": 0.64, "k": 2048.0}, "data": [quantiles]}}}


def feature_statistics(name: str, values: pd.Series) -> dict:
    present = values.dropna().to_numpy(dtype=float)
    return {
        "name": name,
        "inferred_type": inferred_type(values),
        "numerical_statistics": {
            "common": {"num_present": int(present.size), "num_missing": int(values.isna().sum())},
            "mean": float(present.mean()),
            "sum": float(present.sum()),
            "std_dev": float(present.std()),
            "min": float(present.min()),
            "max": float(present.max()),
            "distribution": distribution(present),
        },
    }


def statistics(frame: pd.DataFrame) -> dict:
    return {
        "version": 0.0,
        "dataset": {"item_count": int(len(frame))},
        "features": [feature_statistics(name, frame[name]) for name in frame.columns],
    }


def constraints(frame: pd.DataFrame) -> dict:
    return {
        "version": 0.0,
        "features": [
            {
                "name": name,
                "inferred_type": inferred_type(frame[name]),
                "completeness": float(frame[name].notna().mean()),
                "num_constraints": {"is_non_negative": bool((frame[name].dropna() >= 0).all())},
            }
            for name in frame.columns
        ],
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": {
                "perform_comparison": "Enabled",
                "comparison_threshold": 0.1,
                "comparison_method": "Robust",
            },
        },
    }


def main() -> int:
    root = processing_root()
    frame = pd.read_csv(root / "input" / "baseline" / "baseline.csv")
    out = root / "monitoring"
    out.mkdir(parents=True, exist_ok=True)
    (out / "statistics.json").write_text(json.dumps(statistics(frame), indent=2))
    (out / "constraints.json").write_text(json.dumps(constraints(frame), indent=2))
    print(f"baseline: {len(frame)} rows, {frame.shape[1]} features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
