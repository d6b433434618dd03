"""Managed shadow tests: whoever runs `deploy shadow-test` holds the project's shadow-test policy, and SageMaker
runs the experiment as the project's shadow-test role. The command's own calls (start, status, stop through the
seed's CLI, against botocore's Stubber: moto has no inference experiments) are recorded and evaluated against the
synthesized policy (scripts/permissions.py); removing an action makes the check fail."""
import copy

import pytest

import permissions
from iam_policy import ALLOW, DENY, IMPLICIT_DENY, Request, statement_matches, trust_matches
from iam_actions import Call, authorization
from resolved_project import ACCOUNT
from resolve import resolve_template
from test_trust_and_patterns import MULTI, STAGING, TARGET, shared_statements
from template.components.policies import SHADOW_TEST_ACTIONS
from template.components.registry import APPROVER_PATH
from template.components.roles import SHADOW_TEST_ROLE_DESCRIPTION
from template.components.shadow_tests import SHADOW_TEST_POLICY_DESCRIPTION

SM = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"


@pytest.fixture(scope="module")
def folder(synthesis):
    (folder,) = {path.parent for path in synthesis.templates.values()}
    return folder


@pytest.fixture(scope="module")
def recorded(folder):
    return {permissions.SHADOW_TESTER: permissions.shadow_test_calls(folder)}, permissions.principals(folder)


@pytest.fixture(scope="module")
def report(recorded):
    return permissions.evaluate(*recorded)


def test_every_call_of_the_shadow_test_command_is_allowed(report):
    assert [(r.action, r.resource, r.decision) for r in report.refused] == []


def test_the_command_exercises_every_granted_action_and_passes_the_shadow_test_role(report, folder):
    used = {r.action: r.resource for r in report.rows if r.decision == ALLOW}
    assert set(SHADOW_TEST_ACTIONS) | {"sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig",
                                       "sagemaker:DescribeModel", "sagemaker:DescribeModelPackage",
                                       "iam:PassRole"} == set(used)
    # The candidate check reads this project's package only (the group is <name>-<id>).
    assert used["sagemaker:DescribeModelPackage"] == f"{SM}:model-package/perm-check-p-perm00000001/1"
    assert used["iam:PassRole"] == permissions.role_arn(folder, SHADOW_TEST_ROLE_DESCRIPTION)
    assert used["sagemaker:CreateInferenceExperiment"] == f"{SM}:inference-experiment/candidate-shadow"
    # Least privilege: the policy grants nothing the command does not call.
    assert report.unused[permissions.SHADOW_TESTER] == {}


@pytest.mark.parametrize("removed", ["sagemaker:CreateInferenceExperiment", "sagemaker:StopInferenceExperiment",
                                     "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModelPackage",
                                     "iam:PassRole"])
def test_the_check_fails_when_the_policy_loses_a_needed_action(recorded, removed):
    calls, actors = recorded
    crippled = copy.deepcopy(actors)
    for statement in crippled[permissions.SHADOW_TESTER].statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != removed] or ["none:NoAction"]
    refused = permissions.evaluate(calls, crippled).refused
    assert {(r.action, r.decision) for r in refused} == {(removed, IMPLICIT_DENY)}


def pass_role(role_arn: str, service: str = "sagemaker.amazonaws.com") -> Request:
    auth = authorization(Call("iam", "PassRole", {"RoleName": role_arn, "PassedToService": service}, "us-east-1"),
                         account=permissions.ACCOUNT)
    return Request(auth.action, auth.resource, auth.context)


def test_the_policy_passes_the_shadow_test_role_only_and_only_to_sagemaker(recorded, folder):
    tester = recorded[1][permissions.SHADOW_TESTER]
    own = permissions.role_arn(folder, SHADOW_TEST_ROLE_DESCRIPTION)
    assert tester.decide(pass_role(own)) == ALLOW
    assert tester.decide(pass_role(own, "ec2.amazonaws.com")) == IMPLICIT_DENY
    # Not the model's execution role (the command's old default), nor any other project role.
    assert tester.decide(pass_role(permissions.model_role_arn(folder))) == IMPLICIT_DENY
    assert tester.decide(pass_role(f"arn:aws:iam::{ACCOUNT}:role/sagemaker-project/Other")) == IMPLICIT_DENY


def test_the_policy_cannot_approve_deploy_or_change_endpoints(recorded):
    tester = recorded[1][permissions.SHADOW_TESTER]
    for action, resource in [("sagemaker:UpdateModelPackage", f"{SM}:model-package/g-p-perm00000001/1"),
                             ("sagemaker:UpdateEndpoint", f"{SM}:endpoint/perm-check-prod"),
                             ("sagemaker:InvokeEndpoint", f"{SM}:endpoint/perm-check-prod"),
                             ("sagemaker:UpdateInferenceExperiment", f"{SM}:inference-experiment/x"),
                             ("sagemaker:DeleteInferenceExperiment", f"{SM}:inference-experiment/x")]:
        assert tester.decide(Request(action, resource)) == IMPLICIT_DENY, action


def test_the_policy_is_an_output_on_the_approvers_path(project):
    (policy,) = [(lid, r["Properties"]) for lid, r in project["Resources"].items()
                 if r["Type"] == "AWS::IAM::ManagedPolicy"
                 and r["Properties"]["Description"] == SHADOW_TEST_POLICY_DESCRIPTION]
    # The launch role creates managed policies on the approvers' path only (test_launch_role.py).
    assert policy[1]["Path"] == APPROVER_PATH
    outputs = project["Outputs"]
    assert outputs["ShadowTestPolicyArn"]["Value"] == {"Ref": policy[0]}
    assert {"ShadowTestPolicyArn", "ShadowTestRoleArn"} <= set(outputs)


@pytest.fixture(scope="module")
def shadow_role(project, project_roles):
    (logical_id,) = [lid for lid, r in project["Resources"].items() if r["Type"] == "AWS::IAM::Role"
                     and r["Properties"].get("Description") == SHADOW_TEST_ROLE_DESCRIPTION]
    return project["Resources"][logical_id]["Properties"], project_roles[logical_id]


def test_the_shadow_test_role_trusts_sagemaker_for_this_account_only_and_carries_the_boundary(shadow_role):
    properties, principal = shadow_role
    sagemaker = {"Service": "sagemaker.amazonaws.com"}
    assert trust_matches(properties, principal=sagemaker, context={"aws:SourceAccount": ACCOUNT})
    assert not trust_matches(properties, principal=sagemaker, context={"aws:SourceAccount": "999999999999"})
    assert principal.boundary is not None


@pytest.mark.parametrize("action, resource", [
    ("sagemaker:CreateEndpointConfig", f"{SM}:endpoint-config/abalone-staging-shadow"),
    ("sagemaker:UpdateEndpoint", f"{SM}:endpoint/abalone-staging"),
    ("sagemaker:DescribeModel", f"{SM}:model/abalone-candidate"),
    ("s3:PutObject", "arn:aws:s3:::<ArtifactsBucket>/shadow-tests/abalone-staging/shadow/2026/12/01/12/x.jsonl"),
    ("s3:GetObject", "arn:aws:s3:::<ArtifactsBucket>/models/model.tar.gz"),
    ("ecr:BatchGetImage", "arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-xgboost"),
])
def test_the_shadow_test_role_can_put_the_shadow_on_the_endpoint_and_capture(shadow_role, action, resource):
    assert shadow_role[1].decide(Request(action, _bucket(shadow_role, resource))) == ALLOW


@pytest.mark.parametrize("action, resource, decision", [
    ("s3:PutObject", "arn:aws:s3:::<ArtifactsBucket>/models/model.tar.gz", IMPLICIT_DENY),  # captures only
    ("sagemaker:DeleteEndpoint", f"{SM}:endpoint/abalone-staging", IMPLICIT_DENY),
    ("sagemaker:CreateModelPackage", f"{SM}:model-package/abalone-p-abc123def456/9", DENY),  # the boundary
    ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/sagemaker-project/Other", IMPLICIT_DENY),
])
def test_the_shadow_test_role_can_do_nothing_else(shadow_role, action, resource, decision):
    assert shadow_role[1].decide(Request(action, _bucket(shadow_role, resource))) == decision


def _bucket(shadow_role, resource: str) -> str:
    """The artifact bucket's ARN as the resolved template leaves it in this role's statements (<LogicalId.Arn>)."""
    arns = {r for s in shadow_role[1].statements for r in _list(s["Resource"]) if r.startswith("<ArtifactsBucket")}
    (arn,) = {r.split("/")[0] for r in arns}
    return resource.replace("arn:aws:s3:::<ArtifactsBucket>", arn)


def _list(value):
    return value if isinstance(value, list) else [value]


# -- multi-account: the shadow test runs where the stage endpoint is --------------------------------------------
@pytest.fixture(scope="module")
def target(synthesis):
    return resolve_template(synthesis.template("sagemaker-project-target-account"), TARGET)


def test_the_target_account_stack_brings_its_shadow_test_role_and_policy(target):
    resources = target["Resources"]
    (role_id,) = [lid for lid, r in resources.items() if r["Type"] == "AWS::IAM::Role"
                  and r["Properties"]["RoleName"] == "sagemaker-p-abc123def456-shadow-test"]
    role = resources[role_id]["Properties"]
    assert "PermissionsBoundary" in role
    assert trust_matches(role, principal={"Service": "sagemaker.amazonaws.com"},
                         context={"aws:SourceAccount": ACCOUNT})
    (policy,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::IAM::ManagedPolicy"
                 and r["Properties"]["Description"] == SHADOW_TEST_POLICY_DESCRIPTION]
    (pass_role,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Action"] == "iam:PassRole"]
    assert pass_role["Resource"] == f"<{role_id}.Arn>"
    assert {"ShadowTestPolicyArn", "ShadowTestRoleArn"} <= set(target["Outputs"])


@pytest.mark.parametrize("sid, action, resource", [
    ("AWS::S3::BucketPolicy:TargetAccountsCapture", "s3:PutObject", "/shadow-tests/*"),
    ("AWS::KMS::Key:TargetAccountsEncryptCaptures", "kms:GenerateDataKey", "*"),
])
def test_the_tooling_bucket_takes_captures_from_the_target_shadow_test_roles_only(synthesis, sid, action, resource):
    statement = shared_statements(resolve_template(synthesis.template("sagemaker-project"), MULTI))[sid]
    assert action in statement["Action"] and [r[r.index("/"):] if "/" in r else r
                                              for r in _list(statement["Resource"])] == [resource]
    role = f"arn:aws:iam::{STAGING}:role/sagemaker-project/sagemaker-p-abc123def456-shadow-test"
    other = f"arn:aws:iam::{STAGING}:role/sagemaker-project/sagemaker-p-abc123def456-model-execution"
    assert statement_matches({**statement, "Resource": "*"}, Request(action, "*", {"aws:PrincipalArn": role}))
    assert not statement_matches({**statement, "Resource": "*"}, Request(action, "*", {"aws:PrincipalArn": other}))


def test_single_account_projects_share_no_captures(project):
    assert not [sid for sid in shared_statements(project) if "Capture" in sid]
