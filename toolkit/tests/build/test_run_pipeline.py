"""run_pipeline against the emulator: upsert, start, scripts uploaded; --wait's polling through a stubbed client."""
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from mlops_guardrails.build import run_pipeline

ROLE = "arn:aws:iam::123456789012:role/SageMakerPipelineRole"


def kwargs(bucket, name):
    return json.dumps({"default_bucket": bucket, "pipeline_name": name, "model_package_group_name": f"{name}-group", "role": ROLE})


def test_run_pipeline_upserts_the_definition_uploads_scripts_and_starts(emulator, capsys):
    boto3.client("s3").create_bucket(Bucket="run-pipeline-bucket")
    code = run_pipeline.main([
        "--module-name", "pipelines.abalone.pipeline", "--role-arn", ROLE,
        "--tags", '[{"Key": "sagemaker:project-name", "Value": "demo"}]',
        "--kwargs", kwargs("run-pipeline-bucket", "demo-build"),
    ])
    assert code == 0
    sagemaker = boto3.client("sagemaker")
    described = sagemaker.describe_pipeline(PipelineName="demo-build")
    definition = json.loads(described["PipelineDefinition"])
    assert described["RoleArn"] == ROLE
    assert definition["Steps"][0]["Name"] == "PreprocessAbaloneData"
    executions = sagemaker.list_pipeline_executions(PipelineName="demo-build")["PipelineExecutionSummaries"]
    assert len(executions) == 1
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="run-pipeline-bucket")["Contents"]]
    assert sorted(k.rsplit("/", 1)[-1] for k in keys) == ["baseline.py", "evaluate.py", "preprocess.py"]
    out = capsys.readouterr().out
    assert "upserted pipeline: arn:aws:sagemaker:" in out and "started execution: " in out


@pytest.mark.parametrize("argv, message", [
    (["--kwargs", "{not json"], "error: --kwargs: not valid JSON"),
    (["--kwargs", "[]"], "error: --kwargs: []: expected a JSON dict"),
    (["--kwargs", '{"pipeline_name": "x"}'], "error: --kwargs: missing default_bucket"),
    (["--tags", '{"Key": "a"}', "--kwargs", "{}"], "expected a JSON list"),
])
def test_run_pipeline_bad_arguments_exit_2(argv, message, capsys):
    code = run_pipeline.main(["--module-name", "pipelines.abalone.pipeline", "--role-arn", ROLE, *argv])
    assert code == 2
    assert message in capsys.readouterr().err


def test_follow_prints_each_step_status_change_until_the_execution_ends(monkeypatch, capsys):
    client = boto3.client("sagemaker", region_name="us-east-1")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p/execution/abc"
    stub = Stubber(client)
    step = lambda name, status, **extra: {"StepName": name, "StepStatus": status, **extra}
    stub.add_response("list_pipeline_execution_steps", {"PipelineExecutionSteps": [step("Preprocess", "Executing")]})
    stub.add_response("describe_pipeline_execution", {"PipelineExecutionStatus": "Executing"})
    stub.add_response("list_pipeline_execution_steps", {"PipelineExecutionSteps": [
        step("Preprocess", "Succeeded"), step("Train", "Failed", FailureReason="AlgorithmError: bad data")]})
    stub.add_response("describe_pipeline_execution", {"PipelineExecutionStatus": "Failed"})
    monkeypatch.setattr(boto3, "client", lambda service, **kw: client)
    with stub:
        assert run_pipeline.follow(arn, poll_seconds=0, max_polls=5) == "Failed"
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == ["Preprocess", "Executing"]
    assert lines[1] == ["Preprocess", "Succeeded"]
    assert lines[2][:2] == ["Train", "Failed"] and "AlgorithmError: bad data" in " ".join(lines[2])


def test_failed_steps_name_each_failing_step_and_its_reason(monkeypatch):
    client = boto3.client("sagemaker", region_name="us-east-1")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p/execution/abc"
    stub = Stubber(client)
    stub.add_response("list_pipeline_execution_steps", {"PipelineExecutionSteps": [
        {"StepName": "Preprocess", "StepStatus": "Succeeded"},
        {"StepName": "CheckMSE", "StepStatus": "Failed", "FailureReason": "Test-set MSE 9.1 is above 6.0"}]},
        {"PipelineExecutionArn": arn, "SortOrder": "Ascending"})
    monkeypatch.setattr(boto3, "client", lambda service, **kw: client)
    with stub:
        assert run_pipeline.failed_steps(arn) == "step CheckMSE: Test-set MSE 9.1 is above 6.0"


def test_the_build_waits_for_the_pipeline_it_started():
    # A red build when the pipeline fails: CodeBuild runs run_pipeline with --wait.
    buildspec = (Path(__file__).resolve().parents[1] / "buildspec.yml").read_text()
    assert "--wait" in buildspec.split("python -m pipelines.run_pipeline", 1)[1]
