"""Fixtures for the rehearsal tests: small real XGBoost artifacts, a running endpoint host, a runtime client."""
import uuid

import boto3
import pytest
from rehearsal.rehearsal_fixtures import train_booster

from mlops_guardrails.deploy.rehearsal.clock import CompressedClock
from mlops_guardrails.deploy.rehearsal.endpoint_host import EndpointHost
from mlops_guardrails.deploy.rehearsal.models import write_artifact

@pytest.fixture(scope="session")
def artifacts(tmp_path_factory):
    """model.tar.gz paths: v1, v2 (another model), failing (fail_ratio 1), slow (extra latency)."""
    root = tmp_path_factory.mktemp("artifacts")
    v1, v2 = train_booster(1), train_booster(2, rounds=8)
    return {
        "v1": str(write_artifact(root / "v1" / "model.tar.gz", v1)),
        "v2": str(write_artifact(root / "v2" / "model.tar.gz", v2)),
        "failing": str(write_artifact(root / "failing" / "model.tar.gz", v2, {"fail_ratio": 1.0})),
        "half": str(write_artifact(root / "half" / "model.tar.gz", v2, {"fail_ratio": 0.5})),
        "slow": str(write_artifact(root / "slow" / "model.tar.gz", v2, {"extra_latency_ms": 20})),
    }


@pytest.fixture
def clock():
    return CompressedClock(speed=600.0)


@pytest.fixture
def host(clock):
    with EndpointHost(clock=clock) as running:
        yield running


@pytest.fixture
def runtime(host, monkeypatch):
    """boto3's own sagemaker-runtime client, pointed at the host only through the documented variable."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", host.url)
    return boto3.client("sagemaker-runtime")


@pytest.fixture
def unique():
    return f"t{uuid.uuid4().hex[:8]}"
