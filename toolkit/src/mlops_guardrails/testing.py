"""Pytest fixtures for a seed's tests and the toolkit's own: fake credentials, one emulator (moto's server on
127.0.0.1) per session, no other network, never real AWS; unique names and model packages in the emulator.
A repo's tests/conftest.py loads them with `pytest_plugins = ["mlops_guardrails.testing"]`."""
import os

import pytest

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# XGBoost's OpenMP threads spin between parallel regions by default, burning CPU that the suite's other
# processes (and the suites beside it) wait for on a shared machine; passive waiting computes the same.
# Set before anything loads OpenMP: this process's xgboost, and every step process inherits it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from mlops_guardrails.emulator import FAKE_CREDENTIALS, embedded_emulator, loopback_only  # noqa: E402


@pytest.fixture(autouse=True)
def _loopback_only():
    """Tests never reach AWS or anything else: a lookup or connection to a non-loopback host fails loudly."""
    with loopback_only():
        yield


@pytest.fixture(scope="session", autouse=True)
def _botocore_files_parsed_once():
    """Every boto3 Session parses botocore's JSON files again (the endpoints table, each service's model;
    SageMaker's alone is MBs): about 0.15 s per new Session and service. The commands open a Session per
    stage (deploy/accounts.py) and the tests open many: about 30% of the suite's CPU went there. The
    files do not change during a run, so all Sessions' loaders share one cache of what they parsed."""
    from botocore import loaders

    parsed = {}
    loader_init = loaders.Loader.__init__

    def init(self, *args, **kwargs):
        loader_init(self, *args, **kwargs)
        self._cache = parsed  # the loader's own memo of parsed files (botocore.loaders.instance_cache)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loaders.Loader, "__init__", init)
        yield


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch):
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def emulator_url():
    """One moto server for the session; tests that use it must use unique resource names."""
    with embedded_emulator() as url:
        yield url


@pytest.fixture
def emulator(emulator_url, monkeypatch):
    """Point boto3 at the session's emulator for one test."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_url)
    return emulator_url


@pytest.fixture
def unique():
    """A short unique suffix for resource names on the shared emulator."""
    import uuid

    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"


XGBOOST_IMAGE = "registry.example/sagemaker-xgboost:1.7-1"  # moto does not pull it


def _register_packages(sm, group: str, statuses: list[str], baseline: bool = False,
                       features: list[str] | None = None) -> list[str]:
    """Create `group` and one model package per status, oldest first (versions 1..n); returns their ARNs.

    With `features`, each package records a feature signature of those names (as the build repo's pipeline does)."""
    sm.create_model_package_group(ModelPackageGroupName=group)
    arns = []
    for number, status in enumerate(statuses, start=1):
        extra = {}
        if features:
            extra["CustomerMetadataProperties"] = {"FeatureSignatureS3Uri": _put_signature(group, number, features)}
        if baseline:
            extra["ModelMetrics"] = {"ModelDataQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": f"s3://bucket/{group}/{number}/statistics.json"},
                "Constraints": {"ContentType": "application/json", "S3Uri": f"s3://bucket/{group}/{number}/constraints.json"},
            }}
        arns.append(sm.create_model_package(
            ModelPackageGroupName=group,
            InferenceSpecification={
                "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": f"s3://bucket/{group}/{number}/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelApprovalStatus=status,
            **extra,
        )["ModelPackageArn"])
    return arns


def _put_signature(group: str, number: int, features: list[str]) -> str:
    """signature.json as the build repo's preprocess step writes it, in the emulator's S3; returns its URI."""
    import json

    import boto3

    s3 = boto3.client("s3")
    bucket = "signatures"
    s3.create_bucket(Bucket=bucket)
    document = {"version": 1, "content_type": "text/csv", "header": False, "label": "rings", "count": len(features),
                "features": [{"name": name, "type": "Fractional"} for name in features]}
    key = f"{group}/{number}/signature/signature.json"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode())
    return f"s3://{bucket}/{key}"


@pytest.fixture
def register(emulator):
    """register(sm, group, statuses, baseline=False, features=None) -> ARNs: a model package group with one
    version per status."""
    return _register_packages


@pytest.fixture
def sm(emulator):
    import boto3

    return boto3.client("sagemaker")
