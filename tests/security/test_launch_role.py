"""The Service Catalog launch role, evaluated offline: roles only with the boundary, the boundary untouchable,
destructive actions only on the project's own (tagged) resources, trusted by Service Catalog for this account."""
import pytest

from iam_policy import ALLOW, DENY, IMPLICIT_DENY, Request, trust_matches
from resolved_project import ACCOUNT, BOUNDARY_ARN

ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-project/sagemaker-project-RolesCodeBuild-1"
OTHER_BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"
TAGGED = {"aws:ResourceTag/sagemaker:project-id": "p-abc123def456", "aws:ResourceTag/sagemaker:project-name": "abalone"}
TAGGING = {"aws:RequestTag/sagemaker:project-id": "p-abc123def456", "aws:RequestTag/sagemaker:project-name": "abalone"}
# Another project's tags: the launch role working for it may not touch abalone's resources.
OTHER_TAGGED = {"aws:ResourceTag/sagemaker:project-id": "p-zzz999zzz999", "aws:ResourceTag/sagemaker:project-name": "other"}
OTHER_TAGGING = {"aws:RequestTag/sagemaker:project-id": "p-zzz999zzz999", "aws:RequestTag/sagemaker:project-name": "other"}


@pytest.mark.parametrize("action", ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy"])
def test_role_writes_need_the_project_boundary(launch_role, action):
    assert launch_role.decide(Request(action, ROLE, {"iam:PermissionsBoundary": BOUNDARY_ARN})) == ALLOW
    assert launch_role.decide(Request(action, ROLE, {"iam:PermissionsBoundary": OTHER_BOUNDARY})) == IMPLICIT_DENY
    assert launch_role.decide(Request(action, ROLE)) == IMPLICIT_DENY


def test_roles_outside_the_project_path_are_out_of_reach(launch_role):
    other = f"arn:aws:iam::{ACCOUNT}:role/Admin"
    assert launch_role.decide(Request("iam:CreateRole", other, {"iam:PermissionsBoundary": BOUNDARY_ARN})) == IMPLICIT_DENY


@pytest.mark.parametrize("action", ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion",
                                    "iam:DeletePolicyVersion"])
def test_boundary_policy_cannot_be_changed_or_deleted(launch_role, action):
    assert launch_role.decide(Request(action, BOUNDARY_ARN)) == DENY


@pytest.mark.parametrize("action", ["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"])
def test_role_boundaries_cannot_be_removed_or_swapped(launch_role, action):
    assert launch_role.decide(Request(action, ROLE, {"iam:PermissionsBoundary": BOUNDARY_ARN})) == DENY


@pytest.mark.parametrize("action, resource", [
    ("iam:DeleteRole", ROLE),
    ("codecommit:DeleteRepository", f"arn:aws:codecommit:us-east-1:{ACCOUNT}:sagemaker-abalone-p-abc123def456-modelbuild"),
    ("codebuild:DeleteProject", f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/sagemaker-abalone-p-abc123def456-stagetest"),
    ("codepipeline:DeletePipeline", f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:sagemaker-abalone-p-abc123def456-modeldeploy"),
    ("sagemaker:DeleteModelPackageGroup", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package-group/abalone-p-abc123def456"),
    ("sagemaker:PutModelPackageGroupPolicy",
     f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package-group/abalone-p-abc123def456"),
    ("kms:PutKeyPolicy", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
])
def test_destructive_actions_need_the_project_tag_on_the_resource(launch_role, action, resource):
    assert launch_role.decide(Request(action, resource, TAGGED)) == ALLOW
    assert launch_role.decide(Request(action, resource)) == IMPLICIT_DENY
    if not action.startswith(("iam:", "kms:")):  # named resources: the name must carry the tags' values
        assert launch_role.decide(Request(action, resource, OTHER_TAGGED)) == IMPLICIT_DENY


@pytest.mark.parametrize("action, resource", [
    ("codecommit:CreateRepository", f"arn:aws:codecommit:us-east-1:{ACCOUNT}:sagemaker-abalone-p-abc123def456-modelbuild"),
    ("codebuild:CreateProject", f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/sagemaker-abalone-p-abc123def456-stagetest"),
    ("codepipeline:CreatePipeline", f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:sagemaker-abalone-p-abc123def456-modelbuild"),
    ("sagemaker:CreateModelPackageGroup",
     f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package-group/abalone-p-abc123def456"),
    ("kms:CreateKey", "*"),
    ("iam:TagRole", ROLE),
])
def test_creations_must_carry_the_project_tag(launch_role, action, resource):
    assert launch_role.decide(Request(action, resource, TAGGING)) == ALLOW
    assert launch_role.decide(Request(action, resource)) == IMPLICIT_DENY
    if not action.startswith(("iam:", "kms:")):  # named resources: the name must carry the tags' values
        assert launch_role.decide(Request(action, resource, OTHER_TAGGING)) == IMPLICIT_DENY


@pytest.mark.parametrize("action", ["kms:ScheduleKeyDeletion", "s3:DeleteBucket"])
def test_retained_resources_cannot_be_deleted(launch_role, action):
    resource = {"kms": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k", "s3": "arn:aws:s3:::sc-123-pp-abc-bucket"}
    assert launch_role.decide(Request(action, resource[action.split(":")[0]], TAGGED)) == IMPLICIT_DENY


def test_launch_role_passes_project_roles_only_to_the_projects_services(launch_role):
    assert launch_role.decide(Request("iam:PassRole", ROLE, {"iam:PassedToService": "codebuild.amazonaws.com"})) == ALLOW
    assert launch_role.decide(Request("iam:PassRole", ROLE, {"iam:PassedToService": "ec2.amazonaws.com"})) == (
        IMPLICIT_DENY)


def test_launch_role_trusts_service_catalog_for_this_account_only(portfolio):
    (role,) = [r["Properties"] for r in portfolio["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    service = {"Service": "servicecatalog.amazonaws.com"}
    assert trust_matches(role, principal=service, context={"aws:SourceAccount": ACCOUNT})
    assert not trust_matches(role, principal=service, context={"aws:SourceAccount": "999999999999"})
    assert not trust_matches(role, principal=service, context={})


def test_launch_role_creates_policies_only_on_the_approvers_path(launch_role):
    approvers = f"arn:aws:iam::{ACCOUNT}:policy/sagemaker-project-approvers/SC-1-pp-x-ApproverPolicy-1"
    assert launch_role.decide(Request("iam:CreatePolicy", approvers)) == ALLOW
    assert launch_role.decide(Request("iam:CreatePolicy", f"arn:aws:iam::{ACCOUNT}:policy/sagemaker-project/x")) == (
        IMPLICIT_DENY)
    assert launch_role.decide(Request("iam:AttachRolePolicy", ROLE, {"iam:PermissionsBoundary": BOUNDARY_ARN,
                                                                     "iam:PolicyARN": approvers})) == IMPLICIT_DENY
