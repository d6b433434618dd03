"""Shared fixtures: the emulator (moto's server on 127.0.0.1) and fake credentials; never real AWS."""
import os
import sys
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SEED))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from deploy.emulator import FAKE_CREDENTIALS, embedded_emulator, loopback_only  # noqa: E402


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


ROLE = "arn:aws:iam::123456789012:role/model-execution"


def _deploy_endpoint(sm, endpoint: str, arn: str, variants=("AllTraffic",), create: bool = True) -> str:
    """An endpoint config (and, when `create`, the endpoint) on a model made from package `arn`; returns the config name."""
    import uuid

    model = f"{endpoint}-model-{uuid.uuid4().hex[:6]}"
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": arn})
    config = f"{model}-config"
    sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[
        {"VariantName": name, "ModelName": model, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1,
         "InitialVariantWeight": 1.0} for name in variants])
    if create:
        sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    return config


@pytest.fixture
def deploy_endpoint(emulator):
    """deploy_endpoint(sm, endpoint, arn, variants=("AllTraffic",), create=True) -> endpoint config name."""
    return _deploy_endpoint


@pytest.fixture
def queue_answers(emulator_url):
    """queue_answers([(body, variant), ...]): moto's invoke_endpoint returns them in order.

    moto caches an answer per request body and x-amzn-sagemaker-* headers (not per endpoint), so each
    queued answer is taken by one request whose InferenceId is new: the stage test sends one per request.
    """
    import json as _json
    import urllib.request

    def queue(answers):
        results = [{"Body": body, "ContentType": "text/csv", "InvokedProductionVariant": variant,
                    "CustomAttributes": ""} for body, variant in answers]
        request = urllib.request.Request(f"{emulator_url}/moto-api/static/sagemaker/endpoint-results",
                                         data=_json.dumps({"results": results}).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback emulator
            assert response.status in (200, 201)

    return queue
