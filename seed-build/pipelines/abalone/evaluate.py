"""Processing script: score the trained model on the test split and write evaluation.json.

evaluation.json: {"regression_metrics": {"mse": {"value": MSE, "standard_deviation": SD}}}, where SD is
the standard deviation of the prediction errors, as the SageMaker abalone templates report it.
"""
import json
import os
import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost

MODEL_FILE = "xgboost-model"


def processing_root() -> Path:
    # SageMaker mounts everything under /opt/ml; run_local maps that folder elsewhere through ML_ROOT.
    return Path(os.environ.get("ML_ROOT", "/opt/ml")) / "processing"


def load_booster(model_tar: Path) -> xgboost.Booster:
    with tarfile.open(model_tar) as archive:
        raw = archive.extractfile(MODEL_FILE).read()
    booster = xgboost.Booster()
    booster.load_model(bytearray(raw))  # from bytes: the format is read from the content, not a file name
    return booster


def regression_report(labels: np.ndarray, predictions: np.ndarray) -> dict:
    errors = labels - predictions
    return {
        "regression_metrics": {
            "mse": {"value": float(np.mean(errors**2)), "standard_deviation": float(np.std(errors))}
        }
    }


def evaluate(model_tar: Path, test_csv: Path) -> dict:
    test = pd.read_csv(test_csv, header=None)
    labels = test.iloc[:, 0].to_numpy()
    predictions = load_booster(model_tar).predict(xgboost.DMatrix(test.iloc[:, 1:].to_numpy()))
    return regression_report(labels, predictions)


def main() -> int:
    root = processing_root()
    report = evaluate(root / "model" / "model.tar.gz", root / "test" / "test.csv")
    out = root / "evaluation"
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(report, indent=2))
    print(f"evaluate: test-set MSE {report['regression_metrics']['mse']['value']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
