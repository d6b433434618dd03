"""The CI dispatch through the emulator's EventBridge: the synthesized connection, API destination and approval
rule are created in moto (botocore validates each request); moto does not call API destinations, so the rule
gets a second target, a queue, with the same input transformer: what the queue receives is the body EventBridge
POSTs to the CI. An Approved (or Rejected) event of this group produces exactly that request; other groups and
statuses produce none."""
import json
import uuid

import boto3
import pytest

from resolve import resolve_template

PROJECT = {"SageMakerProjectName": "abalone", "SageMakerProjectId": "p-abc123def456",
           "CiDispatchSecretName": "sagemaker-ci/abalone/dispatch"}
SETS = {
    "github": {**PROJECT, "CiProvider": "GitHubActions", "BuildRepositoryId": "acme/abalone-build",
               "DeployRepositoryId": "acme/abalone-deploy"},
    "gitlab": {**PROJECT, "CiProvider": "GitLabCI", "GitLabHost": "gitlab.example.com",
               "BuildRepositoryId": "ml/abalone-build", "DeployRepositoryId": "ml/abalone-deploy"},
}
GROUP = "abalone-p-abc123def456"
SECRET_REFERENCE = "{{resolve:secretsmanager:sagemaker-ci/abalone/dispatch}}"
FAKE_CREDENTIAL = "fake-ci-credential"


def of_type(template: dict, kind: str) -> dict:
    (found,) = [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind
                and (kind != "AWS::Events::Rule" or r["Properties"]["Targets"][0]["Id"] == "DeployWorkflow")]
    return found


def with_credential(node):
    """The connection as CloudFormation creates it once the dynamic reference has resolved (to a fake value)."""
    return json.loads(json.dumps(node).replace(SECRET_REFERENCE, FAKE_CREDENTIAL))


class Dispatch:
    """The synthesized dispatch resources created in the emulator, plus the body-witness queue."""

    def __init__(self, url: str, template: dict) -> None:
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                region_name="us-east-1")
        self.events, self.sqs = session.client("events", endpoint_url=url), session.client("sqs", endpoint_url=url)
        name = f"dispatch-{uuid.uuid4().hex[:8]}"
        self.connection = with_credential(of_type(template, "AWS::Events::Connection"))
        connection_arn = self.events.create_connection(
            Name=name, AuthorizationType=self.connection["AuthorizationType"],
            AuthParameters=self.connection["AuthParameters"])["ConnectionArn"]
        self.destination = of_type(template, "AWS::Events::ApiDestination")
        destination_arn = self.events.create_api_destination(
            Name=name, ConnectionArn=connection_arn, InvocationEndpoint=self.destination["InvocationEndpoint"],
            HttpMethod=self.destination["HttpMethod"],
            InvocationRateLimitPerSecond=self.destination["InvocationRateLimitPerSecond"])["ApiDestinationArn"]
        rule = of_type(template, "AWS::Events::Rule")
        (self.target,) = rule["Targets"]
        self.queue_url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.events.put_rule(Name=name, EventPattern=json.dumps(rule["EventPattern"]))
        self.events.put_targets(Rule=name, Targets=[
            {"Id": "DeployWorkflow", "Arn": destination_arn, "RoleArn": "arn:aws:iam::123456789012:role/events",
             "HttpParameters": self.target["HttpParameters"], "InputTransformer": self.target["InputTransformer"]},
            {"Id": "BodyWitness", "Arn": queue_arn, "InputTransformer": self.target["InputTransformer"]}])

    def put(self, *entries: dict) -> None:
        assert self.events.put_events(Entries=list(entries))["FailedEntryCount"] == 0

    def bodies_through(self, arn: str) -> list[dict]:
        """Every body received once the one for model package `arn` has arrived (bounded: 5 polls of 1 s)."""
        bodies = []
        for _ in range(5):
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=1).get("Messages", [])
            for message in messages:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                bodies.append(json.loads(message["Body"]))
            if arn in json.dumps(bodies):
                return bodies
        pytest.fail(f"the body for {arn} never arrived")


def state_change(group: str, status: str, version: int = 3) -> dict:
    """An event in the documented shape (sagemaker-facts.md: Model registry and events)."""
    return {"Source": "aws.sagemaker", "DetailType": "SageMaker Model Package State Change", "Detail": json.dumps({
        "ModelPackageGroupName": group, "ModelPackageVersion": version, "ModelApprovalStatus": status,
        "ModelPackageArn": package_arn(group, version)})}


def package_arn(group: str, version: int) -> str:
    return f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{group}/{version}"


@pytest.fixture(scope="module", params=sorted(SETS))
def dispatch(request, emulator_url, project_template):
    return request.param, Dispatch(emulator_url, resolve_template(project_template, SETS[request.param]))


def expected_request(provider: str, status: str, version: int) -> dict:
    arn = package_arn(GROUP, version)
    if provider == "github":
        return {"url": "https://api.github.com/repos/acme/abalone-deploy/dispatches",
                "headers": {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                            "Authorization": FAKE_CREDENTIAL},
                "query": {},
                "body": {"event_type": "sagemaker-model-approval", "client_payload": {
                    "model_package_arn": arn, "model_approval_status": status, "model_package_group_name": GROUP}}}
    return {"url": "https://gitlab.example.com/api/v4/projects/ml%2Fabalone-deploy/trigger/pipeline",
            "headers": {"Content-Type": "application/json", "X-Trigger-Token": FAKE_CREDENTIAL},
            "query": {"token": FAKE_CREDENTIAL},
            "body": {"ref": "main", "variables": {"MODEL_PACKAGE_ARN": arn, "MODEL_APPROVAL_STATUS": status,
                                                  "MODEL_PACKAGE_GROUP_NAME": GROUP}}}


def rendered_request(dispatch: Dispatch, body: dict) -> dict:
    """The request EventBridge sends: POST to the destination, the target's headers plus the connection's API key
    header, the connection's query parameters, and the transformed body."""
    auth = dispatch.connection["AuthParameters"]
    api_key = auth["ApiKeyAuthParameters"]
    query = {p["Key"]: p["Value"] for p in auth.get("InvocationHttpParameters", {}).get("QueryStringParameters", [])}
    assert dispatch.destination["HttpMethod"] == "POST"
    return {"url": dispatch.destination["InvocationEndpoint"],
            "headers": {**dispatch.target["HttpParameters"]["HeaderParameters"],
                        api_key["ApiKeyName"]: api_key["ApiKeyValue"]},
            "query": query, "body": body}


@pytest.mark.parametrize("status, version", [("Approved", 3), ("Rejected", 4)])
def test_this_groups_decision_produces_the_dispatch_request(dispatch, status, version):
    provider, created = dispatch
    created.put(state_change(GROUP, status, version))
    (body,) = created.bodies_through(package_arn(GROUP, version))
    assert rendered_request(created, body) == expected_request(provider, status, version)


@pytest.mark.parametrize("event", [state_change(GROUP, "PendingManualApproval", 5),
                                   state_change("other-project-p-zzz999zzz999", "Approved", 6)],
                         ids=["pending", "other-group"])
def test_other_statuses_and_groups_produce_no_request(dispatch, event):
    """A control event the rule does route is put right after `event`: once its body has arrived, `event`'s
    would have too."""
    provider, created = dispatch
    created.put(event, state_change(GROUP, "Approved", 7))
    assert created.bodies_through(package_arn(GROUP, 7)) == [expected_request(provider, "Approved", 7)["body"]]
