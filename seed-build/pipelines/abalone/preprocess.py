"""Processing script: read the raw CSV, one-hot encode its text columns, split 70/15/15 with a fixed seed.

Runs inside the processing container (or locally under run_local): it reads only its processing input
folder and writes its output folders; it never calls S3 itself. Outputs, label first and no header:
train/train.csv, validation/validation.csv, test/test.csv; baseline/baseline.csv (the training
features with a header, no label) for the data-quality baseline, which adds the model's predictions;
and signature/signature.json, the model's input signature: what the model takes, registered with it,
checked by the baseline step and by the deploy repo (README: "The feature contract").

Your own data: edit the schema block below, nothing else (docs/recipes/own-data.md). To add or drop a
feature: FEATURES is the one list of the model's inputs, in order; a feature computed from other columns
goes in derived_features() too (docs/recipes/features.md). The signature, the training CSVs and the
baseline all follow FEATURES.
"""
import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

# --- schema: the data set's shape (edit for your own CSV) ---
DATASET = "the abalone CSV"
RAW_COLUMNS = [  # the CSV's columns, in order; a header row naming them is optional
    "sex", "length", "diameter", "height", "whole_weight",
    "shucked_weight", "viscera_weight", "shell_weight", "rings",
]
LABEL = "rings"  # the column the model predicts
CATEGORIES = {"sex": ["F", "I", "M"]}  # text columns and their values: one-hot encoded as <column>_<value>
FEATURES = [  # the model's inputs, in order
    "sex_F", "sex_I", "sex_M", "length", "diameter", "height", "whole_weight",
    "shucked_weight", "viscera_weight", "shell_weight",
]
# --- end of schema ---
SPLITS = {"train": 0.70, "validation": 0.15, "test": 0.15}
SIGNATURE_VERSION = 1


class InputDataError(Exception):
    """The input data is not the CSV the schema describes."""


def processing_root() -> Path:
    # SageMaker mounts everything under /opt/ml; run_local maps that folder elsewhere through ML_ROOT.
    return Path(os.environ.get("ML_ROOT", "/opt/ml")) / "processing"


def find_input_csv(folder: Path) -> Path:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if len(files) != 1:
        raise InputDataError(f"input folder {folder}: expected exactly one CSV file, found {len(files)}")
    return files[0]


def read_raw(path: Path) -> pd.DataFrame:
    """Read the CSV the schema describes, with or without its header row; reject any other shape by name."""
    try:
        frame = pd.read_csv(path, header=None, dtype=str)
    except UnicodeDecodeError as error:
        raise InputDataError(f"{path.name}: not UTF-8 text (byte {error.start}): save the CSV as UTF-8") from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as error:
        raise InputDataError(f"{path.name}: not a CSV: {' '.join(str(error).split())}") from None
    if frame.shape[1] != len(RAW_COLUMNS):
        raise InputDataError(
            f"{path.name}: {frame.shape[1]} columns: {DATASET} has {len(RAW_COLUMNS)} "
            f"({', '.join(RAW_COLUMNS)})"
        )
    if list(frame.iloc[0].str.strip().str.lower()) == [name.lower() for name in RAW_COLUMNS]:
        frame = frame.iloc[1:]
    frame.columns = RAW_COLUMNS
    for column, values in CATEGORIES.items():
        unknown = sorted(set(frame[column]) - set(values))
        if unknown:
            raise InputDataError(f"{path.name}: column {column}: values {unknown}: expected one of {values}")
    measured = [name for name in RAW_COLUMNS if name not in CATEGORIES]
    numeric = frame[measured].apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(numeric.to_numpy(dtype=float)).all(axis=1)  # "nan", "inf" and 1e999 are not measurements
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputDataError(f"{path.name}: data row {row}: every column but {', '.join(CATEGORIES) or 'none'} "
                             f"must be a finite number ({int(bad.sum())} row(s) are not)")
    return pd.concat([frame[list(CATEGORIES)], numeric], axis=1)[RAW_COLUMNS].reset_index(drop=True)


def derived_features(raw: pd.DataFrame) -> dict[str, pd.Series]:
    """Features computed from other columns, by name (list each in FEATURES too). None in the example."""
    return {}


def to_model_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Label first, then FEATURES in their order: the model's input order."""
    columns = {LABEL: raw[LABEL]}
    for column, values in CATEGORIES.items():
        columns.update({f"{column}_{value}": (raw[column] == value).astype(int) for value in values})
    columns.update({name: raw[name] for name in RAW_COLUMNS if name != LABEL and name not in CATEGORIES})
    columns.update(derived_features(raw))
    computed = pd.DataFrame(columns)
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
