"""Processing script: read the raw abalone CSV, one-hot encode sex, split 70/15/15 with a fixed seed.

Runs inside the processing container (or locally under run_local): it reads only its processing input
folder and writes its output folders; it never calls S3 itself. Outputs, label first and no header:
train/train.csv, validation/validation.csv, test/test.csv; baseline/baseline.csv (the training
features with a header, no label) for the data-quality baseline, which adds the model's predictions;
and signature/signature.json, the model's input signature: what the model takes, registered with it,
checked by the baseline step and by the deploy repo (README: "The feature contract").

To add or drop a feature, change FEATURES and compute the column in to_model_frame(): FEATURES is the one
list of the model's inputs, in order; the signature, the training CSVs and the baseline all follow it.
"""
import json
import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

RAW_COLUMNS = [
    "sex", "length", "diameter", "height", "whole_weight",
    "shucked_weight", "viscera_weight", "shell_weight", "rings",
]
SEX_VALUES = ["F", "I", "M"]
FEATURES = [f"sex_{value}" for value in SEX_VALUES] + RAW_COLUMNS[1:-1]
LABEL = "rings"
SPLITS = {"train": 0.70, "validation": 0.15, "test": 0.15}
SIGNATURE_VERSION = 1


class InputDataError(Exception):
    """The input data is not the abalone CSV this script expects."""


def processing_root() -> Path:
    # SageMaker mounts everything under /opt/ml; run_local maps that folder elsewhere through ML_ROOT.
    return Path(os.environ.get("ML_ROOT", "/opt/ml")) / "processing"


def find_input_csv(folder: Path) -> Path:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if len(files) != 1:
        raise InputDataError(f"input folder {folder}: expected exactly one CSV file, found {len(files)}")
    return files[0]


def read_raw(path: Path) -> pd.DataFrame:
    """Read the UCI abalone CSV, with or without its header row; reject any other shape by name."""
    try:
        frame = pd.read_csv(path, header=None, dtype=str)
    except UnicodeDecodeError as error:
        raise InputDataError(f"{path.name}: not UTF-8 text (byte {error.start}): save the CSV as UTF-8") from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as error:
        raise InputDataError(f"{path.name}: not a CSV: {' '.join(str(error).split())}") from None
    if frame.shape[1] != len(RAW_COLUMNS):
        raise InputDataError(
            f"{path.name}: {frame.shape[1]} columns: the abalone CSV has {len(RAW_COLUMNS)} "
            f"({', '.join(RAW_COLUMNS)})"
        )
    if list(frame.iloc[0].str.strip().str.lower()) == RAW_COLUMNS:
        frame = frame.iloc[1:]
    frame.columns = RAW_COLUMNS
    unknown = sorted(set(frame["sex"]) - set(SEX_VALUES))
    if unknown:
        raise InputDataError(f"{path.name}: column sex: values {unknown}: expected one of {SEX_VALUES}")
    numeric = frame[RAW_COLUMNS[1:]].apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(numeric.to_numpy(dtype=float)).all(axis=1)  # "nan", "inf" and 1e999 are not measurements
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputDataError(f"{path.name}: data row {row}: every column but sex must be a finite number "
                             f"({int(bad.sum())} row(s) are not)")
    return pd.concat([frame[["sex"]], numeric], axis=1).reset_index(drop=True)


def to_model_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Label first, then FEATURES in their order: the model's input order."""
    one_hot = pd.DataFrame({f"sex_{v}": (raw["sex"] == v).astype(int) for v in SEX_VALUES})
    computed = pd.concat([raw[[LABEL]], one_hot, raw[RAW_COLUMNS[1:-1]]], axis=1)
    missing = [name for name in FEATURES if name not in computed.columns]
    if missing:
        raise InputDataError(f"FEATURES: {missing}: not computed by to_model_frame(): compute each feature you list")
    return computed[[LABEL, *FEATURES]]


def feature_type(values: pd.Series) -> str:
    """Model Monitor's inferred type names, so the signature and the baseline speak the same words."""
    return "Integral" if pd.api.types.is_integer_dtype(values) else "Fractional"


def signature(model_frame: pd.DataFrame) -> dict:
    """The model's input signature: every column after the label, in order, with its type."""
    features = [{"name": name, "type": feature_type(model_frame[name])} for name in model_frame.columns[1:]]
    return {"version": SIGNATURE_VERSION, "content_type": "text/csv", "header": False, "label": LABEL,
            "count": len(features), "features": features}


def split_indices(n_rows: int, seed: int) -> dict[str, np.ndarray]:
    """Deterministic, disjoint 70/15/15 split of row positions."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_train = int(round(n_rows * SPLITS["train"]))
    n_validation = int(round(n_rows * SPLITS["validation"]))
    return {
        "train": order[:n_train],
        "validation": order[n_train:n_train + n_validation],
        "test": order[n_train + n_validation:],
    }


def write_outputs(model_frame: pd.DataFrame, indices: dict[str, np.ndarray], root: Path) -> dict[str, int]:
    sizes = {}
    for name, rows in indices.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        model_frame.iloc[rows].to_csv(folder / f"{name}.csv", header=False, index=False)
        sizes[name] = len(rows)
    baseline = root / "baseline"
    baseline.mkdir(parents=True, exist_ok=True)
    model_frame.iloc[indices["train"]][FEATURES].to_csv(baseline / "baseline.csv", index=False)
    (root / "signature").mkdir(parents=True, exist_ok=True)
    (root / "signature" / "signature.json").write_text(json.dumps(signature(model_frame), indent=2) + "\n")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=42, help="random seed of the split")
    args = parser.parse_args(argv)
    root = processing_root()
    try:
        raw = read_raw(find_input_csv(root / "input" / "data"))
        model_frame = to_model_frame(raw)
    except InputDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sizes = write_outputs(model_frame, split_indices(len(raw), args.seed), root)
    print(f"preprocess: {len(raw)} rows -> " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
