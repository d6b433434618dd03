"""The seeds' GitHub Actions and GitLab CI files, run job by job as their scripts against the emulator
(tests/ci/workflow_runner.py): the model build upserts and starts the SageMaker Pipeline; the deploy builds,
deploys staging with the project's CloudFormation role, tests it, deploys prod and verifies it."""
import json
import os
import shutil
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest

from workflow_runner import github_jobs, gitlab_jobs, run_jobs

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_ROLE = "arn:aws:iam::123456789012:role/sagemaker-project/"
IGNORE = shutil.ignore_patterns("tests", "__pycache__", ".pytest_cache", "*.pyc")
PROVIDERS = {"github": (github_jobs, ".github/workflows/{}.yml"), "gitlab": (gitlab_jobs, ".gitlab-ci.yml")}


def project_variables(project: str) -> dict[str, str]:
    """The CI variables docs/ci-providers.md has the admin set from the project stack's outputs."""
    return {"AWS_REGION": "us-east-1", "SAGEMAKER_PROJECT_NAME": project, "SAGEMAKER_PROJECT_ID": "p-ci1234567890",
            "MODEL_PACKAGE_GROUP_NAME": f"{project}-p-ci1234567890", "ARTIFACT_BUCKET": f"{project}-artifacts",
            "SAGEMAKER_PIPELINE_ROLE_ARN": ACCOUNT_ROLE + "pipeline", "MODEL_EXECUTION_ROLE_ARN": ACCOUNT_ROLE + "model",
            "CLOUDFORMATION_ROLE_ARN": ACCOUNT_ROLE + "cfn", **{f"CI_{kind}_ROLE_ARN": ACCOUNT_ROLE + kind.lower()
                                                                 for kind in ("MODEL_BUILD", "DEPLOY_STAGING",
                                                                              "DEPLOY_PROD", "STAGE_TEST")}}


def new_project() -> tuple[str, dict[str, str]]:
    project = f"ci{uuid.uuid4().hex[:6]}"
    return project, project_variables(project)


def jobs_of(provider: str, seed: Path, workflow: str, variables: dict[str, str]):
    parse, path = PROVIDERS[provider]
    return parse(seed / path.format(workflow), variables)


def register_approved(group: str) -> str:
    sm = boto3.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=group)
    return sm.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": "registry.example/sagemaker-xgboost:1.7-1",
                                                "ModelDataUrl": f"s3://bucket/{group}/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        ModelMetrics={"ModelDataQuality": {
            "Statistics": {"ContentType": "application/json", "S3Uri": f"s3://bucket/{group}/statistics.json"},
            "Constraints": {"ContentType": "application/json", "S3Uri": f"s3://bucket/{group}/constraints.json"}}},
    )["ModelPackageArn"]


def queue_answers(emulator_url: str, count: int) -> None:
    """moto's invoke_endpoint answers, one per stage-test request (moto-api's endpoint-results)."""
    results = [{"Body": f"{9 + n / 100}", "ContentType": "text/csv", "InvokedProductionVariant": "AllTraffic",
                "CustomAttributes": ""} for n in range(count)]
    request = urllib.request.Request(f"{emulator_url}/moto-api/static/sagemaker/endpoint-results",  # noqa: S310
                                     data=json.dumps({"results": results}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the loopback emulator
        assert response.status in (200, 201)


def repo_copy(tmp_path: Path, seed: str) -> Path:
    target = tmp_path / seed
    shutil.copytree(ROOT / seed, target, ignore=IGNORE)
    return target


def endpoint_on_stack_config(project: str, stage: str) -> bool:
    stack = boto3.client("cloudformation").describe_stacks(StackName=f"sagemaker-{project}-deploy-{stage}")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    endpoint = boto3.client("sagemaker").describe_endpoint(EndpointName=outputs["EndpointName"])
    return endpoint["EndpointStatus"] == "InService" and endpoint["EndpointConfigName"] == outputs["EndpointConfigName"]


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_deploy_workflow_deploys_staging_tests_it_then_deploys_and_verifies_prod(emulator, tmp_path, provider):
    project, variables = new_project()
    register_approved(variables["MODEL_PACKAGE_GROUP_NAME"])
    queue_answers(emulator, 50)  # staging-config.json: StageTest.Requests
    seed = repo_copy(tmp_path, "seed-deploy")
    jobs = jobs_of(provider, seed, "deploy", variables)
    assert [(job.name, job.environment) for job in jobs] == [
        ("deploy-staging", "staging"), ("test-staging", "staging"), ("deploy-prod", "prod")]
    runs = run_jobs(jobs, seed, dict(os.environ))
    assert [(run.name, run.passed) for run in runs] == [
        ("deploy-staging", True), ("test-staging", True), ("deploy-prod", True)], runs[-1].output[-3000:]
    assert [command.split()[:3] for command in runs[0].ran] == [
        ["python", "-m", "deploy"], ["python", "build.py", "--output-dir"], ["aws", "cloudformation", "deploy"]]
    assert all(endpoint_on_stack_config(project, stage) for stage in ("staging", "prod"))
    report = json.loads((seed / "stage-test-report.json").read_text())
    assert report["passed"] is True and len(report["answers"]) == 50
    assert f"Successfully created/updated stack - sagemaker-{project}-deploy-prod" in runs[-1].output


@pytest.mark.parametrize("provider", ["github"])  # the same commands on GitLab; one provider keeps it short
def test_deploy_workflow_stops_at_the_build_without_an_approved_model(emulator, tmp_path, provider):
    project, variables = new_project()
    boto3.client("sagemaker").create_model_package_group(ModelPackageGroupName=variables["MODEL_PACKAGE_GROUP_NAME"])
    seed = repo_copy(tmp_path, "seed-deploy")
    runs = run_jobs(jobs_of(provider, seed, "deploy", variables), seed, dict(os.environ))
    assert [(run.name, run.passed) for run in runs] == [("deploy-staging", False)]
    assert runs[0].ran[-1].startswith("python build.py")
    assert "Approved" in runs[0].output
    stacks = boto3.client("cloudformation").list_stacks()["StackSummaries"]
    assert not [s for s in stacks if s["StackName"].startswith(f"sagemaker-{project}-")]


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_model_build_workflow_upserts_and_starts_the_pipeline(emulator, tmp_path, provider):
    project, variables = new_project()
    boto3.client("s3").create_bucket(Bucket=variables["ARTIFACT_BUCKET"])
    seed = repo_copy(tmp_path, "seed-build")
    runs = run_jobs(jobs_of(provider, seed, "model-build", variables), seed, dict(os.environ))
    assert [(run.name, run.passed) for run in runs] == [("model-build", True)], runs[-1].output[-3000:]
    name = f"{project}-p-ci1234567890-build"
    executions = boto3.client("sagemaker").list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"]
    assert len(executions) == 1
    data = boto3.client("s3").list_objects_v2(Bucket=variables["ARTIFACT_BUCKET"], Prefix=f"{project}/input/")
    assert [item["Key"] for item in data["Contents"]] == [f"{project}/input/abalone.csv"]
