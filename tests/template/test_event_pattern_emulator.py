"""The approval rule's synthesized pattern, put into the emulator's EventBridge, delivers only what it should."""
import json
import uuid

import boto3
import pytest

from template.resolve import resolve_template

PROJECT = {"SageMakerProjectName": "abalone", "SageMakerProjectId": "p-abc123"}


GROUP = "abalone-p-abc123"


@pytest.fixture(scope="module")
def routed_queue(emulator_url, project_template):
    """A rule with the synthesized approval pattern, targeting an SQS queue; returns (events, sqs, queue_url)."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    events = session.client("events", endpoint_url=emulator_url)
    sqs = session.client("sqs", endpoint_url=emulator_url)
    rule = next(r for r in resolve_template(project_template, PROJECT)["Resources"].values()
                if r["Type"] == "AWS::Events::Rule" and r["Properties"]["EventPattern"]["source"] == ["aws.sagemaker"])
    name = f"approval-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventPattern=json.dumps(rule["Properties"]["EventPattern"]))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return events, sqs, queue_url


def state_change(group: str, status: str, detail_type: str = "SageMaker Model Package State Change") -> dict:
    """An event in the documented shape (sagemaker-facts.md: Model registry and events)."""
    return {"Source": "aws.sagemaker", "DetailType": detail_type, "Detail": json.dumps({
        "ModelPackageGroupName": group, "ModelPackageVersion": 3, "ModelApprovalStatus": status,
        "ModelPackageArn": f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{group}/3"})}


def delivered(routed_queue, event: dict) -> list[dict]:
    events, sqs, queue_url = routed_queue
    assert events.put_events(Entries=[event])["FailedEntryCount"] == 0
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


@pytest.mark.parametrize("status", ["Approved", "Rejected"])
def test_this_groups_deciding_status_is_delivered(routed_queue, status):
    bodies = delivered(routed_queue, state_change(GROUP, status))
    assert [(b["detail"]["ModelPackageGroupName"], b["detail"]["ModelApprovalStatus"]) for b in bodies] == [
        (GROUP, status)]


@pytest.mark.parametrize("event", [
    state_change(GROUP, "PendingManualApproval"),
    state_change("other-project-p-zzz999", "Approved"),
    state_change(GROUP, "Approved", detail_type="SageMaker Endpoint Deployment State Change"),
], ids=["pending", "other-group", "other-detail-type"])
def test_anything_else_is_not_delivered(routed_queue, event):
    assert delivered(routed_queue, event) == []
