"""The CloudFormation deploy role against what CloudFormation itself calls for the endpoint stack: each resource
type's create/read/update/delete handler permissions, from the CloudFormation registry schemas that cfn-lint
bundles (AWS's published resource provider schemas). The emulator's CloudFormation makes these calls inside moto,
so they cannot be recorded; the schemas are AWS's own list of them (scripts/permissions.py). The stack is rendered
from the shipped stage configs and from the inference-component examples (components, scale to zero)."""
import copy

import pytest

import permissions
from iam_policy import ALLOW, IMPLICIT_DENY

COMPONENT_TYPES = {"AWS::SageMaker::InferenceComponent", "AWS::ApplicationAutoScaling::ScalingPolicy",
                   "AWS::ApplicationAutoScaling::ScalableTarget", "AWS::CloudWatch::Alarm"}


@pytest.fixture(scope="module")
def templates():
    shipped, scale_to_zero, components = permissions.endpoint_templates()
    assert {"AWS::SageMaker::Endpoint", "AWS::CloudWatch::Alarm",
            "AWS::ApplicationAutoScaling::ScalableTarget"} <= {r["Type"] for r in shipped["Resources"].values()}
    assert COMPONENT_TYPES <= {r["Type"] for r in scale_to_zero["Resources"].values()}
    assert "AWS::SageMaker::InferenceComponent" in {r["Type"] for r in components["Resources"].values()}
    # Scale to zero: the copy count's scalable target and the step policy out of zero on its alarm.
    dimensions = {r["Properties"].get("ScalableDimension") for r in scale_to_zero["Resources"].values()}
    assert "sagemaker:inference-component:DesiredCopyCount" in dimensions
    return [shipped, scale_to_zero, components]


@pytest.fixture(scope="module")
def checked(synthesis, templates):
    (folder,) = {path.parent for path in synthesis.templates.values()}
    calls = {permissions.CLOUDFORMATION_ROLE: permissions.cloudformation_calls(
        templates, permissions.model_role_arn(folder))}
    return calls, permissions.principals(folder)


def without(actors: dict, actor: str, removed: str) -> dict:
    crippled = copy.deepcopy(actors)
    for statement in crippled[actor].statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != removed] or ["none:NoAction"]
    return crippled


def test_cloudformation_role_allows_every_handler_permission_of_the_endpoint_stack(checked):
    calls, actors = checked
    report = permissions.evaluate(calls, actors)
    assert len(report.rows) > 30
    assert [(r.action, r.resource, r.decision) for r in report.refused] == []


@pytest.mark.parametrize("action, resource", [
    ("sagemaker:CreateInferenceComponent", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/perm-check-staging"),
    ("sagemaker:UpdateInferenceComponent",
     "arn:aws:sagemaker:us-east-1:123456789012:inference-component/perm-check-staging-model"),
    ("sagemaker:UpdateInferenceComponentRuntimeConfig",
     "arn:aws:sagemaker:us-east-1:123456789012:inference-component/perm-check-staging-model"),
    ("sagemaker:DeleteInferenceComponent",
     "arn:aws:sagemaker:us-east-1:123456789012:inference-component/perm-check-staging-model"),
])
def test_inference_component_handlers_are_allowed_on_the_stage_resources(checked, action, resource):
    rows = permissions.evaluate(*checked).rows
    assert [(r.resource, r.decision) for r in rows if r.action == action] == [(resource, ALLOW)]


@pytest.mark.parametrize("removed", ["cloudwatch:ListTagsForResource", "sagemaker:CreateInferenceComponent",
                                     "sagemaker:UpdateInferenceComponentRuntimeConfig"])
def test_the_check_fails_when_the_role_loses_a_needed_action(checked, removed):
    calls, actors = checked
    refused = permissions.evaluate(calls, without(actors, permissions.CLOUDFORMATION_ROLE, removed)).refused
    assert [(r.action, r.decision) for r in refused] == [(removed, IMPLICIT_DENY)]


def test_without_the_component_examples_the_component_handlers_are_not_checked(synthesis, templates):
    """The inference-component actions are checked only because the examples are rendered: the shipped configs
    alone would not prove them."""
    (folder,) = {path.parent for path in synthesis.templates.values()}
    shipped_only = permissions.cloudformation_calls(templates[:1], permissions.model_role_arn(folder))
    both = permissions.cloudformation_calls(templates, permissions.model_role_arn(folder))
    added = {f"{c.signing_name}:{c.operation}" for c in both} - {f"{c.signing_name}:{c.operation}" for c in shipped_only}
    assert added == {"sagemaker:CreateInferenceComponent", "sagemaker:DescribeInferenceComponent",
                     "sagemaker:UpdateInferenceComponent", "sagemaker:UpdateInferenceComponentRuntimeConfig",
                     "sagemaker:DeleteInferenceComponent"}


def test_each_not_applicable_permission_is_one_the_schemas_list_and_has_a_reason(templates):
    listed = {a for kind in {r["Type"] for t in templates for r in t["Resources"].values()}
              for a in permissions.handler_permissions(kind)}
    assert set(permissions.NOT_APPLICABLE) <= listed
    assert all(reason.strip() for reason in permissions.NOT_APPLICABLE.values())
