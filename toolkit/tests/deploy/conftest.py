"""The deploy library's fixtures: a deploy repo to run in, endpoints in the emulator and queued answers (the rest:
mlops_guardrails.testing)."""
import os
import shutil
from pathlib import Path

import pytest

SEED_DEPLOY = Path(__file__).resolve().parents[3] / "seed-deploy"


@pytest.fixture(scope="session", autouse=True)
def _in_a_deploy_repo(tmp_path_factory):
    """The commands run in a deploy repo (its endpoint-template.yml, sample-data/): a copy of the repository's
    deploy seed, so nothing a test writes lands in the seed itself."""
    repo = tmp_path_factory.mktemp("repo") / "seed-deploy"
    shutil.copytree(SEED_DEPLOY, repo, ignore=shutil.ignore_patterns("tests", "__pycache__", ".venv*", ".cache"))
    before = os.getcwd()
    os.chdir(repo)
    yield repo
    os.chdir(before)


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
        request = urllib.request.Request(f"{emulator_url}/moto-api/static/sagemaker/endpoint-results",  # noqa: S310
                                         data=_json.dumps({"results": results}).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback emulator
            assert response.status in (200, 201)

    return queue
