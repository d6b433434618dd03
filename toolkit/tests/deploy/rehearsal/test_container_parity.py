"""Models written by the XGBoost 1.7-1 container's xgboost load in the host and predict what that container predicts.

The container side runs under xgboost 1.7.4 (.venv-xgboost-1.7, the version aws/sagemaker-xgboost-container
v1.7-1-1 pins): the models are made there in the test with Booster.save_model (the container's
train.py), pickle.dump and a .json save_model, and the reference answers come from
containers/container_side.py, our equivalent of that container's serve_utils loading and predict
path. The host answers through boto3's sagemaker-runtime client.
"""
import os
import subprocess
from pathlib import Path

import pytest
from rehearsal.rehearsal_fixtures import FEATURES, csv_rows, fleet

from mlops_guardrails.errors import InputError
from mlops_guardrails import xgboost_env
from mlops_guardrails.deploy.rehearsal import models as rehearsal_models
from mlops_guardrails.deploy.rehearsal.models import PKL_FORMAT, XGB_FORMAT, load_model, write_artifact

CONTAINER_SIDE = rehearsal_models.CONTAINER_SIDE
TRAIN_WITH_1_7 = f"""
import pickle, sys, numpy as np, xgboost as x
rng = np.random.default_rng(3)
data = rng.random((300, {FEATURES}))
booster = x.train({{"max_depth": 4, "eta": 0.2, "objective": "reg:squarederror"}},
                  x.DMatrix(data, label=data @ rng.random({FEATURES}) * 10 + 5), 30)
folder = sys.argv[1]
booster.save_model(folder + "/binary")            # no extension: the container's xgboost-model
booster.save_model(folder + "/model.json")
pickle.dump(booster, open(folder + "/pickled", "wb"))
"""


@pytest.fixture(scope="module")
def python17():
    return str(xgboost_env.python_for("1.7-1"))


@pytest.fixture(scope="module")
def models_1_7(python17, tmp_path_factory):
    folder = tmp_path_factory.mktemp("xgboost-1.7")
    # One OpenMP thread: on a shared machine its threads wait on each other (1.1 s against 0.45 s here);
    # the thread count is not saved with the model.
    subprocess.run([python17, "-c", TRAIN_WITH_1_7, str(folder)], check=True, timeout=120,
                   env={**os.environ, "OMP_NUM_THREADS": "1"})
    return folder


def container_predictions(python17, model: Path, rows: list[str], folder: Path) -> list[float]:
    (folder / "rows.csv").write_text("\n".join(rows))
    result = subprocess.run([python17, str(CONTAINER_SIDE), "predict", str(model), str(folder / "rows.csv")],
                            capture_output=True, text=True, check=True, timeout=120)
    return [float(line) for line in result.stdout.split()]


@pytest.mark.parametrize("name, model_format", [("binary", XGB_FORMAT), ("model.json", XGB_FORMAT),
                                                ("pickled", PKL_FORMAT)])
def test_model_saved_by_xgboost_1_7_predicts_in_the_host_as_in_the_container(
        python17, models_1_7, name, model_format, host, runtime, unique, tmp_path):
    model = models_1_7 / name
    artifact = write_artifact(tmp_path / "model.tar.gz", model.read_bytes())
    assert load_model(str(artifact)).model_format == model_format
    host.create_endpoint(unique, fleet("cfg", ("AllTraffic", str(artifact), 1, 1)))
    rows = csv_rows(50, seed=11)
    body = runtime.invoke_endpoint(EndpointName=unique, Body="\n".join(rows), ContentType="text/csv")["Body"].read()
    answered = [float(line) for line in body.decode().split()]
    expected = container_predictions(python17, model, rows, tmp_path)
    assert answered == pytest.approx(expected, abs=1e-4)
    assert len(set(expected)) > 10  # a real model, not a constant


def test_binary_model_is_xgboost_1_x_format_that_xgboost_3_cannot_read_itself(models_1_7):
    import xgboost

    raw = (models_1_7 / "binary").read_bytes()
    assert raw[:4] == b"binf"
    with pytest.raises(xgboost.core.XGBoostError, match="binary format has been deprecated"):
        xgboost.Booster().load_model(str(models_1_7 / "binary"))


def test_file_no_xgboost_reads_is_refused_with_both_readers_reasons(tmp_path):
    artifact = write_artifact(tmp_path / "model.tar.gz", b"not a model at all")
    with pytest.raises(InputError, match=r"xgboost-model: not an XGBoost model \(xgboost 1.7 says: .*\)"):
        load_model(str(artifact))
