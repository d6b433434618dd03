"""Approval cannot be bypassed: the pipeline role registers PendingManualApproval only (evaluated offline and
through the emulator), and the approver policy holds exactly what flipping a status needs."""
import boto3
import pytest
from botocore.exceptions import ClientError

import permissions
from iam_policy import ALLOW, DENY, IMPLICIT_DENY, Request
from resolved_project import ACCOUNT

GROUP = "abalone-p-abc123def456"
GROUP_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package-group/{GROUP}"
PACKAGE_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/{GROUP}/1"
INFERENCE = {"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                             "ModelDataUrl": "s3://bucket/model.tar.gz"}],
             "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}


def role(project_roles, description: str):
    (found,) = [p for lid, p in project_roles.items() if lid.startswith(description)]
    return found


@pytest.fixture(scope="module")
def pipeline_role(project_roles):
    return role(project_roles, "RolesSageMakerPipeline")


@pytest.mark.parametrize("status, decision", [("PendingManualApproval", ALLOW), ("Approved", DENY),
                                              ("Rejected", DENY), (None, DENY)])
def test_pipeline_role_registers_pending_only(pipeline_role, status, decision):
    context = {} if status is None else {"sagemaker:ModelApprovalStatus": status}
    assert pipeline_role.decide(Request("sagemaker:CreateModelPackage", GROUP_ARN, context)) == decision


def test_pipeline_roles_own_policy_carries_the_condition(pipeline_role):
    (statement,) = [s for s in pipeline_role.statements if "sagemaker:CreateModelPackage" in s["Action"]]
    assert statement["Condition"] == {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}


@pytest.mark.parametrize("logical_prefix", ["RolesCodeBuild", "RolesCodePipeline", "RolesCloudFormation",
                                            "RolesSageMakerPipeline", "RolesEvents", "RolesModelExecution"])
def test_no_project_role_can_approve(project_roles, logical_prefix):
    principal = role(project_roles, logical_prefix)
    assert principal.decide(Request("sagemaker:UpdateModelPackage", PACKAGE_ARN,
                                    {"sagemaker:ModelApprovalStatus": "Approved"})) in (DENY, IMPLICIT_DENY)


def test_through_the_emulator_an_approved_registration_is_refused(emulator, pipeline_role):
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    with permissions.acting_as(pipeline_role):
        with pytest.raises(ClientError, match="AccessDenied.*sagemaker:CreateModelPackage.*explicit deny"):
            sagemaker.create_model_package(ModelPackageGroupName=GROUP, ModelApprovalStatus="Approved",
                                           InferenceSpecification=INFERENCE)
        assert sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"] == []
        sagemaker.create_model_package(ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval",
                                       InferenceSpecification=INFERENCE)
    (package,) = sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    assert package["ModelApprovalStatus"] == "PendingManualApproval"


@pytest.fixture(scope="module")
def approver(project):
    from iam_policy import Principal
    from template.components.registry import APPROVER_DESCRIPTION

    (policy,) = [r["Properties"] for r in project["Resources"].values()
                 if r["Type"] == "AWS::IAM::ManagedPolicy" and r["Properties"]["Description"] == APPROVER_DESCRIPTION]
    assert policy["Path"] == "/sagemaker-project-approvers/"
    return Principal("approver", policy["PolicyDocument"]["Statement"])


@pytest.mark.parametrize("status, decision", [("Approved", ALLOW), ("Rejected", ALLOW),
                                              ("PendingManualApproval", IMPLICIT_DENY)])
def test_approver_flips_this_projects_packages_to_a_decision(approver, status, decision):
    context = {"sagemaker:ModelApprovalStatus": status}
    assert approver.decide(Request("sagemaker:UpdateModelPackage", PACKAGE_ARN, context)) == decision
    other = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/other-p-zzz999zzz999/1"
    assert approver.decide(Request("sagemaker:UpdateModelPackage", other, context)) == IMPLICIT_DENY


def test_approver_answers_only_the_deploy_pipelines_approval_step(approver):
    step = f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:sagemaker-abalone-p-abc123def456-modeldeploy/ApproveDeployment/ApproveDeployment"
    assert approver.decide(Request("codepipeline:PutApprovalResult", step)) == ALLOW
    assert approver.decide(Request("codepipeline:PutApprovalResult", step.replace("abalone", "other"))) == IMPLICIT_DENY
    assert approver.allowed_actions() == {"sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage",
                                          "sagemaker:ListModelPackages", "sagemaker:UpdateModelPackage",
                                          "codepipeline:PutApprovalResult", "codepipeline:GetPipelineState"}
