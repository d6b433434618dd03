"""Data quality against a Model Monitor baseline, with the columns the real job compares (output, then input)."""
import json

import numpy as np
import pytest

from mlops_guardrails.deploy.analysis.captures import load_captures
from mlops_guardrails.deploy.analysis.drift import analyze_drift, dataset_rows, load_baseline, parse_json
from mlops_guardrails.errors import InputError

from .baseline_files import baseline_files
from .capture_files import capture_record, write_variant

# The label (the model's prediction when monitoring) first, then the features: the training data's layout.
COLUMNS = [("rings", "Integral", 10, 3), ("length", "Fractional", 0.5, 0.1), ("weight", "Fractional", 0.8, 0.2)]


def sample(rng, n):
    columns = [rng.normal(mean, sd, n) for _, _, mean, sd in COLUMNS]
    columns[0] = np.round(columns[0])
    return columns


@pytest.fixture
def baseline():
    columns = sample(np.random.default_rng(1), 2000)
    return baseline_files({name: (kind, col) for (name, kind, _, _), col in zip(COLUMNS, columns)})


def captured(tmp_path, shift_weight=0.0, negative_length=False, n=400):
    """CSV captures: the features as the request, the (integer-valued) prediction as the response."""
    rings, length, weight = sample(np.random.default_rng(2), n)
    weight = weight + shift_weight
    if negative_length:
        length[0] = -0.25
    records = [capture_record(f"{a:.4f},{b:.4f}", f"{int(r)}", f"r{i}", "2024-05-01T12:00:00Z")
               for i, (r, a, b) in enumerate(zip(rings, length, weight))]
    write_variant(tmp_path, "demo-prod", "AllTraffic", records)
    return load_captures(str(tmp_path))


def test_dataset_rows_put_the_output_before_the_input(tmp_path):
    write_variant(tmp_path, "ep", "v", [capture_record("0.5,0.8\n", "11\n", "a", "t")])
    assert dataset_rows(load_captures(str(tmp_path))) == [["11", "0.5", "0.8"]]


def test_drift_same_distribution_passes(tmp_path, baseline):
    result = analyze_drift(captured(tmp_path), *baseline)
    assert result.verdict == "pass" and result.violations == []
    assert all(d.distance < 0.1 for d in result.features)
    assert (result.rows, result.columns) == (400, 3)


def test_drift_shifted_feature_is_the_only_drift_violation(tmp_path, baseline):
    result = analyze_drift(captured(tmp_path, shift_weight=0.2), *baseline)  # one standard deviation
    assert result.verdict == "fail"
    assert [(v["feature_name"], v["constraint_check_type"]) for v in result.violations] == [("weight", "baseline_drift_check")]
    weight = result.features[2]
    assert weight.distance > 0.3 and weight.psi > 0.25
    assert "exceeds comparison_threshold 0.1" in result.violations[0]["description"]


def test_drift_negative_value_is_noted_not_a_violation(tmp_path, baseline):
    # Model Monitor's violation schema names no check for is_non_negative: reported, not invented.
    result = analyze_drift(captured(tmp_path, negative_length=True), *baseline)
    assert result.verdict == "pass" and result.violations == []
    assert result.notes == ["length: 1 negative values where the baseline's num_constraints.is_non_negative is true "
                            "(Model Monitor's documented checks name no violation for it: not counted)"]


def test_drift_input_only_baseline_shifts_every_column_like_the_real_job(tmp_path, baseline):
    # A baseline of the features alone (no label column) sees the prediction in its first column and one
    # extra column: the aws/amazon-sagemaker-examples notebook's "Only 0.0% of data is Integral" case.
    statistics, constraints = baseline
    for document in (statistics, constraints):
        document["features"] = document["features"][1:]
    rows = [f"0.{i % 9 + 1}00,0.8" for i in range(50)]
    write_variant(tmp_path, "ep", "v", [capture_record(r, "9.73", f"r{i}", "t") for i, r in enumerate(rows)])
    result = analyze_drift(load_captures(str(tmp_path)), statistics, constraints)
    checks = {(v["feature_name"], v["constraint_check_type"]) for v in result.violations}
    assert ("_c2", "extra_column_check") in checks and ("length", "baseline_drift_check") in checks


def test_drift_completeness_type_and_missing_column(tmp_path, baseline):
    rows = [("0.5,0.8", "10")] * 8 + [("0.5,", "10.5"), ("0.5", "10")]
    write_variant(tmp_path, "ep", "v", [capture_record(i, o, f"r{n}", "t") for n, (i, o) in enumerate(rows)])
    result = analyze_drift(load_captures(str(tmp_path)), *baseline)
    checks = {(v["feature_name"], v["constraint_check_type"]): v["description"] for v in result.violations}
    assert checks[("weight", "completeness_check")] == "completeness 80.00% is below the baseline constraint 100.00%"
    assert checks[("rings", "data_type_check")] == ("expected data type Integral for at least 100.00% of values "
                                                    "(datatype_check_threshold); observed 90.00%")
    assert ("weight", "missing_column_check") not in checks  # the widest row has every column


def test_drift_too_few_columns_is_missing_column_check(tmp_path, baseline):
    write_variant(tmp_path, "ep", "v", [capture_record("0.5", "10", f"r{n}", "t") for n in range(5)])
    result = analyze_drift(load_captures(str(tmp_path)), *baseline)
    assert {"feature_name": "weight", "constraint_check_type": "missing_column_check",
            "description": "the captured rows have 2 columns (endpoint output then input); the baseline has 3, "
                           "so this feature is missing"} in result.violations


def test_drift_constraint_for_a_feature_the_statistics_lack_is_a_violation(tmp_path, baseline):
    # The SDK's own tests/data/monitor/constraints.json names "second_message", absent from its statistics.json.
    statistics, constraints = baseline
    constraints["features"].append({"name": "height", "inferred_type": "Fractional", "completeness": 1.0})
    assert load_baseline(statistics, constraints).unknown_constraints == ["height"]
    result = analyze_drift(captured(tmp_path), statistics, constraints)
    assert result.verdict == "fail"
    assert result.violations == [{"feature_name": "height", "constraint_check_type": "missing_column_check",
                                  "description": "constraints.json names this feature but the baseline statistics "
                                                 "(the captured columns) have no such column"}]


def test_drift_categorical_values_check_on_string_domains(tmp_path):
    statistics = {"version": 0.0, "features": [{"name": "color", "inferred_type": "String"}]}
    constraints = {"version": 0.0, "features": [{"name": "color", "inferred_type": "String", "completeness": 1.0,
                                                 "string_constraints": {"domains": ["red", "blue"]}}],
                   "monitoring_config": {"domain_content_threshold": 0.9}}
    write_variant(tmp_path, "ep", "v", [capture_record(c, "", f"r{i}", "t") for i, c in enumerate(["red"] * 8 + ["green"] * 2)])
    for record_file in tmp_path.rglob("*.jsonl"):  # input-only capture (CaptureOptions: Input)
        lines = [json.loads(line) for line in record_file.read_text().splitlines()]
        for line in lines:
            del line["captureData"]["endpointOutput"]
        record_file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = analyze_drift(load_captures(str(tmp_path)), statistics, constraints)
    assert [(v["feature_name"], v["constraint_check_type"]) for v in result.violations] == [("color", "categorical_values_check")]
    assert "80.00% of values are in the baseline's domains" in result.violations[0]["description"]


def test_drift_evaluate_constraints_disabled_checks_drift_only(tmp_path, baseline):
    statistics, constraints = baseline
    constraints["monitoring_config"]["evaluate_constraints"] = "Disabled"
    rows = [("0.5,0.8", "10.5")] * 10
    write_variant(tmp_path, "ep", "v", [capture_record(i, o, f"r{n}", "t") for n, (i, o) in enumerate(rows)])
    result = analyze_drift(load_captures(str(tmp_path)), statistics, constraints)
    assert {v["constraint_check_type"] for v in result.violations} == {"baseline_drift_check"}


def test_drift_json_captures_are_read_not_split_on_commas(tmp_path, baseline):
    # The XGBoost/linear-learner JSON request shape; split on commas it would yield numbers like 1.3e5.
    rng = np.random.default_rng(3)
    rings, length, weight = sample(rng, 200)
    records = [capture_record(json.dumps({"instances": [{"features": [round(a, 4), round(b, 4)]}]}),
                              json.dumps({"predictions": [{"score": int(r)}]}), None, "t",
                              input_type="application/json", output_type="application/json")
               for r, a, b in zip(rings, length, weight)]
    write_variant(tmp_path, "ep", "v", records)
    result = analyze_drift(load_captures(str(tmp_path)), *baseline)
    assert result.verdict == "pass", result.violations
    assert result.features[1].mean == pytest.approx(float(np.mean(np.round(length, 4))))


def test_drift_unreadable_payload_is_refused_naming_file_line_and_content_type(tmp_path, baseline):
    write_variant(tmp_path, "ep", "v", [capture_record("\x89PNG", "10", "a", "t", input_type="image/png")])
    with pytest.raises(InputError, match=r"1 captured payloads could not be read:\n  .*\.jsonl:1: captureData\.endpointInput\."
                                         r"observedContentType: 'image/png': not readable as rows"):
        analyze_drift(load_captures(str(tmp_path)), *baseline)


def test_parse_json_rejects_non_baseline():
    with pytest.raises(InputError, match="features: missing or not a list"):
        parse_json(json.dumps({"version": 0}), "statistics.json")


def test_drift_a_sketch_that_is_not_kll_falls_back_to_the_buckets_with_a_note(tmp_path, baseline):
    # What this template wrote before: sorted quantiles in one level (here 63), standing for 63 values, not 2000.
    statistics, constraints = baseline
    sketch = statistics["features"][1]["numerical_statistics"]["distribution"]["kll"]["sketch"]
    sketch["data"] = [sorted(sketch["data"][0])[::32][:64]]
    result = analyze_drift(captured(tmp_path), statistics, constraints)
    assert result.notes == ["statistics: length: kll.sketch.data: its levels stand for 63 values, num_present is 2000: "
                            "not a KLL sketch of this feature; its buckets are used instead"]
    assert result.verdict == "pass" and result.features[1].distance < 0.1
