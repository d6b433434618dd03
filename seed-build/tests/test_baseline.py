"""The data-quality baseline against a real Model Monitor analyzer output, and its KLL sketch's guarantees."""
import json
import tarfile

import numpy as np
import pandas as pd
import pytest
import xgboost

from conftest import DATA
from pipelines.abalone import baseline, preprocess

# A real analyzer output: aws/sagemaker-python-sdk tests/data/pipeline/quality_check_step/data_quality/
# statistics.json (commit 4f1d3293eb407889ec76f0a0eae4dc56fa4d2acd; the SDK's v3 removed it). 100 rows of
# six header-less columns (so named _c0.._c5), all whole numbers written as decimals (so Fractional). Its
# sketches hold one level, the raw values in arrival order: that is the data, transcribed here a digit a
# value; then the figures the analyzer wrote for it: mean, sum, std_dev, min, max, bucket lower bounds,
# bucket counts.
REAL = {
    "_c0": ("3123333333232313133312123133333231313333323323112131312113333313132332323131323333322121321131223323",
            2.31, 231.0, 0.8330066026148891, 1.0, 3.0, [1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8],
            [24, 0, 0, 0, 0, 21, 0, 0, 0, 55]),
    "_c1": ("0100010000000111100101010100101001001000001001100000000110010011011101001001100000011011000101010101",
            0.38, 38.0, 0.48538644398046393, 0.0, 1.0, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
            [62, 0, 0, 0, 0, 0, 0, 0, 0, 38]),
    "_c2": ("2422454255506122126430625446133362426433251351232123056162651614236653100563406002613645334000616554",
            3.21, 321.0, 1.9763349918472826, 0.0, 6.0, [0.0, 0.6, 1.2, 1.8, 2.4, 3.0, 3.6, 4.2, 4.8, 5.4],
            [11, 12, 0, 17, 0, 15, 13, 0, 14, 18]),
    "_c3": ("0110010000000000110101001100002001000100000115010030001100004000001010001020000010100100001101002801",
            0.52, 52.0, 1.1178550889985697, 0.0, 8.0, [0.0, 0.8, 1.6, 2.4, 3.2, 4.0, 4.8, 5.6, 6.4, 7.2],
            [67, 26, 3, 1, 0, 1, 1, 0, 0, 1]),
    "_c4": ("0000010000000000000100000000100000004000000602030000001010022000020010001020000000520032001001010200",
            0.47, 47.0, 1.0719608201795439, 0.0, 6.0, [0.0, 0.6, 1.2, 1.8, 2.4, 3.0, 3.6, 4.2, 4.8, 5.4],
            [77, 10, 0, 8, 0, 2, 1, 0, 1, 1]),
    "_c5": ("0320012001102020410232220300202113122000011323452223122330012040212021012332110010233333013304221310",
            1.52, 152.0, 1.252836781069266, 0.0, 5.0, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5],
            [29, 0, 20, 0, 27, 0, 19, 0, 4, 1]),
}


def real_columns() -> pd.DataFrame:
    return pd.DataFrame({name: [float(d) for d in row[0]] for name, row in REAL.items()})


def test_statistics_match_the_real_analyzer_file_on_the_same_data():
    stats = baseline.statistics(real_columns())
    assert (stats["version"], stats["dataset"]) == (0.0, {"item_count": 100})
    for feature, (name, (digits, mean, total, std, low, high, lowers, counts)) in zip(stats["features"], REAL.items()):
        numbers = feature["numerical_statistics"]
        assert (feature["name"], feature["inferred_type"], numbers["common"]) == (name, "Fractional", {"num_present": 100, "num_missing": 0})
        assert (numbers["mean"], numbers["sum"], numbers["min"], numbers["max"]) == (mean, total, low, high)
        assert numbers["std_dev"] == pytest.approx(std, rel=1e-14)  # population std; Spark sums in another order
        kll = numbers["distribution"]["kll"]
        assert [b["lower_bound"] for b in kll["buckets"]] == lowers and kll["buckets"][-1]["upper_bound"] == high
        assert [b["count"] for b in kll["buckets"]] == counts
        assert kll["sketch"] == {"parameters": {"c": 0.64, "k": 2048.0}, "data": [[float(d) for d in digits]]}
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
