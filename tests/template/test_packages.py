"""No build reaches the public Python index: a CodeArtifact repository (its upstream the index, through the
external connection) that every buildspec logs into before pip install, readable by the CodeBuild role only."""
from pathlib import Path

import pytest
import yaml

from resolve import resolve_template

ROOT = Path(__file__).resolve().parent.parent.parent
PROJECT = {"SageMakerProjectName": "abalone", "SageMakerProjectId": "p-abc123def456"}
BUILDSPECS = ["seed-build/buildspec.yml", "seed-deploy/buildspec.yml", "seed-deploy/test-buildspec.yml"]


@pytest.fixture(scope="module")
def resolved(project_template):
    return resolve_template(project_template, PROJECT)


def of_type(template, kind):
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def test_the_repository_reads_the_public_index_only_through_codeartifact(resolved):
    (domain,) = of_type(resolved, "AWS::CodeArtifact::Domain")
    repositories = {r["RepositoryName"]: r for r in of_type(resolved, "AWS::CodeArtifact::Repository")}
    assert domain["DomainName"] == "sagemaker-p-abc123def456"
    assert domain["EncryptionKey"].startswith("<ArtifactsKey")
    assert repositories["pypi-store"]["ExternalConnections"] == ["public:pypi"]
    assert repositories["packages"]["Upstreams"] == ["pypi-store"]
    assert "ExternalConnections" not in repositories["packages"]


def test_every_build_gets_the_repository(resolved):
    for project in of_type(resolved, "AWS::CodeBuild::Project"):
        env = {v["Name"]: v["Value"] for v in project["Environment"]["EnvironmentVariables"]}
        assert (env["CODEARTIFACT_DOMAIN"], env["CODEARTIFACT_DOMAIN_OWNER"], env["CODEARTIFACT_REPOSITORY"]) == (
            "sagemaker-p-abc123def456", "123456789012", "packages")


@pytest.mark.parametrize("buildspec", BUILDSPECS)
def test_every_buildspec_logs_into_codeartifact_before_pip_install(buildspec):
    spec = yaml.safe_load((ROOT / buildspec).read_text())
    commands = [c for phase in spec["phases"].values() for c in phase.get("commands", [])]
    installs = [i for i, c in enumerate(commands) if "pip install" in c]
    logins = [i for i, c in enumerate(commands) if c.startswith("aws codeartifact login --tool pip ")]
    assert installs and logins and logins[0] < installs[0]
    assert all(f'"${variable}"' in commands[logins[0]] for variable in
               ("CODEARTIFACT_DOMAIN", "CODEARTIFACT_DOMAIN_OWNER", "CODEARTIFACT_REPOSITORY"))
