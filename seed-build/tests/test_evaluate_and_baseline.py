import json
import tarfile

import numpy as np
import pandas as pd
import pytest
import xgboost

from conftest import DATA
from pipelines.abalone import baseline, evaluate, preprocess


def test_regression_report_mse_and_error_spread_on_known_values():
    report = evaluate.regression_report(np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0, 3.0]))
    mse = report["regression_metrics"]["mse"]
    assert mse["value"] == pytest.approx(4 / 3)
    assert mse["standard_deviation"] == pytest.approx(np.std([0.0, -2.0, 0.0]))


def test_evaluate_scores_a_model_tarball_on_the_test_csv(tmp_path):
    frame = preprocess.to_model_frame(preprocess.read_raw(DATA)).iloc[:400]
    booster = xgboost.train({"max_depth": 3}, xgboost.DMatrix(frame.iloc[:, 1:].to_numpy(), label=frame.iloc[:, 0].to_numpy()), 20)
    booster.save_model(str(tmp_path / "model.json"))
    with tarfile.open(tmp_path / "model.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "model.json", arcname="xgboost-model")
    frame.to_csv(tmp_path / "test.csv", header=False, index=False)

    report = evaluate.evaluate(tmp_path / "model.tar.gz", tmp_path / "test.csv")

    expected = np.mean((frame.iloc[:, 0] - booster.predict(xgboost.DMatrix(frame.iloc[:, 1:].to_numpy()))) ** 2)
    assert report["regression_metrics"]["mse"]["value"] == pytest.approx(expected, rel=1e-5)
    json.dumps(report)  # serialisable as evaluation.json


def test_baseline_statistics_follow_model_monitors_shape():
    frame = pd.DataFrame({"sex_F": [0, 1, 0, 1], "length": [0.1, 0.2, 0.3, None]})
    stats = baseline.statistics(frame)
    assert stats["dataset"] == {"item_count": 4}
    sex, length = stats["features"]
    assert (sex["name"], sex["inferred_type"]) == ("sex_F", "Integral")
    assert length["inferred_type"] == "Fractional"
    numbers = length["numerical_statistics"]
    assert numbers["common"] == {"num_present": 3, "num_missing": 1}
    assert numbers["mean"] == pytest.approx(0.2)
    assert (numbers["min"], numbers["max"]) == (0.1, 0.3)
    buckets = numbers["distribution"]["kll"]["buckets"]
    assert len(buckets) == baseline.BUCKETS and sum(b["count"] for b in buckets) == 3
    assert buckets[0]["lower_bound"] == 0.1 and buckets[-1]["upper_bound"] == pytest.approx(0.3)


def test_baseline_constraints_record_completeness_and_sign():
    frame = pd.DataFrame({"a": [0.0, 1.0, None, 2.0], "b": [-1.0, 1.0, 2.0, 3.0]})
    constraints = {f["name"]: f for f in baseline.constraints(frame)["features"]}
    assert constraints["a"]["completeness"] == 0.75
    assert constraints["a"]["num_constraints"] == {"is_non_negative": True}
    assert constraints["b"]["num_constraints"] == {"is_non_negative": False}


def signature_of(names):
    return {"features": [{"name": name, "type": "Fractional"} for name in names], "count": len(names)}


def test_check_signature_agreeing_lists_and_model_width_pass():
    baseline.check_signature(signature_of(["a", "b"]), ["a", "b"], 2)


def test_check_signature_baseline_missing_a_feature_names_both_lists():
    with pytest.raises(baseline.SignatureMismatch) as error:
        baseline.check_signature(signature_of(["a", "b", "c"]), ["a", "b"], 3)
    assert "signature.json has 3 features (a, b, c); baseline.csv has 2 (a, b)" in str(error.value)


def test_check_signature_same_names_in_another_order_is_a_mismatch():
    with pytest.raises(baseline.SignatureMismatch, match=r"\(a, b\); baseline.csv has 2 \(b, a\)"):
        baseline.check_signature(signature_of(["a", "b"]), ["b", "a"], 2)


def test_check_signature_model_trained_on_another_width_is_named():
    with pytest.raises(baseline.SignatureMismatch, match="the trained model takes 11 features but signature.json lists 10"):
        baseline.check_signature(signature_of([f"f{i}" for i in range(10)]), [f"f{i}" for i in range(10)], 11)
