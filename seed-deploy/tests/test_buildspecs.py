"""The buildspecs: pins match requirements.txt, and their build commands run as CodeBuild would run them."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

SEED = Path(__file__).resolve().parent.parent


def buildspec(name: str) -> dict:
    return yaml.safe_load((SEED / name).read_text())


def pins() -> dict[str, str]:
    lines = (SEED / "requirements.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if "==" in line and not line.startswith("#"))


def run_commands(commands: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    script = "set -e\n" + "\n".join(commands)
    path = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # `python` is this interpreter
    return subprocess.run(["bash", "-c", script], cwd=cwd, env={**env, "PATH": path}, capture_output=True,
                          text=True, timeout=120)


def test_install_fetches_the_toolkit_wheel_and_installs_the_pinned_requirements():
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", pins()["mlops-guardrails"])
    for name in ("buildspec.yml", "test-buildspec.yml"):
        assert buildspec(name)["phases"]["install"]["commands"][-2:] == [
            'aws s3 cp --quiet "$TOOLKIT_WHEEL_URI" wheels/',
            "pip install --quiet --find-links wheels -r requirements.txt"], name


def test_buildspec_build_phase_writes_the_artifacts(sm, register, unique, tmp_path):
    project = unique("bs")
    register(sm, f"{project}-p9", ["Approved"], baseline=True)
    repo = tmp_path / "repo"
    shutil.copytree(SEED, repo, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    env = {**os.environ, "SAGEMAKER_PROJECT_NAME": project, "SAGEMAKER_PROJECT_ID": "p9",
           "MODEL_PACKAGE_GROUP_NAME": f"{project}-p9", "ARTIFACT_BUCKET": "bucket",
           "MODEL_EXECUTION_ROLE_ARN": "arn:aws:iam::123456789012:role/x", "AWS_REGION": "us-east-1"}
    done = run_commands(buildspec("buildspec.yml")["phases"]["build"]["commands"], repo, env)
    assert done.returncode == 0, done.stderr
    for artifact in buildspec("buildspec.yml")["artifacts"]["files"]:
        assert (repo / artifact).is_file(), artifact


def test_test_buildspec_fails_when_the_stage_stack_is_missing(emulator, unique, tmp_path):
    project = unique("tb")
    env = {**os.environ, "SAGEMAKER_PROJECT_NAME": project, "STAGE": "staging"}
    done = run_commands(buildspec("test-buildspec.yml")["phases"]["build"]["commands"], SEED, env)
    assert done.returncode == 2
    assert f"error: stack sagemaker-{project}-deploy-staging:" in done.stderr
