"""Across the seam: the build seed's local run trains a model that predicts the same in the XGBoost 1.7-1
container's serving path and in the deploy seed's endpoint host, on the run's own test split.

The container side is mlops_guardrails/containers/container_side.py under xgboost 1.7.4 (.venv-xgboost-1.7): our
equivalent of aws/sagemaker-xgboost-container v1.7-1-1's serve_utils.get_loaded_booster and predict,
with encoder.csv_to_dmatrix's CSV reading. The host answers through boto3's sagemaker-runtime client.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import numpy as np
import pytest

from mlops_guardrails.emulator import FAKE_CREDENTIALS
from mlops_guardrails import xgboost_env
from mlops_guardrails.deploy.rehearsal import models as rehearsal_models
from mlops_guardrails.deploy.rehearsal.endpoint_host import EndpointHost
from mlops_guardrails.deploy.rehearsal.fleets import FleetSpec, VariantSpec

ROOT = Path(__file__).resolve().parent.parent
CONTAINER_SIDE = rehearsal_models.CONTAINER_SIDE


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """One `python -m pipelines.run_local` of the build seed, on its own embedded emulator."""
    work = tmp_path_factory.mktemp("run-local")
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"} | FAKE_CREDENTIALS
    subprocess.run([sys.executable, "-m", "pipelines.run_local", "--work-dir", str(work)], cwd=ROOT / "seed-build",
                   env=env, check=True, capture_output=True, timeout=300)
    [evaluation] = work.rglob("evaluation.json")
    processing = evaluation.parent.parent  # the evaluate step's /opt/ml/processing: the model, the split it scored
    model, test = processing / "model" / "model.tar.gz", processing / "test" / "test.csv"
    return model, test, json.loads(evaluation.read_text())


def test_local_runs_model_predicts_the_same_in_the_container_path_and_the_host(local_run, tmp_path, monkeypatch):
    model_tar, test_csv, evaluation = local_run
    data = np.loadtxt(test_csv, delimiter=",")
    rows = [",".join(line.split(",")[1:]) for line in test_csv.read_text().splitlines()]
    import tarfile

    with tarfile.open(model_tar) as archive:
        archive.extract("xgboost-model", tmp_path, filter="data")
    (tmp_path / "features.csv").write_text("\n".join(rows))
    python17 = str(xgboost_env.python_for("1.7-1"))
    result = subprocess.run([python17, str(CONTAINER_SIDE), "predict", str(tmp_path / "xgboost-model"),
                             str(tmp_path / "features.csv")], capture_output=True, text=True, check=True, timeout=120)
    container = np.array([float(line) for line in result.stdout.split()])

    mse = float(np.mean((data[:, 0] - container) ** 2))
    assert mse == pytest.approx(evaluation["regression_metrics"]["mse"]["value"], abs=1e-4)

    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    with EndpointHost() as host:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", host.url)
        host.create_endpoint("parity", FleetSpec("cfg", (VariantSpec("AllTraffic", str(model_tar), 1.0, 1),)))
        body = boto3.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="parity", Body="\n".join(rows), ContentType="text/csv")["Body"].read()
    served = np.array([float(line) for line in body.decode().split()])
    assert len(served) == len(container) == len(rows) > 100
    assert np.max(np.abs(served - container)) < 1e-4
