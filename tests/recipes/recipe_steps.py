"""What a recipe test does as its reader would: copies of both seeds, the page's code blocks, its commands."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "docs" / "recipes"
PROJECT_ID = "p-abcdef123456"  # SageMaker's format: p- and 12 lower-case letters or digits
IGNORED = shutil.ignore_patterns(".venv*", "__pycache__", ".pytest_cache", "tests")


def copy_seeds(folder: Path) -> tuple[Path, Path]:
    """The team's two repositories, as a project creates them: model-build and model-deploy."""
    build, deploy = folder / "model-build", folder / "model-deploy"
    shutil.copytree(ROOT / "seed-build", build, ignore=IGNORED)
    shutil.copytree(ROOT / "seed-deploy", deploy, ignore=IGNORED)
    return build, deploy


def code_blocks(page: str, language: str) -> list[str]:
    """The page's fenced blocks of `language` ("" for the plain ``` ones), in order."""
    text = (RECIPES / page).read_text()
    return [block for lang, block in re.findall(r"^ *```(\w*)\n(.*?)^ *```", text, re.M | re.S) if lang == language]


def commands(page: str) -> list[str]:
    """Every line of the page's plain code blocks: the commands the reader types."""
    return [line.strip() for block in code_blocks(page, "") for line in block.splitlines() if line.strip()]


def project_environment(emulator_url: str, name: str) -> dict[str, str]:
    return {**os.environ, "AWS_ENDPOINT_URL": emulator_url, "SAGEMAKER_PROJECT_NAME": name,
            "SAGEMAKER_PROJECT_ID": PROJECT_ID, "MODEL_PACKAGE_GROUP_NAME": f"{name}-{PROJECT_ID}",
            "ARTIFACT_BUCKET": f"{name}-artifacts",
            "MODEL_EXECUTION_ROLE_ARN": "arn:aws:iam::123456789012:role/model-execution"}


def run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A documented command as the reader runs it (`python` is this environment's), output captured."""
    command = re.sub(r"^python ", f"{sys.executable} ", command)
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def registered(group: str) -> dict:
    """The newest package of `group`, approved (as an approver would) and described."""
    sm = boto3.client("sagemaker")
    (summary,) = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"][:1]
    sm.update_model_package(ModelPackageArn=summary["ModelPackageArn"], ModelApprovalStatus="Approved")
    return sm.describe_model_package(ModelPackageName=summary["ModelPackageArn"])


def read_s3_json(uri: str) -> dict:
    import json

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
