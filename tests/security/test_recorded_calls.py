"""Least privilege shown by the code's own calls (scripts/permissions.py): every call the demo's story makes
as the SageMaker Pipeline role, the CodeBuild role and the approver is allowed by that actor's synthesized
policy; removing a needed action makes the check fail; every granted action no call used has its reason."""
import copy

import pytest

import permissions
from iam_policy import ALLOW, IMPLICIT_DENY, Principal


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
])
def test_the_story_exercises_each_actor(report, actor, action):
    assert any(r.actor == actor and r.action == action and r.decision == ALLOW for r in report.rows)


def test_the_pipeline_role_registered_pending_only(recorded):
    calls, _ = recorded
    registrations = [c.params for c in calls[permissions.PIPELINE_ROLE] if c.operation == "CreateModelPackage"]
    assert [p["ModelApprovalStatus"] for p in registrations] == ["PendingManualApproval"]


@pytest.mark.parametrize("actor, removed", [(permissions.CODEBUILD_ROLE, "sagemaker:DescribeEndpoint"),
                                            (permissions.PIPELINE_ROLE, "sagemaker:CreateModelPackage"),
                                            (permissions.APPROVER, "sagemaker:UpdateModelPackage")])
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
