"""The CloudFormation deploy role against what CloudFormation itself calls for the endpoint stack: each resource
type's create/read/update/delete handler permissions, from the CloudFormation registry schemas that cfn-lint
bundles (AWS's published resource provider schemas). The emulator's CloudFormation makes these calls inside moto,
so they cannot be recorded; the schemas are AWS's own list of them."""
import json
from pathlib import Path

import cfnlint
import pytest
import yaml

import lint
import permissions
from iam_actions import Call, authorization
from iam_policy import ALLOW, Request, role_principals
from resolved_project import ACCOUNT, BOUNDARY_ARN

SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"
HANDLERS = ("create", "read", "update", "delete")
# Handler permissions that the endpoint template cannot need, each with the reason.
NOT_APPLICABLE = {
    "lambda:GetProvisionedConcurrencyConfig": "scalable targets of Lambda functions only; ours scale SageMaker variants",
    "lambda:PutProvisionedConcurrencyConfig": "scalable targets of Lambda functions only",
    "lambda:DeleteProvisionedConcurrencyConfig": "scalable targets of Lambda functions only",
    "application-autoscaling:PutScheduledAction": "the template defines no scheduled actions",
    "application-autoscaling:DeleteScheduledAction": "the template defines no scheduled actions",
    "kms:DescribeKey": "only with an endpoint config KmsKeyId, which the stage configs do not set",
}
# What the request names, so that each action maps to the ARN IAM evaluates (iam_actions.authorization).
NAMES = {"AlarmName": "abalone-staging-model-latency", "EndpointName": "abalone-staging",
         "EndpointConfigName": "abalone-staging-config", "ModelName": "abalone-staging-model",
         "MonitoringScheduleName": "abalone-staging-monitoring", "JobDefinitionName": "abalone-staging-quality",
         "ResourceId": "endpoint/abalone-staging/variant/AllTraffic",
         "PassedToService": "sagemaker.amazonaws.com",
         "AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com", "service-namespace": "sagemaker"}


def handler_permissions(resource_type: str) -> set[str]:
    providers = json.loads((SCHEMAS / "providers" / "us-east-1.json").read_text())
    schema = json.loads((SCHEMAS / "resources" / f"{providers[resource_type]}.json").read_text())
    return {p for handler in HANDLERS for p in schema.get("handlers", {}).get(handler, {}).get("permissions", [])}


@pytest.fixture(scope="module")
def needed() -> dict[str, set[str]]:
    text, _ = lint.rendered_endpoint_template()
    kinds = {r["Type"] for r in yaml.safe_load(text)["Resources"].values()}
    assert {"AWS::SageMaker::Endpoint", "AWS::CloudWatch::Alarm", "AWS::ApplicationAutoScaling::ScalableTarget"} <= kinds
    return {kind: handler_permissions(kind) for kind in sorted(kinds)}


@pytest.fixture(scope="module")
def roles(project, boundary_statements):
    """The project's roles with resource attributes as physical ARNs (the boundary matches role ARNs)."""
    return role_principals(permissions.physical(project), {BOUNDARY_ARN: boundary_statements})


@pytest.fixture(scope="module")
def cloudformation_role(roles):
    (role,) = [p for lid, p in roles.items() if lid.startswith("RolesCloudFormation")]
    return role


def decision(role, action: str, *, model_role: str = "") -> str:
    """`role`'s decision on `action` as CloudFormation requests it for the stage stack's resources; PassRole
    passes the model's execution role (the resolved template's `<LogicalId.Arn>`) to SageMaker."""
    prefix, name = action.split(":")
    auth = authorization(Call(prefix, name, NAMES, "us-east-1"), account=ACCOUNT)
    resource = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-project/{model_role}" if action == "iam:PassRole" \
        else auth.resource
    return role.decide(Request(auth.action, resource, auth.context))


def test_cloudformation_role_allows_every_handler_permission_of_the_endpoint_stack(needed, cloudformation_role, roles):
    (model_role,) = [lid for lid in roles if lid.startswith("RolesModelExecution")]
    refused = {}
    for kind, actions in needed.items():
        for action in sorted(actions - set(NOT_APPLICABLE)):
            result = decision(cloudformation_role, action, model_role=model_role)
            if result != ALLOW:
                refused.setdefault(kind, []).append(f"{action}: {result}")
    assert refused == {}


def test_the_check_fails_when_the_role_loses_a_needed_action(needed, cloudformation_role):
    import copy

    crippled = copy.deepcopy(cloudformation_role)
    for statement in crippled.statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != "cloudwatch:ListTagsForResource"] or ["none:NoAction"]
    assert "cloudwatch:ListTagsForResource" in needed["AWS::CloudWatch::Alarm"]
    assert decision(crippled, "cloudwatch:ListTagsForResource") != ALLOW
    assert decision(cloudformation_role, "cloudwatch:ListTagsForResource") == ALLOW
