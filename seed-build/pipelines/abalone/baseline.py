"""Processing script: the data-quality baseline (statistics.json, constraints.json) of what the endpoint sees.

Model Monitor's data-quality job compares each captured CSV record as the endpoint's output followed by
its input, column by column, with the baseline's features (the developer guide's preprocessing example
builds output_data + "," + input_data; in aws/amazon-sagemaker-examples' sm-model_monitor_introduction
notebook the captured prediction lands in the baseline's first column). So the baseline here is the
model's prediction on each training row, then that row's features: the columns a capture of this model has.

It writes what Model Monitor's analyzer writes, key for key (developer guide, "Schema for Statistics" and
"Schema for Constraints"; a real analyzer output in aws/sagemaker-python-sdk,
tests/data/pipeline/quality_check_step/data_quality/statistics.json): per feature its inferred type,
num_present/num_missing, mean, sum, population std_dev, min, max, ten equal-width buckets and the KLL
sketch, built and serialised as the analyzer's Deequ library does (KllSketch below).

Before any of it, the model's input signature (preprocess.py's signature.json), the baseline's columns and
the trained model's feature count must agree: this step runs before registration, so a model whose
features and baseline differ is never registered (the error names both lists).
"""
import json
import math
import os
import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost

BUCKETS = 10
SKETCH_SIZE = 2048       # Deequ's KLL defaults, which the analyzer writes as "k": 2048.0 and "c": 0.64
SHRINKING_FACTOR = 0.64
MODEL_FILE = "xgboost-model"
PREDICTION = "prediction"  # the name of the endpoint output's column


def processing_root() -> Path:
    # SageMaker mounts everything under /opt/ml; run_local maps that folder elsewhere through ML_ROOT.
    return Path(os.environ.get("ML_ROOT", "/opt/ml")) / "processing"


class KllSketch:
    """The KLL quantile sketch as the analyzer computes it: awslabs/deequ's QuantileNonSample and
    NonSampleCompactor (Apache-2.0; written here from their description, not copied).

    Level h holds items that each stand for 2 ** h values. Level h holds at most
    2 * (ceil(k * c ** h / 2) + 1) items; once all levels together hold more than their capacities, the
    lowest full level sorts its items (all but an odd last one, which stays), passes every other one up,
    starting at the first item on its 1st, 4th, 5th, 8th... compaction and at the second otherwise. Up to
    2050 values (k = 2048) the sketch is one level of the raw values in arrival order, as the analyzer's
    files show. Each compaction at level h moves any rank by at most 2 ** h: rank_error_bound() sums that.
    """

    def __init__(self, k: int = SKETCH_SIZE, c: float = SHRINKING_FACTOR) -> None:
        self.k, self.c = k, c
        self.levels: list[list[float]] = [[]]
        self.compactions: list[int] = [0]
        self.offsets: list[int] = [0]

    def capacity(self, height: int) -> int:
        return 2 * (math.ceil(self.k * self.c**height / 2) + 1)

    def update(self, value: float) -> None:
        self.levels[0].append(float(value))
        if sum(map(len, self.levels)) > sum(self.capacity(h) for h in range(len(self.levels))):
            self._condense()

    def _condense(self) -> None:
        for height, level in enumerate(self.levels):
            if len(level) >= self.capacity(height):
                if height + 1 == len(self.levels):
                    self.levels.append([])
                    self.compactions.append(0)
                    self.offsets.append(0)
                self.levels[height + 1].extend(self._compact(height))
                return

    def _compact(self, height: int) -> list[float]:
        level = self.levels[height]
        even = len(level) - len(level) % 2
        if self.compactions[height] % 2 == 1:
            self.offsets[height] = 1 - self.offsets[height]
        chosen = sorted(level[:even])[self.offsets[height]::2]
        self.levels[height] = level[even:]
        self.compactions[height] += 1
        return chosen

    def weighted(self) -> tuple[np.ndarray, np.ndarray]:
        """Every item the sketch holds and the number of values it stands for."""
        items = np.array([x for level in self.levels for x in level], float)
        weights = np.array([2**h for h, level in enumerate(self.levels) for _ in level], float)
        return items, weights

    def rank(self, value: float, inclusive: bool = False) -> float:
        """Estimated number of values below value (or at most value when inclusive)."""
        items, weights = self.weighted()
        return float(weights[(items <= value) if inclusive else (items < value)].sum())

    def quantile(self, q: float) -> float:
        """The smallest held item whose inclusive rank reaches q of the values."""
        items, weights = self.weighted()
        order = np.argsort(items, kind="stable")
        cumulative = np.cumsum(weights[order])
        return float(items[order][min(np.searchsorted(cumulative, q * cumulative[-1]), len(items) - 1)])

    def rank_error_bound(self) -> int:
        return sum(count * 2**h for h, count in enumerate(self.compactions))


def sketch_of(values: np.ndarray) -> KllSketch:
    sketch = KllSketch()
    for value in values:
        sketch.update(value)
    return sketch


def inferred_type(values: pd.Series) -> str:
    if pd.api.types.is_integer_dtype(values):
        return "Integral"
    if pd.api.types.is_numeric_dtype(values):
        return "Fractional"
    return "String"


def distribution(values: np.ndarray) -> dict:
    """Ten equal-width buckets from min to max, counted from the sketch as the analyzer counts them (values in
    [lower, upper), the last bucket closed), and the sketch's levels."""
    sketch = sketch_of(values)
    low, high = float(values.min()), float(values.max())
    edges = [low + (high - low) * i / BUCKETS for i in range(BUCKETS + 1)]
    buckets = [
        {"lower_bound": lower, "upper_bound": upper,
         "count": sketch.rank(upper, inclusive=i == BUCKETS - 1) - sketch.rank(lower)}
        for i, (lower, upper) in enumerate(zip(edges[:-1], edges[1:]))
    ]
    parameters = {"c": SHRINKING_FACTOR, "k": float(SKETCH_SIZE)}
    return {"kll": {"buckets": buckets, "sketch": {"parameters": parameters, "data": sketch.levels}}}


def feature_statistics(name: str, values: pd.Series) -> dict:
    present = values.dropna().to_numpy(dtype=float)
    return {
        "name": name,
        "inferred_type": inferred_type(values),
        "numerical_statistics": {
            "common": {"num_present": int(present.size), "num_missing": int(values.isna().sum())},
            "mean": float(present.mean()),
            "sum": float(present.sum()),
            "std_dev": float(present.std()),  # population standard deviation, as the analyzer's
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


def load_booster(model_tar: Path) -> xgboost.Booster:
    # Each processing script ships alone (ScriptProcessor uploads one file), so evaluate.py's loader is repeated.
    with tarfile.open(model_tar) as archive:
        raw = archive.extractfile(MODEL_FILE).read()
    booster = xgboost.Booster()
    booster.load_model(bytearray(raw))
    return booster


class SignatureMismatch(Exception):
    """The signature, the baseline's columns and the model's feature count disagree."""


def check_signature(signature: dict, baseline_columns: list[str], model_features: int) -> None:
    """Raise SignatureMismatch naming both lists unless the three agree, name for name and in order."""
    names = [feature["name"] for feature in signature["features"]]
    if names != list(baseline_columns):
        raise SignatureMismatch(
            f"feature signature and data-quality baseline disagree: signature.json has {len(names)} features "
            f"({', '.join(names)}); baseline.csv has {len(baseline_columns)} ({', '.join(baseline_columns)}): "
            f"make preprocess.py write both from FEATURES")
    if model_features != len(names):
        raise SignatureMismatch(
            f"the trained model takes {model_features} features but signature.json lists {len(names)} "
            f"({', '.join(names)}): train on the columns the signature names")


def endpoint_columns(features: pd.DataFrame, booster: xgboost.Booster) -> pd.DataFrame:
    """What a capture of this model holds, column for column: the prediction, then the request's features."""
    predictions = booster.predict(xgboost.DMatrix(features.to_numpy(dtype=float)))
    return pd.concat([pd.DataFrame({PREDICTION: predictions.astype(float)}, index=features.index), features], axis=1)


def main() -> int:
    root = processing_root()
    features = pd.read_csv(root / "input" / "baseline" / "baseline.csv")
    booster = load_booster(root / "model" / "model.tar.gz")
    signature = json.loads((root / "input" / "signature" / "signature.json").read_text())
    try:
        check_signature(signature, list(features.columns), booster.num_features())
    except SignatureMismatch as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    frame = endpoint_columns(features, booster)
    out = root / "monitoring"
    out.mkdir(parents=True, exist_ok=True)
    (out / "statistics.json").write_text(json.dumps(statistics(frame), indent=2))
    (out / "constraints.json").write_text(json.dumps(constraints(frame), indent=2))
    print(f"baseline: {len(frame)} rows, {frame.shape[1]} columns ({PREDICTION}, then {features.shape[1]} features)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
