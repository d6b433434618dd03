"""The data-quality baseline against a real Model Monitor analyzer output, and its KLL sketch's guarantees."""
import json
import tarfile

import numpy as np
import pandas as pd
import pytest
import xgboost

from conftest import DATA
from pipelines.abalone import baseline, preprocess

# The analyzer's layout, as a real analyzer output shows it: aws/sagemaker-python-sdk
# tests/data/pipeline/quality_check_step/data_quality/statistics.json (commit 4f1d3293eb407889ec76f0a0eae4dc56fa4d2acd),
# 100 rows of six header-less columns (so named _c0.._c5) of whole numbers written as decimals (so Fractional).
# baseline.statistics() was checked against that file on its own data while this was written (every figure
# equal, std_dev to the last digit); the file's data is not copied here, so this test holds the same shape
# on data of the same kind made here: population std_dev, ten buckets from min in equal steps whose last
# ends at max, and a sketch that keeps the raw values, in arrival order, in one level while they fit.
def whole_number_columns() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({f"_c{i}": rng.integers(0, high, 100).astype(float) for i, high in enumerate([4, 2, 7, 9, 7, 6])})


def test_statistics_have_the_real_analyzer_files_shape_and_figures():
    frame = whole_number_columns()
    stats = baseline.statistics(frame)
    assert (stats["version"], stats["dataset"]) == (0.0, {"item_count": 100})
    for feature, name in zip(stats["features"], frame.columns):
        column = frame[name].to_numpy()
        numbers = feature["numerical_statistics"]
        assert (feature["name"], feature["inferred_type"], numbers["common"]) == (name, "Fractional", {"num_present": 100, "num_missing": 0})
        assert (numbers["mean"], numbers["sum"]) == (pytest.approx(column.mean()), column.sum())
        assert (numbers["min"], numbers["max"]) == (column.min(), column.max())
        assert numbers["std_dev"] == pytest.approx(column.std(ddof=0), rel=1e-14)  # population std, as the analyzer
        kll = numbers["distribution"]["kll"]
        step = (column.max() - column.min()) / 10
        assert [b["lower_bound"] for b in kll["buckets"]] == pytest.approx([column.min() + i * step for i in range(10)])
        assert kll["buckets"][-1]["upper_bound"] == column.max()
        assert [b["count"] for b in kll["buckets"]] == np.histogram(column, bins=10, range=(column.min(), column.max()))[0].tolist()
        assert kll["sketch"] == {"parameters": {"c": 0.64, "k": 2048.0}, "data": [column.tolist()]}
    json.dumps(stats)


def test_sketch_holds_raw_values_in_one_level_up_to_2050_then_compacts_as_the_analyzer():
    # The analyzer's sketch of 2,333 rows (aws/amazon-sagemaker-examples, sm-model_monitor_introduction notebook)
    # starts its level 0 with the values of rows 2051, 2052...: at the 2051st value the full level 0 (capacity
    # 2 * (ceil(2048 / 2) + 1) = 2050) passed every other of its 2050 sorted values up and kept the odd last one.
    values = np.random.default_rng(0).normal(size=2333)
    small = baseline.sketch_of(values[:2050])
    assert small.levels == [values[:2050].tolist()] and small.rank_error_bound() == 0
    sketch = baseline.sketch_of(values)
    assert sketch.levels[0] == values[2050:].tolist()
    assert sketch.levels[1] == sorted(values[:2050].tolist())[0::2]
    items, weights = sketch.weighted()
    assert weights.sum() == 2333 and len(items) == 283 + 1025


@pytest.mark.parametrize("n", [20_000, 200_000])
def test_sketch_counts_and_quantiles_stay_within_its_error_bound(n):
    values = np.random.default_rng(n).lognormal(size=n)
    sketch = baseline.sketch_of(values)
    items, weights = sketch.weighted()
    assert weights.sum() == n  # every value is counted once, whatever the level
    bound = sketch.rank_error_bound()
    exact = np.sort(values)
    for q in np.linspace(0.01, 0.99, 99):
        estimate = sketch.quantile(q)
        true_rank = np.searchsorted(exact, estimate, side="right")
        assert abs(true_rank - q * n) <= bound + weights.max()
        assert abs(sketch.rank(estimate, inclusive=True) - true_rank) <= bound
    assert bound / n < 0.02  # the worst case stays a small share of n: it grows only with log(n / k)
    assert len(items) < 6000  # and the sketch stays small however many values it saw


def test_buckets_are_counted_from_the_sketch_and_add_up_past_one_level():
    values = np.random.default_rng(1).uniform(0, 10, 5000)
    kll = baseline.distribution(values)["kll"]
    counts = [b["count"] for b in kll["buckets"]]
    assert sum(counts) == 5000
    exact = np.histogram(values, bins=10, range=(values.min(), values.max()))[0]
    bound = baseline.sketch_of(values).rank_error_bound()
    assert all(abs(c - e) <= 2 * bound for c, e in zip(counts, exact))
    assert len(kll["sketch"]["data"]) > 1


def test_constant_feature_puts_every_value_in_the_last_bucket():
    kll = baseline.distribution(np.full(7, 3.0))["kll"]
    assert [b["count"] for b in kll["buckets"]] == [0] * 9 + [7]


def test_main_writes_prediction_then_features_the_columns_a_capture_holds(tmp_path, monkeypatch):
    frame = preprocess.to_model_frame(preprocess.read_raw(DATA)).iloc[:300]
    booster = xgboost.train({"max_depth": 3}, xgboost.DMatrix(frame.iloc[:, 1:].to_numpy(), label=frame.iloc[:, 0].to_numpy()), 10)
    booster.save_model(str(tmp_path / "model.json"))
    root = tmp_path / "processing"
    (root / "model").mkdir(parents=True)
    with tarfile.open(root / "model" / "model.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "model.json", arcname="xgboost-model")
    (root / "input" / "baseline").mkdir(parents=True)
    frame[preprocess.FEATURES].to_csv(root / "input" / "baseline" / "baseline.csv", index=False)
    (root / "input" / "signature").mkdir(parents=True)
    (root / "input" / "signature" / "signature.json").write_text(json.dumps(preprocess.signature(frame)))
    monkeypatch.setenv("ML_ROOT", str(tmp_path))
    assert baseline.main() == 0
    stats = json.loads((root / "monitoring" / "statistics.json").read_text())
    constraints = json.loads((root / "monitoring" / "constraints.json").read_text())
    assert [f["name"] for f in stats["features"]] == ["prediction"] + preprocess.FEATURES
    assert [f["name"] for f in constraints["features"]] == ["prediction"] + preprocess.FEATURES
    predicted = booster.predict(xgboost.DMatrix(frame[preprocess.FEATURES].to_numpy()))
    first = stats["features"][0]
    assert first["inferred_type"] == "Fractional"
    assert first["numerical_statistics"]["mean"] == pytest.approx(float(predicted.mean()), rel=1e-6)
    assert stats["features"][1]["inferred_type"] == "Integral"  # the one-hot sex columns, sent as 0 or 1
