"""The registered data-quality baseline (seed-build) lines up with what the rehearsal captures (seed-deploy).

Model Monitor's data-quality job compares a CSV capture as the endpoint's output then its input, column by
column, with the baseline's features (the developer guide's preprocessing example, output + "," + input;
the sm-model_monitor_introduction notebook in aws/amazon-sagemaker-examples, where the captured
probability lands in the baseline's first column). Both seeds stand alone, so this check lives here.
"""
import importlib.util
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import xgboost

from mlops_guardrails.deploy.analysis.captures import load_captures
from mlops_guardrails.deploy.analysis.drift import analyze_drift
from mlops_guardrails.deploy.rehearsal.data_capture import CaptureConfig, CaptureWriter, capture_record
from mlops_guardrails.deploy.rehearsal.models import load_model, write_artifact

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "seed-build"


def script(name: str):
    """A processing script of the build seed, loaded from its file as the processing container runs it."""
    spec = importlib.util.spec_from_file_location(f"build_{name}", BUILD / "pipelines" / "abalone" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_a_worker_thread(function):
    """function() on a worker thread, where the endpoint host's requests run the model: on the main thread
    XGBoost's OpenMP pool makes each training round and each one-row prediction 5-25x slower (measured: 626
    predictions 2.4 s there, 0.09 s on a worker; benchmarks/endpoint_host.py measures the model the same way)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


def test_registered_baseline_and_rehearsal_captures_have_the_same_columns(tmp_path):
    preprocess, baseline = script("preprocess"), script("baseline")
    frame = preprocess.to_model_frame(preprocess.read_raw(BUILD / "data" / "abalone.csv"))
    split = preprocess.split_indices(len(frame), 42)
    train, test = frame.iloc[split["train"]], frame.iloc[split["test"]]
    booster = on_a_worker_thread(lambda: xgboost.train(
        {"max_depth": 5, "eta": 0.2, "objective": "reg:squarederror"},
        xgboost.DMatrix(train[preprocess.FEATURES].to_numpy(), label=train[preprocess.LABEL].to_numpy()), 50))
    features = train[preprocess.FEATURES].reset_index(drop=True)
    columns = baseline.endpoint_columns(features, booster)
    statistics, constraints = baseline.statistics(columns), baseline.constraints(columns)

    # The rehearsal's endpoint answers each test row as the XGBoost container does and captures it.
    model = load_model(str(write_artifact(tmp_path / "model.tar.gz", bytes(booster.save_raw("json")))))
    writer = CaptureWriter(CaptureConfig(destination=str(tmp_path / "captures")))

    def serve_the_test_rows():
        for i, row in enumerate(test[preprocess.FEATURES].itertuples(index=False)):
            body = (",".join(str(v) for v in row) + "\n").encode()
            output, output_type = model.invoke(body, "text/csv", "text/csv")
            record = capture_record(request=body, request_type="text/csv", response=output,
                                    response_type=output_type, inference_time=1714564800 + i, inference_id=None,
                                    config=writer.config)
            writer.add("abalone-prod", "AllTraffic", record, 1714564800 + i)
    on_a_worker_thread(serve_the_test_rows)
    writer.flush()

    result = analyze_drift(load_captures(str(tmp_path / "captures")), statistics, constraints)
    assert result.columns == len(statistics["features"]) == 1 + len(preprocess.FEATURES)
    assert [d.feature.name for d in result.features] == ["prediction"] + preprocess.FEATURES
    assert result.verdict == "pass", result.violations
    predictions = booster.predict(xgboost.DMatrix(test[preprocess.FEATURES].to_numpy()))
    assert result.features[0].mean == pytest.approx(float(predictions.mean()), abs=1e-4)
    assert max(d.distance for d in result.features) < 0.1

    # A baseline of the features alone (what this template registered before) is off by one column.
    shifted = baseline.statistics(features), baseline.constraints(features)
    misaligned = analyze_drift(load_captures(str(tmp_path / "captures")), *shifted)
    assert {(v["feature_name"], v["constraint_check_type"]) for v in misaligned.violations} >= {
        ("_c10", "extra_column_check"), ("sex_F", "data_type_check")}
