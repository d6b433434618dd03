"""The permissions boundary: on every role the templates create, and what it caps whatever a role's policy says."""
import pytest

from iam_policy import ALLOW, DENY, IMPLICIT_DENY, Principal, Request
from resolved_project import ACCOUNT, BOUNDARY_ARN
from template.components.boundary import BOUNDARY_DESCRIPTION

ADMIN_POLICY = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
PACKAGE = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/abalone-p-abc123def456/1"


@pytest.mark.parametrize("stack", ["sagemaker-project", "sagemaker-project-target-account"])
def test_every_role_carries_a_boundary(synthesis, stack):
    roles = [(lid, r["Properties"]) for lid, r in synthesis.template(stack)["Resources"].items()
             if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) >= 4
    assert [lid for lid, props in roles if "PermissionsBoundary" not in props] == []


def test_project_roles_carry_the_portfolios_boundary(project_roles):
    assert len(project_roles) == 7  # with the shadow-test role
    assert all(role.boundary is not None for role in project_roles.values())


def test_target_account_roles_carry_the_stacks_own_boundary(synthesis):
    resources = synthesis.template("sagemaker-project-target-account")["Resources"]
    (boundary,) = [lid for lid, r in resources.items() if r["Type"] == "AWS::IAM::ManagedPolicy"
                   and r["Properties"]["Description"] == BOUNDARY_DESCRIPTION]
    assert {str(r["Properties"]["PermissionsBoundary"]) for r in resources.values()
            if r["Type"] == "AWS::IAM::Role"} == {str({"Ref": boundary})}


@pytest.mark.parametrize("action, resource", [
    ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/mallory"),
    ("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/sagemaker-project/x"),
    ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/sagemaker-project/x"),
    ("iam:CreatePolicyVersion", BOUNDARY_ARN),
    ("organizations:LeaveOrganization", "*"),
    ("ec2:RunInstances", f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/*"),
    ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/Admin"),
    ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/Admin"),
])
def test_even_an_admin_policy_stays_inside_the_boundary(boundary_statements, action, resource):
    role = Principal("escalated", ADMIN_POLICY, boundary_statements)
    assert role.decide(Request(action, resource)) == IMPLICIT_DENY


def test_boundary_leaves_the_project_services_reachable(boundary_statements):
    role = Principal("escalated", ADMIN_POLICY, boundary_statements)
    assert role.decide(Request("sagemaker:CreateTrainingJob",
                               f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/x")) == ALLOW
    assert role.decide(Request("sts:AssumeRole", "arn:aws:iam::111111111111:role/sagemaker-project/x")) == ALLOW


@pytest.mark.parametrize("status, decision", [("PendingManualApproval", ALLOW), ("Approved", DENY),
                                              ("Rejected", DENY), (None, DENY)])
def test_no_project_role_registers_anything_but_pending(boundary_statements, status, decision):
    role = Principal("escalated", ADMIN_POLICY, boundary_statements)
    context = {} if status is None else {"sagemaker:ModelApprovalStatus": status}
    assert role.decide(Request("sagemaker:CreateModelPackage", PACKAGE, context)) == decision


def test_no_project_role_changes_a_models_status(boundary_statements):
    role = Principal("escalated", ADMIN_POLICY, boundary_statements)
    assert role.decide(Request("sagemaker:UpdateModelPackage", PACKAGE,
                               {"sagemaker:ModelApprovalStatus": "Approved"})) == DENY
