"""The XGBoost 1.7-1 container's model loading and CSV prediction, run under its xgboost (.venv-xgboost-1.7).

Standard library, numpy and xgboost only: this file runs as a script with that environment's interpreter.
Our own code after aws/sagemaker-xgboost-container, tag v1.7-1-1: algorithm_mode/serve_utils.py
(get_loaded_booster: pickle first, then Booster.load_model; nthread 1; predict with
validate_features=False) and encoder.py (csv_to_dmatrix: delimiter sniffed from the first line, an empty
cell is a missing value).

    python container_side.py convert MODEL OUT_JSON   the model as JSON, which xgboost 3 reads
    python container_side.py predict MODEL CSV        the container's text/csv answer, one score a line
"""
import csv
import sys

import numpy as np
import xgboost
import xgboost_model  # this folder's: the script runs under the XGBoost container's Python


def load_booster(path: str) -> xgboost.Booster:
    with open(path, "rb") as file:  # an unreadable file is reported as itself, never as "not a model"
        booster, _ = xgboost_model.load_booster(file.read())
    booster.set_param("nthread", 1)
    return booster


def csv_rows(text: str) -> np.ndarray:
    text = text.strip()
    sniffed = csv.Sniffer().sniff(text.split("\n")[0][:512]).delimiter
    delimiter = "," if sniffed.isalnum() else sniffed
    rows = [["nan" if cell == "" else cell for cell in line.split(delimiter)] for line in text.split("\n")]
    return np.array(rows).astype(float)


def main(argv: list[str]) -> int:
    command, model, target = argv
    booster = load_booster(model)
    if command == "convert":
        booster.save_model(target if target.endswith(".json") else target + ".json")
    elif command == "predict":
        with open(target) as file:
            scores = booster.predict(xgboost.DMatrix(csv_rows(file.read())), validate_features=False)
        print("\n".join(repr(float(score)) for score in scores))
    else:
        print(f"error: {command}: unknown command (convert, predict)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
