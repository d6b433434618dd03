"""The batch transform container's XGBoost loading: a pickled Booster (containers 1.0-1 and older write
one) and Booster.save_model's format (1.3-1 and later) both load, as the serving container loads them."""
import pickle

import numpy as np
import pytest
import xgboost

from mlops_guardrails.containers import transform_job


@pytest.fixture(scope="module")
def booster():
    rng = np.random.default_rng(0)
    features = rng.uniform(size=(40, 3))
    return xgboost.train({"max_depth": 2, "nthread": 1}, xgboost.DMatrix(features, label=features[:, 0]), num_boost_round=3)


@pytest.mark.parametrize("write", ["pickle", "save_model"])
def test_xgboost_handler_loads_either_model_file_and_predicts_csv_rows(tmp_path, booster, write):
    model_file = tmp_path / transform_job.XGBOOST_MODEL_FILE
    if write == "pickle":
        model_file.write_bytes(pickle.dumps(booster))
    else:
        booster.save_model(str(tmp_path / "m.json"))
        (tmp_path / "m.json").rename(model_file)
    handler = transform_job.xgboost_handler(tmp_path)
    rows = "0.1,0.2,0.3\n0.9,0.8,0.7"
    expected = booster.predict(xgboost.DMatrix(np.array([[0.1, 0.2, 0.3], [0.9, 0.8, 0.7]])))
    assert [float(line) for line in handler(rows, "text/csv", "text/csv").splitlines()] == pytest.approx(expected.tolist())
