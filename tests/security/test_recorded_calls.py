"""Least privilege shown by the code's own calls (scripts/permissions.py): every call the demo's story makes
as the SageMaker Pipeline role, the CodeBuild role, the approver and the model execution role (the endpoint
host's model loads and data capture, and what SageMaker does as that role in AWS per AWS's documentation) is
allowed by that actor's synthesized policy; removing a needed action makes the check fail; every granted action
no call used has its reason."""
import copy
import re

import pytest

import permissions
from iam_actions import Call
from iam_policy import ALLOW, IMPLICIT_DENY, Principal, Request
from template.components.artifacts import DATA_CAPTURE_PREFIX, MONITORING_PREFIX

MODEL = permissions.MODEL_ROLE


@pytest.fixture(scope="module")
def recorded(synthesis, tmp_path_factory):
    (folder,) = {path.parent for path in synthesis.templates.values()}
    calls = permissions.record_story(synthesis.templates["sagemaker-project"], tmp_path_factory.mktemp("perm"),
                                     progress=lambda line: None)
    return calls, permissions.principals(folder)


@pytest.fixture(scope="module")
def report(recorded):
    return permissions.evaluate(*recorded)


def test_every_recorded_call_is_allowed(report):
    assert [(r.actor, r.action, r.resource, r.decision) for r in report.refused] == []


@pytest.mark.parametrize("actor, action", [
    (permissions.PIPELINE_ROLE, "sagemaker:CreateModelPackage"), (permissions.PIPELINE_ROLE, "s3:PutObject"),
    (permissions.PIPELINE_ROLE, "s3:GetObject"), (permissions.CODEBUILD_ROLE, "sagemaker:ListModelPackages"),
    (permissions.CODEBUILD_ROLE, "sagemaker:DescribeEndpoint"), (permissions.CODEBUILD_ROLE, "sagemaker:InvokeEndpoint"),
    (permissions.CODEBUILD_ROLE, "cloudformation:DescribeStacks"), (permissions.APPROVER, "sagemaker:UpdateModelPackage"),
    (MODEL, "s3:GetObject"), (MODEL, "s3:PutObject"),
])
def test_the_story_exercises_each_actor(report, actor, action):
    assert any(r.actor == actor and r.action == action and r.decision == ALLOW for r in report.rows)


def test_the_pipeline_role_registered_pending_only(recorded):
    calls, _ = recorded
    registrations = [c.params for c in calls[permissions.PIPELINE_ROLE] if c.operation == "CreateModelPackage"]
    assert [p["ModelApprovalStatus"] for p in registrations] == ["PendingManualApproval"]


@pytest.mark.parametrize("actor, removed", [(permissions.CODEBUILD_ROLE, "sagemaker:DescribeEndpoint"),
                                            (permissions.PIPELINE_ROLE, "sagemaker:CreateModelPackage"),
                                            (permissions.APPROVER, "sagemaker:UpdateModelPackage"),
                                            (MODEL, "s3:GetObject"), (MODEL, "s3:PutObject"),
                                            (MODEL, "kms:Decrypt"), (MODEL, "kms:GenerateDataKey"),
                                            (MODEL, "ecr:BatchGetImage")])
def test_a_policy_without_a_needed_action_fails_the_check(recorded, actor, removed):
    calls, principals = recorded
    crippled = copy.deepcopy(principals)
    role = crippled[actor]
    for statement in role.statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != removed] or ["none:NoAction"]
    refused = permissions.evaluate(calls, crippled).refused
    assert refused and {(r.actor, r.action, r.decision) for r in refused} == {(actor, removed, IMPLICIT_DENY)}


def test_every_granted_action_without_a_call_has_a_reason(report):
    assert report.unused[permissions.CODEBUILD_ROLE]
    for actor, unused in report.unused.items():
        assert all(reason.strip() for reason in unused.values()), actor
    assert "sagemaker:CreateTrainingJob" in report.unused[permissions.PIPELINE_ROLE]


def test_the_table_shows_each_call_and_each_unused_action(report):
    text = permissions.table(report)
    assert "SageMaker Pipeline role  Allow" in text and "sagemaker:CreateModelPackage" in text
    assert "granted, no recorded call (reason):" in text
    assert "sagemaker:StartPipelineExecution" in text and "run_pipeline.py in AWS" in text


def test_the_table_shows_the_resource_patterns_each_actor_reaches(report, recorded):
    _calls, actors = recorded
    reach = permissions.reach(actors)
    sm = f"arn:aws:sagemaker:us-east-1:{permissions.ACCOUNT}"
    project = f"{permissions.PROJECT_NAME}-{permissions.PROJECT_ID}"
    # The pipeline role registers into its own group only: the suffix is the whole fixed-length id.
    assert f"{sm}:model-package-group/*-{permissions.PROJECT_ID}" in reach[permissions.PIPELINE_ROLE]
    assert f"{sm}:model-package-group/*" not in reach[permissions.PIPELINE_ROLE]
    assert f"{sm}:model-package/*-{permissions.PROJECT_ID}/*" in reach[permissions.SHADOW_TESTER]
    text = permissions.table(report, actors)
    assert "resource patterns each actor can reach:" in text
    approver_lines = [line for line in text.splitlines() if line.startswith(f"  {permissions.APPROVER:<22} {sm}")]
    assert approver_lines and all(project in line or permissions.PROJECT_ID in line or line.endswith("/*")
                                  for line in approver_lines)


def test_an_unmapped_call_is_an_error_not_a_pass():
    from iam_actions import Call, MappingError, authorization

    with pytest.raises(MappingError, match="sagemaker:NoSuchOperation: no IAM action"):
        authorization(Call("sagemaker", "NoSuchOperation", {}, "us-east-1"), account=permissions.ACCOUNT)


def test_acting_as_refuses_what_the_policy_does_not_allow(emulator):
    import boto3
    from botocore.exceptions import ClientError

    principal = Principal("reader", [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}])
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="acting-as-check")
    with permissions.acting_as(principal):
        s3.list_objects_v2(Bucket="acting-as-check")
        with pytest.raises(ClientError, match="reader is not authorized to perform: s3:PutObject"):
            s3.put_object(Bucket="acting-as-check", Key="k", Body=b"x")
    assert s3.list_objects_v2(Bucket="acting-as-check").get("KeyCount") == 0


# -- the model execution role --------------------------------------------------------------------------------
def test_the_model_role_loads_the_registered_artifact_and_writes_capture_as_aws_lays_it_out(recorded, report):
    calls, _ = recorded
    (registration,) = [c.params for c in calls[permissions.PIPELINE_ROLE] if c.operation == "CreateModelPackage"]
    (container,) = registration["InferenceSpecification"]["Containers"]
    model_data = container["ModelDataUrl"].removeprefix("s3://")
    host = [c for c in calls[MODEL] if not c.caller.startswith(permissions.AWS_SIDE)]
    assert {c.operation for c in host} == {"GetObject", "PutObject"}
    assert {f"{c.params['Bucket']}/{c.params['Key']}" for c in host if c.operation == "GetObject"} == {model_data}
    # The capture layout of the developer guide's data capture page: <destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/
    # <file>.jsonl, the destination the endpoint template gives (s3://<ArtifactBucket>/data-capture).
    written = [c.params["Key"] for c in host if c.operation == "PutObject"]
    assert written and all(re.fullmatch(rf"{DATA_CAPTURE_PREFIX}/{permissions.PROJECT_NAME}-(staging|prod)/"
                                        r"AllTraffic/\d{4}/\d\d/\d\d/\d\d/[^/]+\.jsonl", key) for key in written)
    rows = [r for r in report.rows if r.actor == MODEL]
    assert rows and all(r.decision == ALLOW for r in rows)


def test_aws_side_calls_are_the_documented_ones_for_what_was_recorded(recorded, report, synthesis):
    calls, _ = recorded
    (image,) = [c["Image"] for call in calls[permissions.PIPELINE_ROLE] if call.operation == "CreateModelPackage"
                for c in call.params["InferenceSpecification"]["Containers"]]
    registry, repository = image.split("/")[0], image.split("/")[1].split(":")[0]
    repository_arn = f"arn:aws:ecr:{registry.split('.')[3]}:{registry.split('.')[0]}:repository/{repository}"
    aws_side = {(r.action, r.resource) for r in report.rows if r.actor == MODEL and r.aws_side}
    assert {("ecr:BatchGetImage", repository_arn), ("ecr:GetDownloadUrlForLayer", repository_arn),
            ("ecr:GetAuthorizationToken", "*")} <= aws_side
    assert any(action == "logs:PutLogEvents" and f"log-group:/aws/sagemaker/Endpoints/{permissions.PROJECT_NAME}-"
               in resource for action, resource in aws_side)
    # One KMS call per object read or written in the SSE-KMS bucket, on the bucket's own key.
    recorded_ops = [c.operation for c in calls[MODEL] if not c.caller.startswith(permissions.AWS_SIDE)]
    kms = [c for c in calls[MODEL] if c.signing_name == "kms"]
    assert sorted(c.operation for c in kms) == sorted({"GetObject": "Decrypt", "PutObject": "GenerateDataKey"}[op]
                                                      for op in recorded_ops)
    resources = synthesis.template("sagemaker-project")["Resources"]
    (key,) = [logical_id for logical_id, r in resources.items() if r["Type"] == "AWS::KMS::Key"]
    assert {c.params["KeyId"] for c in kms} == {f"arn:aws:kms:us-east-1:{permissions.ACCOUNT}:key/{key}"}


def test_the_model_role_writes_only_captures_and_monitoring_reports(recorded, report):
    _, actors = recorded
    role = actors[MODEL]
    bucket = f"arn:aws:s3:::{permissions.BUCKET}"
    assert role.decide(Request("s3:PutObject", f"{bucket}/{DATA_CAPTURE_PREFIX}/e/AllTraffic/x.jsonl")) == ALLOW
    assert role.decide(Request("s3:PutObject", f"{bucket}/{MONITORING_PREFIX}/e/data-quality/r.json")) == ALLOW
    for action, key in [("s3:PutObject", "abalone/model/output/model.tar.gz"), ("s3:DeleteObject", "data-capture/x")]:
        assert role.decide(Request(action, f"{bucket}/{key}")) == IMPLICIT_DENY, (action, key)
    assert "cloudwatch:DescribeAlarms" in report.unused[MODEL]  # one model's deploy runs no guarded update


def test_the_write_prefixes_are_where_the_endpoint_template_sends_captures_and_reports():
    """seed-deploy's rendered endpoint templates (shipped stage configs and the inference-component examples) write
    only under the prefixes the template grants the model execution role."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and node.startswith("s3://${ArtifactBucket}/"):
            found.add(node.removeprefix("s3://${ArtifactBucket}/").split("/")[0])
    for template in permissions.endpoint_templates():
        walk(template["Resources"])
    assert found == {DATA_CAPTURE_PREFIX, MONITORING_PREFIX}


@pytest.mark.parametrize("caller, operation, expected", [
    ("/repo/toolkit/src/mlops_guardrails/deploy/rehearsal/models.py:127:read_artifact", "GetObject", True),
    ("/repo/toolkit/src/mlops_guardrails/deploy/rehearsal/data_capture.py:114:_write", "PutObject", True),
    ("/repo/toolkit/src/mlops_guardrails/deploy/rehearsal/alarms.py:154:load", "DescribeAlarms", True),
    ("/repo/toolkit/src/mlops_guardrails/deploy/rehearsal/alarms.py:165:check", "SetAlarmState", False),  # CloudWatch's own evaluation
    ("/repo/toolkit/src/mlops_guardrails/deploy/rehearsal/metrics.py:91:publish", "PutMetricData", False),  # SageMaker's own metrics
    ("/repo/scripts/demo_story/endpoints.py:66:variant", "DescribeModelPackage", False),
])
def test_only_the_hosts_calls_as_the_model_are_the_model_roles(caller, operation, expected):
    assert permissions.acts_as_model(Call("s3", operation, {}, "us-east-1", caller=caller)) is expected


def test_the_table_marks_the_aws_side_calls_with_their_source(report):
    text = permissions.table(report)
    assert re.search(r"model execution role +Allow +\d+  ecr:BatchGetImage  \S+  \[AWS-side \d\]", text)
    assert "not recorded: SageMaker makes it as the role in AWS, per CreateModel role (developer guide" in text
    assert re.search(r"model execution role +Allow +\d+  s3:GetObject  \S+model\.tar\.gz\n", text)
