import json
import shutil

import numpy as np
import pandas as pd
import pytest

from conftest import DATA
from pipelines.abalone import preprocess


def test_split_indices_on_abalone_rows_are_disjoint_and_cover_every_row():
    splits = preprocess.split_indices(4177, seed=42)
    sizes = {name: len(rows) for name, rows in splits.items()}
    assert sizes == {"train": 2924, "validation": 627, "test": 626}
    every = np.concatenate(list(splits.values()))
    assert len(set(every.tolist())) == 4177


def test_split_indices_same_seed_same_split_other_seed_other_split():
    first, again, other = (preprocess.split_indices(100, seed) for seed in (7, 7, 8))
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["train"], other["train"])


def test_main_on_real_data_writes_label_first_csvs_and_a_feature_baseline(ml_root):
    data_dir = ml_root / "processing" / "input" / "data"
    data_dir.mkdir(parents=True)
    shutil.copy(DATA, data_dir / "abalone.csv")

    assert preprocess.main([]) == 0

    out = ml_root / "processing"
    frames = {name: pd.read_csv(out / name / f"{name}.csv", header=None) for name in ("train", "validation", "test")}
    assert {name: frame.shape for name, frame in frames.items()} == {
        "train": (2924, 11), "validation": (627, 11), "test": (626, 11),
    }
    assert frames["train"].iloc[:, 0].between(1, 29).all()  # rings, the label, comes first
    assert set(frames["train"].iloc[:, 1:4].stack().unique()) == {0, 1}  # one-hot sex F, I, M
    assert (frames["train"].iloc[:, 1:4].sum(axis=1) == 1).all()
    baseline = pd.read_csv(out / "baseline" / "baseline.csv")
    assert list(baseline.columns) == preprocess.FEATURES
    assert len(baseline) == 2924


def test_read_raw_accepts_the_uci_file_without_header(tmp_path):
    headerless = tmp_path / "abalone.data"
    headerless.write_text("".join(DATA.read_text().splitlines(keepends=True)[1:6]))
    assert len(preprocess.read_raw(headerless)) == 5


def test_read_raw_wrong_column_count_names_the_file_and_the_expected_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("M,0.455,0.365,15\nF,0.53,0.42,9\n")
    with pytest.raises(preprocess.InputDataError, match=r"bad.csv: 4 columns: the abalone CSV has 9 \(sex, length"):
        preprocess.read_raw(bad)


def test_read_raw_unknown_sex_value_is_named(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("X,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\n")
    with pytest.raises(preprocess.InputDataError, match=r"column sex: values \['X'\]"):
        preprocess.read_raw(bad)


def test_read_raw_non_numeric_measurement_names_the_row(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\nF,big,0.42,0.135,0.677,0.2565,0.1415,0.21,9\n")
    with pytest.raises(preprocess.InputDataError, match="data row 2: every column but sex must be a finite number"):
        preprocess.read_raw(bad)


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "1e999"])
def test_read_raw_non_finite_measurement_or_label_is_reported_not_used(tmp_path, value):
    bad = tmp_path / "bad.csv"
    bad.write_text(f"M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\nF,0.53,0.42,0.135,0.677,0.2565,0.1415,0.21,{value}\n")
    with pytest.raises(preprocess.InputDataError, match=r"data row 2: every column but sex must be a finite number \(1 row"):
        preprocess.read_raw(bad)


def test_read_raw_non_utf8_file_is_named(tmp_path):
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\n\xe9".encode("latin-1"))
    with pytest.raises(preprocess.InputDataError, match="latin1.csv: not UTF-8 text"):
        preprocess.read_raw(bad)


def test_main_with_two_input_files_fails_with_exit_2(ml_root, capsys):
    data_dir = ml_root / "processing" / "input" / "data"
    data_dir.mkdir(parents=True)
    shutil.copy(DATA, data_dir / "a.csv")
    shutil.copy(DATA, data_dir / "b.csv")
    assert preprocess.main([]) == 2
    assert "expected exactly one CSV file, found 2" in capsys.readouterr().err


def test_main_writes_the_models_input_signature_in_features_order(ml_root):
    data_dir = ml_root / "processing" / "input" / "data"
    data_dir.mkdir(parents=True)
    shutil.copy(DATA, data_dir / "abalone.csv")

    assert preprocess.main([]) == 0

    signature = json.loads((ml_root / "processing" / "signature" / "signature.json").read_text())
    assert [f["name"] for f in signature["features"]] == preprocess.FEATURES
    assert signature["count"] == 10 and signature["label"] == "rings" and signature["content_type"] == "text/csv"
    types = {f["name"]: f["type"] for f in signature["features"]}
    assert types["sex_F"] == "Integral" and types["length"] == "Fractional"
    train = pd.read_csv(ml_root / "processing" / "train" / "train.csv", header=None)
    assert train.shape[1] == signature["count"] + 1  # the label, then exactly the signature's features


def test_to_model_frame_keeps_only_features_in_their_order(monkeypatch):
    monkeypatch.setattr(preprocess, "FEATURES", ["length", "sex_M"])
    frame = preprocess.to_model_frame(preprocess.read_raw(DATA))
    assert list(frame.columns) == ["rings", "length", "sex_M"]
    assert [f["name"] for f in preprocess.signature(frame)["features"]] == ["length", "sex_M"]


def test_to_model_frame_feature_listed_but_not_computed_is_named(monkeypatch):
    monkeypatch.setattr(preprocess, "FEATURES", [*preprocess.FEATURES, "shell_ratio"])
    with pytest.raises(preprocess.InputDataError, match=r"FEATURES: \['shell_ratio'\]: not computed by to_model_frame"):
        preprocess.to_model_frame(preprocess.read_raw(DATA))
