"""Model Monitor baseline files for the analysis tests, in the analyzer's own shapes.

statistics.json follows the developer guide's "Schema for Statistics" and a real analyzer output
(aws/sagemaker-python-sdk tests/data/pipeline/quality_check_step/data_quality/statistics.json, removed from
the SDK in v3; the last version is at commit 8326c232e^): per feature num_present/num_missing, mean, sum,
population std_dev, min, max, ten equal-width KLL buckets and the sketch {"parameters": {"c": 0.64,
"k": 2048.0}, "data": [[...]]}; up to 2050 values the sketch is one level holding the raw values in
arrival order. constraints.json follows "Schema for Constraints".
"""
import numpy as np

MONITORING_CONFIG = {
    "evaluate_constraints": "Enabled", "emit_metrics": "Enabled", "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1, "comparison_method": "Robust"},
}


def feature_statistics(name: str, kind: str, values: np.ndarray) -> dict:
    """One numeric feature as the analyzer writes it, for at most 2050 values (a one-level sketch)."""
    assert len(values) <= 2050, "a one-level KLL sketch holds at most 2050 values (k=2048, c=0.64)"
    low, high = float(values.min()), float(values.max())
    edges = [low + (high - low) * i / 10 for i in range(11)]
    counts = [float(((values >= lo) & ((values < hi) if i < 9 else (values <= hi))).sum())
              for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:]))]
    return {
        "name": name, "inferred_type": kind,
        "numerical_statistics": {
            "common": {"num_present": len(values), "num_missing": 0},
            "mean": float(values.mean()), "sum": float(values.sum()), "std_dev": float(values.std()),
            "min": low, "max": high,
            "distribution": {"kll": {
                "buckets": [{"lower_bound": lo, "upper_bound": hi, "count": c} for lo, hi, c in zip(edges[:-1], edges[1:], counts)],
                "sketch": {"parameters": {"c": 0.64, "k": 2048.0}, "data": [values.astype(float).tolist()]},
            }},
        },
    }


def baseline_files(columns: dict[str, tuple[str, np.ndarray]]) -> tuple[dict, dict]:
    """(statistics, constraints) for named columns {name: (inferred_type, values)}, in that column order."""
    n = len(next(iter(columns.values()))[1])
    statistics = {"version": 0.0, "dataset": {"item_count": n},
                  "features": [feature_statistics(name, kind, values) for name, (kind, values) in columns.items()]}
    constraints = {"version": 0.0,
                   "features": [{"name": name, "inferred_type": kind, "completeness": 1.0,
                                 "num_constraints": {"is_non_negative": bool((values >= 0).all())}}
                                for name, (kind, values) in columns.items()],
                   "monitoring_config": MONITORING_CONFIG}
    return statistics, constraints
