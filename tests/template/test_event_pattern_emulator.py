"""The approval rule's synthesized pattern, put into the emulator's EventBridge, delivers only what it should."""
import json
import uuid

import boto3
import pytest

from resolve import resolve_template

PROJECT = {"SageMakerProjectName": "abalone", "SageMakerProjectId": "p-abc123def456"}


GROUP = "abalone-p-abc123def456"


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


def put(routed_queue, *entries: dict) -> list[str]:
    """Put the events, in this order, in one call; their EventIds (the "id" of what the queue receives)."""
    events, _, _ = routed_queue
    response = events.put_events(Entries=list(entries))
    assert response["FailedEntryCount"] == 0
    return [entry["EventId"] for entry in response["Entries"]]


def received_through(routed_queue, event_id: str) -> list[dict]:
    """Every message body the queue holds once event `event_id` has arrived (bounded: 5 long polls of 1 s).

    moto routes each entry to the rule's targets within PutEvents, in entry order: when a later event has
    arrived, anything an earlier one delivered is in the queue too. The last, short poll takes whatever the
    long polls left."""
    _, sqs, queue_url = routed_queue
    bodies = []

    def receive(wait: int) -> None:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get(
            "Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        bodies.extend(json.loads(m["Body"]) for m in messages)

    for _ in range(5):
        receive(wait=1)
        if any(body["id"] == event_id for body in bodies):
            receive(wait=0)
            return bodies
    pytest.fail(f"event {event_id} never reached the queue")


@pytest.mark.parametrize("status", ["Approved", "Rejected"])
def test_this_groups_deciding_status_is_delivered(routed_queue, status):
    (event_id,) = put(routed_queue, state_change(GROUP, status))
    bodies = received_through(routed_queue, event_id)
    assert [(b["detail"]["ModelPackageGroupName"], b["detail"]["ModelApprovalStatus"]) for b in bodies] == [
        (GROUP, status)]


@pytest.mark.parametrize("event", [
    state_change(GROUP, "PendingManualApproval"),
    state_change("other-project-p-zzz999zzz999", "Approved"),
    state_change(GROUP, "Approved", detail_type="SageMaker Endpoint Deployment State Change"),
], ids=["pending", "other-group", "other-detail-type"])
def test_anything_else_is_not_delivered(routed_queue, event):
    """Non-delivery without a fixed wait: a control event the rule does deliver is put right after `event`;
    once the control has arrived, `event` would have too, so the queue holding the control alone proves it was
    not delivered."""
    event_id, control_id = put(routed_queue, event, state_change(GROUP, "Approved"))
    bodies = received_through(routed_queue, control_id)
    assert [body["id"] for body in bodies] == [control_id], event_id
