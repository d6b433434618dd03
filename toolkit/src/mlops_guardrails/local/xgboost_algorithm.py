"""Stand-in for SageMaker's built-in XGBoost algorithm, image 1.7-1: its training, run locally.

Runs under the container's own xgboost (1.7.4, in .venv-xgboost-1.7: see xgboost_env.py), so it imports
nothing but the standard library, numpy and xgboost. Reads /opt/ml/input/config/hyperparameters.json
(all values strings) and the channels in /opt/ml/input/data/<channel>, trains, and writes
/opt/ml/model/xgboost-model with Booster.save_model, which xgboost 1.7 writes in its legacy binary
format: the very file the container writes.

Behaviour follows aws/sagemaker-xgboost-container, tag v1.7-1-1 (own code, not a copy):
algorithm_mode/train.py (num_round required; train and validation watched; early stopping on the last
metric of the validation set; bst.save_model(model_dir + "/xgboost-model")) and data_utils.py (file mode
reads every file of a channel through xgboost's own CSV or LIBSVM parser, label first; the delimiter is
sniffed from the first line; csv_weights=1 takes column 2 as instance weights).

    python -m mlops_guardrails.local.xgboost_algorithm [ML_ROOT]     (default: $ML_ROOT, else /opt/ml)
"""
import csv
import json
import os
import re
import sys
from pathlib import Path

import xgboost

MODEL_FILE = "xgboost-model"
# Hyperparameters the container consumes itself rather than passing to xgboost.train's params.
NOT_PARAMS = {"num_round", "early_stopping_rounds", "csv_weights", "save_model_on_termination"}
CSV_TYPES = {"csv", "text/csv"}
LIBSVM_TYPES = {"libsvm", "text/libsvm", "text/x-libsvm"}


class AlgorithmError(Exception):
    """The training job fails with this message, as the container's UserError would."""


def train_main(ml_root: Path) -> int:
    """The training job: read the config and channels under ml_root, train, write model/xgboost-model."""
    hyperparameters = json.loads((ml_root / "input/config/hyperparameters.json").read_text())
    content_types = _content_types(ml_root / "input/config/inputdataconfig.json")
    channels = {
        name: read_channel(ml_root / "input/data" / name, content_types.get(name), hyperparameters, ml_root)
        for name in ("train", "validation")
        if (ml_root / "input/data" / name).is_dir()
    }
    if "train" not in channels:
        raise AlgorithmError("channel train: required, and it holds no data")
    booster = train(hyperparameters, channels)
    model_dir = ml_root / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(model_dir / MODEL_FILE))  # no extension: xgboost 1.7 writes its binary format
    print(f"train: xgboost {xgboost.__version__}, {booster.num_boosted_rounds()} rounds")
    return 0


def train(hyperparameters: dict[str, str], channels: dict[str, xgboost.DMatrix]) -> xgboost.Booster:
    if "num_round" not in hyperparameters:
        raise AlgorithmError("hyperparameter num_round: required by the XGBoost algorithm")
    params = {key: _number(value) for key, value in hyperparameters.items() if key not in NOT_PARAMS}
    params.setdefault("nthread", 1)  # fair on shared machines; trees and the saved model do not depend on it
    early_stopping = hyperparameters.get("early_stopping_rounds")
    return xgboost.train(
        params,
        channels["train"],
        num_boost_round=int(hyperparameters["num_round"]),
        evals=[(matrix, name) for name, matrix in channels.items()],
        early_stopping_rounds=int(early_stopping) if early_stopping and "validation" in channels else None,
        verbose_eval=False,
    )


def read_channel(folder: Path, content_type: str | None, hyperparameters: dict, ml_root: Path) -> xgboost.DMatrix:
    """Every file of the channel (subfolders too, dotfiles and _files skipped) in one DMatrix."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
    if not files:
        raise AlgorithmError(f"channel {folder.name}: no data files in {folder}")
    # xgboost's parser reads a folder of files: link them side by side, as the container does.
    flat = ml_root / "input/flat" / folder.name
    flat.mkdir(parents=True, exist_ok=True)
    for number, path in enumerate(files):
        link = flat / f"{number:05d}-{path.name}"
        if not link.exists():
            link.symlink_to(path)
    media = (content_type or "libsvm").split(";")[0].strip().lower()  # the container's default: LIBSVM
    if media in CSV_TYPES:
        delimiter = _sniff_delimiter(files[0])
        weights = "&weight_column=1" if str(hyperparameters.get("csv_weights", "0")) == "1" else ""
        uri = f"{flat}?format=csv&label_column=0&delimiter={delimiter}{weights}"
    elif media in LIBSVM_TYPES:
        for path in files:
            _check_libsvm(path)
        uri = f"{flat}?format=libsvm"
    else:
        raise AlgorithmError(f"channel {folder.name}: ContentType {content_type}: supported locally: text/csv, text/libsvm")
    try:
        return xgboost.DMatrix(uri)
    except xgboost.core.XGBoostError as error:
        raise AlgorithmError(f"channel {folder.name}: failed to load {media} data: {error}") from error


def _sniff_delimiter(path: Path) -> str:
    first = path.open().readline()
    try:
        return csv.Sniffer().sniff(first).delimiter
    except csv.Error as error:
        raise AlgorithmError(f"{path.name}: could not determine the CSV delimiter on line {first[:50]!r}") from error


def _check_libsvm(path: Path) -> None:
    """data_utils._validate_libsvm_format: the first line with features must read <label> <index>:<value> ...
    (xgboost's own parser does not check, and can crash on other text)."""
    with path.open(errors="ignore") as file:
        for line in file:
            label, *items = line.rstrip("\n").split(" ")
            try:
                [float(part) for part in label.split(":")]
                valid = len(label.split(":")) <= 2 and all(len(item.split(":")) == 2 for item in items)
            except ValueError:
                valid = False
            if not valid:
                raise AlgorithmError(f"{path.name}: first line {line[:50]!r} is not LIBSVM "
                                     "(<label> <index>:<value> ...); check the channel's ContentType")
            if items:
                return


def _content_types(path: Path) -> dict[str, str | None]:
    """ContentType per channel from inputdataconfig.json (a channel without one is LIBSVM, as in the container)."""
    if not path.is_file():
        raise AlgorithmError(f"{path}: missing; SageMaker writes it for every training job")
    return {name: spec.get("ContentType") for name, spec in json.loads(path.read_text()).items()}


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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    ml_root = Path(args[0] if args else os.environ.get("ML_ROOT", "/opt/ml"))
    try:
        return train_main(ml_root)
    except AlgorithmError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except xgboost.core.XGBoostError as error:
        # XGBoost's own message, where SageMaker's training containers write why a job failed (its
        # FailureReason): not the last line of the native backtrace that follows it.
        reason = f"AlgorithmError: {failure_reason(error)}"
        (ml_root / "output").mkdir(parents=True, exist_ok=True)
        (ml_root / "output" / "failure").write_text(reason)
        print(f"error: {reason}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
