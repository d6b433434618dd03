"""The one model loader (containers/xgboost_model.py): pickle first, then the model formats; only unpickling's
own failures fall through, so what is no model at all is xgboost's error and an unreadable file an OSError."""
import pickle
import subprocess
import sys

import numpy as np
import pytest
import xgboost

from mlops_guardrails.containers import xgboost_model
from mlops_guardrails.deploy.rehearsal.models import CONTAINER_SIDE


@pytest.fixture(scope="module")
def booster():
    rows = np.arange(40, dtype=float).reshape(20, 2)
    return xgboost.train({"objective": "reg:squarederror"}, xgboost.DMatrix(rows, label=rows[:, 0]), num_boost_round=2)


def test_a_pickled_booster_loads_as_a_pickle(booster):
    loaded, kind = xgboost_model.load_booster(pickle.dumps(booster))
    assert kind == xgboost_model.PICKLE and isinstance(loaded, xgboost.Booster)


def test_a_saved_model_loads_by_its_format(booster):
    loaded, kind = xgboost_model.load_booster(bytes(booster.save_raw("json")))
    assert kind == xgboost_model.NATIVE and loaded.num_boosted_rounds() == 2


@pytest.mark.parametrize("raw", [b"not a model", pickle.dumps({"a": "pickle, but no Booster"})])
def test_bytes_that_are_no_model_are_xgboosts_error(raw):
    assert xgboost_model.unpickled_booster(raw) is None
    with pytest.raises(xgboost.core.XGBoostError):
        xgboost_model.load_booster(raw)


def test_an_unreadable_model_file_is_reported_as_itself_not_as_a_format(tmp_path):
    # container_side.py runs as a script (as under the container's Python), its loader beside it.
    missing = tmp_path / "xgboost-model"
    done = subprocess.run([sys.executable, str(CONTAINER_SIDE), "predict", str(missing), str(tmp_path / "rows.csv")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"FileNotFoundError: [Errno 2] No such file or directory: '{missing}'" in done.stderr
