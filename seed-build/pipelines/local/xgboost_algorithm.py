"""Stand-in for SageMaker's built-in XGBoost algorithm (1.7-1): same inputs, same model file, run locally.

Reads /opt/ml/input/config/hyperparameters.json (all values strings) and the CSV channels in
/opt/ml/input/data/<channel> (label first, no header), trains with the xgboost library, and writes
/opt/ml/model/xgboost-model with Booster.save_model, as the 1.3-1 and later containers do. The file
holds XGBoost's JSON model format, which the 1.7-1 serving container and every newer xgboost load.
"""
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import xgboost

MODEL_FILE = "xgboost-model"
# Hyperparameters the container consumes itself rather than passing to xgboost.train's params.
NOT_PARAMS = {"num_round", "early_stopping_rounds", "csv_weights"}


def read_channel(folder: Path) -> xgboost.DMatrix:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if not files:
        raise ValueError(f"channel {folder.name}: no files")
    data = np.vstack([np.loadtxt(path, delimiter=",", ndmin=2) for path in files])
    return xgboost.DMatrix(data[:, 1:], label=data[:, 0])


def train(ml_root: Path) -> xgboost.Booster:
    hyperparameters = json.loads((ml_root / "input/config/hyperparameters.json").read_text())
    params = {key: _number(value) for key, value in hyperparameters.items() if key not in NOT_PARAMS}
    params.setdefault("nthread", 1)  # deterministic and fair on shared machines
    channels = {p.name: read_channel(p) for p in sorted((ml_root / "input/data").iterdir())}
    if "train" not in channels:
        raise ValueError("the train channel is required")
    evals = [(matrix, name) for name, matrix in channels.items()]
    return xgboost.train(
        params,
        channels["train"],
        num_boost_round=int(hyperparameters.get("num_round", 100)),
        evals=evals,
        verbose_eval=False,
    )


def _number(value: str):
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def failure_reason(error: Exception) -> str:
    """XGBoost's own message: its first line, without the native source location or the backtrace after it."""
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return re.sub(r"^\[[\d:]+\] \S+:\d+: ", "", lines[0])


def main() -> int:
    ml_root = Path(os.environ.get("ML_ROOT", "/opt/ml"))
    try:
        booster = train(ml_root)
    except (xgboost.core.XGBoostError, ValueError) as error:
        # Where SageMaker's training containers write why a job failed (its FailureReason); last on stderr too.
        reason = f"AlgorithmError: {failure_reason(error)}"
        (ml_root / "output").mkdir(parents=True, exist_ok=True)
        (ml_root / "output" / "failure").write_text(reason)
        print(reason, file=sys.stderr)
        return 1
    model_dir = ml_root / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    # save_model picks the format from the extension; the container's file name has none.
    booster.save_model(str(model_dir / f"{MODEL_FILE}.json"))
    os.replace(model_dir / f"{MODEL_FILE}.json", model_dir / MODEL_FILE)
    print(f"train: {booster.num_boosted_rounds()} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
