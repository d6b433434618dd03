"""The CloudFormation deploy role against what CloudFormation itself calls for the endpoint stack: each resource
type's create/read/update/delete handler permissions, from the CloudFormation registry schemas that cfn-lint
bundles (AWS's published resource provider schemas). The emulator's CloudFormation makes these calls inside moto,
so they cannot be recorded; the schemas are AWS's own list of them (scripts/permissions.py)."""
import copy

import pytest

import permissions
from iam_policy import IMPLICIT_DENY


@pytest.fixture(scope="module")
def template():
    template = permissions.endpoint_template()
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert {"AWS::SageMaker::Endpoint", "AWS::CloudWatch::Alarm", "AWS::ApplicationAutoScaling::ScalableTarget"} <= kinds
    return template


@pytest.fixture(scope="module")
def checked(synthesis, template):
    (folder,) = {path.parent for path in synthesis.templates.values()}
    calls = {permissions.CLOUDFORMATION_ROLE: permissions.cloudformation_calls(
        template, permissions.model_role_arn(folder))}
    return calls, permissions.principals(folder)


def test_cloudformation_role_allows_every_handler_permission_of_the_endpoint_stack(checked):
    calls, actors = checked
    report = permissions.evaluate(calls, actors)
    assert len(report.rows) > 30
    assert [(r.action, r.resource, r.decision) for r in report.refused] == []


def test_the_check_fails_when_the_role_loses_a_needed_action(checked):
    calls, actors = checked
    crippled = copy.deepcopy(actors)
    for statement in crippled[permissions.CLOUDFORMATION_ROLE].statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != "cloudwatch:ListTagsForResource"] or ["none:NoAction"]
    refused = permissions.evaluate(calls, crippled).refused
    assert [(r.action, r.decision) for r in refused] == [("cloudwatch:ListTagsForResource", IMPLICIT_DENY)]


def test_each_not_applicable_permission_is_one_the_schemas_list_and_has_a_reason(template):
    listed = {a for kind in {r["Type"] for r in template["Resources"].values()}
              for a in permissions.handler_permissions(kind)}
    assert set(permissions.NOT_APPLICABLE) <= listed
    assert all(reason.strip() for reason in permissions.NOT_APPLICABLE.values())
