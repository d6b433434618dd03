"""Drift against a Model Monitor baseline: a shifted feature and a negative value are caught."""
import json

import numpy as np
import pytest

from deploy.analysis.captures import load_captures
from deploy.analysis.drift import analyze_drift, load_baseline, parse_json
from deploy.errors import InputError

from .capture_files import capture_record, write_variant

FEATURES = [("length", "Fractional", 0.5, 0.1), ("weight", "Fractional", 0.8, 0.2), ("rings_hint", "Integral", 10, 3)]


def feature_statistics(name, kind, values):
    """numerical_statistics as Model Monitor's baselining job writes them (10 KLL buckets)."""
    counts, edges = np.histogram(values, bins=10)
    return {
        "name": name, "inferred_type": kind,
        "numerical_statistics": {
            "common": {"num_present": len(values), "num_missing": 0},
            "mean": float(values.mean()), "sum": float(values.sum()), "std_dev": float(values.std()),
            "min": float(values.min()), "max": float(values.max()),
            "distribution": {"kll": {
                "buckets": [{"lower_bound": float(lo), "upper_bound": float(hi), "count": float(c)} for lo, hi, c in zip(edges[:-1], edges[1:], counts)],
                "sketch": {"parameters": {"c": 0.64, "k": 2048.0}, "data": [values[:20].tolist()]},
            }},
        },
    }


def sample(rng, n):
    columns = [rng.normal(mean, sd, n) for _, _, mean, sd in FEATURES]
    columns[2] = np.round(columns[2])
    return columns


@pytest.fixture
def baseline():
    columns = sample(np.random.default_rng(1), 5000)
    statistics = {"version": 0, "dataset": {"item_count": 5000},
                  "features": [feature_statistics(name, kind, col) for (name, kind, _, _), col in zip(FEATURES, columns)]}
    constraints = {"version": 0, "features": [{"name": name, "inferred_type": kind, "completeness": 1.0,
                                               "num_constraints": {"is_non_negative": True}} for name, kind, _, _ in FEATURES],
                   "monitoring_config": {"evaluate_constraints": "Enabled", "emit_metrics": "Enabled", "datatype_check_threshold": 0.1,
                                         "domain_content_threshold": 0.1,
                                         "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1, "comparison_method": "Robust"}}}
    return statistics, constraints


def captured(tmp_path, shift_weight=0.0, negative_length=False, n=400):
    columns = sample(np.random.default_rng(2), n)
    columns[1] = columns[1] + shift_weight
    if negative_length:
        columns[0][0] = -0.25
    rows = [f"{a:.4f},{b:.4f},{int(c)}" for a, b, c in zip(*columns)]
    write_variant(tmp_path, "demo-prod", "AllTraffic", [capture_record(row, "9.0", f"r{i}", "2024-05-01T12:00:00Z") for i, row in enumerate(rows)])
    return load_captures(str(tmp_path))


def test_drift_same_distribution_passes(tmp_path, baseline):
    result = analyze_drift(captured(tmp_path), *baseline)
    assert result.verdict == "pass" and result.violations == []
    assert all(d.distance < 0.1 for d in result.features)
    assert result.rows == 400


def test_drift_shifted_feature_is_the_only_drift_violation(tmp_path, baseline):
    result = analyze_drift(captured(tmp_path, shift_weight=0.2), *baseline)  # one standard deviation
    assert result.verdict == "fail"
    drifted = [v["feature_name"] for v in result.violations if v["constraint_check_type"] == "baseline_drift_check"]
    assert drifted == ["weight"]
    weight = result.features[1]
    assert weight.distance > 0.3 and weight.psi > 0.25
    assert "exceeds comparison_threshold 0.1" in result.violations[0]["description"]


def test_drift_negative_value_violates_is_non_negative(tmp_path, baseline):
    result = analyze_drift(captured(tmp_path, negative_length=True), *baseline)
    assert result.violations == [{"feature_name": "length", "constraint_check_type": "non_negative_check",
                                  "description": "1 negative values; the baseline constraint is_non_negative is true"}]


def test_drift_completeness_type_and_columns(tmp_path, baseline):
    rows = ["0.5,0.8,10"] * 8 + ["0.5,,10.5", "0.5,0.8"]
    write_variant(tmp_path, "ep", "v", [capture_record(r, "1", f"r{i}", "t") for i, r in enumerate(rows)])
    result = analyze_drift(load_captures(str(tmp_path)), *baseline)
    checks = {(v["feature_name"], v["constraint_check_type"]) for v in result.violations}
    assert {("", "missing_column_check"), ("weight", "completeness_check"), ("rings_hint", "data_type_check")} <= checks


def test_drift_constraint_for_unknown_feature_is_input_error(baseline):
    statistics, constraints = baseline
    constraints["features"][0]["name"] = "height"
    with pytest.raises(InputError, match=r"constraints\.features\[0\]\.name: 'height': not a feature of the statistics file"):
        load_baseline(statistics, constraints)


def test_parse_json_rejects_non_baseline():
    with pytest.raises(InputError, match="features: missing or not a list"):
        parse_json(json.dumps({"version": 0}), "statistics.json")
