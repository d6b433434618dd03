"""Step 3's wiring: an approver's decision, the event SageMaker would emit, the project's rule routing it."""
import json
from dataclasses import dataclass

from demo_story import console
from demo_story.errors import StoryError

SOURCE = "aws.sagemaker"
DETAIL_TYPE = "SageMaker Model Package State Change"
MAX_RECEIVES = 3  # bounded: moto delivers put_events to SQS synchronously, one receive normally suffices


@dataclass(frozen=True)
class Delivery:
    """An event the rule let through to the deploy pipeline's target."""

    status: str
    version: int
    arn: str


def state_change(group: str, arn: str, version: int, status: str) -> dict:
    """An event in the documented shape (shared/reference/sagemaker-facts.md: Model registry and events)."""
    detail = {"ModelPackageGroupName": group, "ModelPackageArn": arn, "ModelPackageVersion": version,
              "ModelApprovalStatus": status}
    return {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Resources": [arn], "Detail": json.dumps(detail)}


def decide(session, project, arn: str, status: str, reason: str) -> None:
    """The approver's click: UpdateModelPackage with a status and a reason."""
    session.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status,
                                                     ApprovalDescription=reason[:1024])


def emit(session, event: dict) -> None:
    """What SageMaker does after the status changes; moto emits nothing itself, so the story puts it."""
    result = session.client("events").put_events(Entries=[event])
    if result["FailedEntryCount"]:
        raise StoryError(f"put_events refused the event: {result['Entries']}")


def delivered(session, project) -> list[Delivery]:
    """Drain the rule target's queue: every event the project's rule passed."""
    sqs, found = session.client("sqs"), []
    for _ in range(MAX_RECEIVES):
        messages = sqs.receive_message(QueueUrl=project.queue_url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=0).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=project.queue_url, ReceiptHandle=message["ReceiptHandle"])
            detail = json.loads(message["Body"])["detail"]
            found.append(Delivery(detail["ModelApprovalStatus"], int(detail["ModelPackageVersion"]),
                                  detail["ModelPackageArn"]))
        if not messages and found:
            break
    return found


def status_changes(session, project, packages: list[tuple[str, int]], status: str, reason: str | None) -> list[Delivery]:
    """Decide on each package (unless reason is None: already decided), emit each event, return what the
    rule delivered to the pipeline."""
    for arn, version in packages:
        if reason is not None:
            decide(session, project, arn, status, reason)
        emit(session, state_change(project.group, arn, version, status))
        console.detail(f"registry: v{version} -> {status}; event '{DETAIL_TYPE}' put on the default bus")
    deliveries = delivered(session, project)
    for delivery in deliveries:
        console.detail(f"rule {project.rule_name} passed v{delivery.version} {delivery.status} "
                       "-> starts the deploy pipeline")
    return deliveries


def unrelated_events_pass(session, project) -> dict[str, int]:
    """Events the rule must not pass: another group's approval, a Pending registration. -> label: delivered."""
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/other-project-p-0000/1"
    cases = {
        "another group's Approved": state_change("other-project-p-0000", arn, 1, "Approved"),
        "this group's PendingManualApproval": state_change(project.group, arn, 1, "PendingManualApproval"),
    }
    counts = {}
    for label, event in cases.items():
        emit(session, event)
        counts[label] = len(delivered(session, project))
        console.detail(f"unrelated event ({label}): {counts[label]} delivered")
    return counts
