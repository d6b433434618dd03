"""The Studio-side policy: `sagemaker-project-user-guardrails`, attached beside AmazonSageMakerFullAccess (or any
broad Studio execution role policy) so that a Studio user reaches only their own project and never approves.

It only denies. A Studio execution role carries the tag `sagemaker:project-id` = the id of the project its user
works on (README: Security); every project resource carries the same tag (template/project_stack.py), so
"another project's resource" is a resource whose tag differs. Approvers are other principals: they keep the
project's ApproverPolicy and do not carry this policy.

Like the role boundary, the portfolio stack and the S3 path's launch-role stack both can create it, once per
account, under its fixed name (CreateRoleBoundary decides for both).
"""
import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from template.components.boundary import CREATE_CONDITION
from template.components.nag import acknowledge_wildcards, skip_checkov
from template.components.policies import ROLE_PATH
from template.components.registry import PENDING

GUARDRAILS_NAME = "sagemaker-project-user-guardrails"
GUARDRAILS_DESCRIPTION = "Studio users: only their own project's resources; no approval; stacks only through SageMaker"
PROJECT_TAG = "sagemaker:project-id"
# The user's project; a role without the tag owns no project ("none" matches no resource's tag).
OWN_PROJECT = "${aws:PrincipalTag/sagemaker:project-id, 'none'}"
# Only through SageMaker (CreateProject, UpdateProject, DeleteProject), never by direct calls.
THROUGH_SAGEMAKER = {"ForAllValues:StringNotEquals": {"aws:CalledVia": ["sagemaker.amazonaws.com"]}}
# The S3 path's launch role has a fixed name so that this policy can name it (projects_launch_role.py).
S3_LAUNCH_ROLE_PATH, S3_LAUNCH_ROLE_NAME = "/sagemaker-project-launch/", "sagemaker-project-s3-launch-role"
PUBLISHED_PREFIX = "sagemaker-project/"  # scripts/publish.py: Options.prefix
OTHER_PROJECTS = {"Null": {f"aws:ResourceTag/{PROJECT_TAG}": "false"},
                  "StringNotEquals": {f"aws:ResourceTag/{PROJECT_TAG}": OWN_PROJECT}}
REPOSITORY_WRITES = ["codecommit:GitPush", "codecommit:PutFile", "codecommit:CreateCommit", "codecommit:DeleteFile",
                     "codecommit:CreateBranch", "codecommit:DeleteBranch", "codecommit:UpdateDefaultBranch",
                     "codecommit:MergeBranchesByFastForward", "codecommit:MergeBranchesBySquash",
                     "codecommit:MergeBranchesByThreeWay", "codecommit:MergePullRequestByFastForward",
                     "codecommit:MergePullRequestBySquash", "codecommit:MergePullRequestByThreeWay",
                     "codecommit:PutRepositoryTriggers", "codecommit:DeleteRepository"]
PROJECT_SAGEMAKER_WRITES = ["sagemaker:CreatePipeline", "sagemaker:UpdatePipeline", "sagemaker:DeletePipeline",
                            "sagemaker:StartPipelineExecution", "sagemaker:StopPipelineExecution",
                            "sagemaker:RetryPipelineExecution", "sagemaker:CreateModelPackage",
                            "sagemaker:DeleteModelPackage", "sagemaker:DeleteModelPackageGroup",
                            "sagemaker:PutModelPackageGroupPolicy", "sagemaker:UpdateEndpoint",
                            "sagemaker:UpdateEndpointWeightsAndCapacities", "sagemaker:DeleteEndpoint",
                            "sagemaker:InvokeEndpoint", "sagemaker:AddTags", "sagemaker:DeleteTags"]
BUILD_RUNS = ["codebuild:StartBuild", "codebuild:StartBuildBatch", "codebuild:RetryBuild", "codebuild:RetryBuildBatch",
              "codebuild:UpdateProject", "codebuild:DeleteProject", "codebuild:CreateProject"]
STACK_CHANGES = ["cloudformation:UpdateStack", "cloudformation:DeleteStack", "cloudformation:CreateChangeSet",
                 "cloudformation:ExecuteChangeSet", "cloudformation:SetStackPolicy",
                 "cloudformation:CancelUpdateStack", "cloudformation:ContinueUpdateRollback"]
PROVISIONED_PRODUCT_CHANGES = ["servicecatalog:UpdateProvisionedProduct", "servicecatalog:TerminateProvisionedProduct",
                               "servicecatalog:CreateProvisionedProductPlan",
                               "servicecatalog:ExecuteProvisionedProductPlan"]
CHECKOV_REASON = "Deny statements only: this policy grants nothing."


def _arn(service: str, resource: str) -> str:
    return f"arn:{cdk.Aws.PARTITION}:{service}:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:{resource}"


def s3_launch_role_arn() -> str:
    return f"arn:{cdk.Aws.PARTITION}:iam::{cdk.Aws.ACCOUNT_ID}:role{S3_LAUNCH_ROLE_PATH}{S3_LAUNCH_ROLE_NAME}"


def published_template_urls(template_bucket: str) -> list[str]:
    """The URLs of published project templates (virtual-hosted and path-style S3 URLs)."""
    return [f"https://{template_bucket}.s3.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}/{PUBLISHED_PREFIX}*",
            f"https://s3.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}/{template_bucket}/{PUBLISHED_PREFIX}*"]


def guardrail_statements(template_bucket: str) -> list[iam.PolicyStatement]:
    """Every statement denies; each names the attack it closes."""
    deny = iam.Effect.DENY
    project_stacks = [_arn("cloudformation", "stack/SC-*/*"), _arn("cloudformation", "stack/SP-*/*")]
    s3_stacks = [_arn("cloudformation", "stack/SP-*/*")]
    return [
        # Approval is the approver's: no Studio user flips a model's status or answers the pipeline's approval.
        iam.PolicyStatement(sid="NoApproval", effect=deny, resources=["*"],
                            actions=["sagemaker:UpdateModelPackage", "codepipeline:PutApprovalResult"]),
        iam.PolicyStatement(sid="RegisterPendingOnly", effect=deny, actions=["sagemaker:CreateModelPackage"],
                            resources=["*"], conditions={"StringNotEquals": {"sagemaker:ModelApprovalStatus": PENDING}}),
        # Another project's repositories, pipelines, models and endpoints: out of reach.
        iam.PolicyStatement(sid="OtherProjectsRepositories", effect=deny, actions=REPOSITORY_WRITES,
                            resources=["*"], conditions=OTHER_PROJECTS),
        iam.PolicyStatement(sid="OtherProjectsSageMaker", effect=deny, actions=PROJECT_SAGEMAKER_WRITES,
                            resources=["*"], conditions=OTHER_PROJECTS),
        # A build started by hand can override the buildspec and run anything as the project's CodeBuild role:
        # project builds run only from their pipelines.
        iam.PolicyStatement(sid="ProjectBuildsOnlyFromPipelines", effect=deny, actions=BUILD_RUNS,
                            resources=[_arn("codebuild", "project/sagemaker-*")]),
        iam.PolicyStatement(sid="OtherProjectsRoles", effect=deny, actions=["iam:PassRole"],
                            resources=[f"arn:{cdk.Aws.PARTITION}:iam::{cdk.Aws.ACCOUNT_ID}:role{ROLE_PATH}*"],
                            conditions=OTHER_PROJECTS),
        iam.PolicyStatement(sid="OtherProjectsPipelines", effect=deny, resources=["*"],
                            actions=["codepipeline:StartPipelineExecution", "codepipeline:RetryStageExecution",
                                     "codepipeline:UpdatePipeline", "codepipeline:DeletePipeline",
                                     "codepipeline:DisableStageTransition", "codepipeline:EnableStageTransition"],
                            conditions=OTHER_PROJECTS),
        # Project stacks change only through SageMaker; the S3 path's stacks are created only from a published
        # template and with the S3 launch role, which is passed only to CloudFormation.
        iam.PolicyStatement(sid="ProjectStacksOnlyThroughSageMaker", effect=deny, actions=STACK_CHANGES,
                            resources=project_stacks, conditions=THROUGH_SAGEMAKER),
        # The stage stacks (staging, prod) change only through the deploy pipeline (its CodePipeline role).
        iam.PolicyStatement(sid="StageStacksOnlyFromPipelines", effect=deny, actions=["cloudformation:CreateStack",
                                                                                       *STACK_CHANGES],
                            resources=[_arn("cloudformation", f"stack/sagemaker-*-deploy-{stage}/*")
                                       for stage in ("staging", "prod")]),
        iam.PolicyStatement(sid="ProvisionedProductsOnlyThroughSageMaker", effect=deny,
                            actions=PROVISIONED_PRODUCT_CHANGES, resources=["*"], conditions=THROUGH_SAGEMAKER),
        iam.PolicyStatement(sid="S3StacksOnlyFromPublishedTemplates", effect=deny,
                            actions=["cloudformation:CreateStack"], resources=s3_stacks,
                            conditions={"StringNotLike": {"cloudformation:TemplateUrl":
                                                          published_template_urls(template_bucket)}}),
        iam.PolicyStatement(sid="S3StacksOnlyWithTheLaunchRole", effect=deny, actions=["cloudformation:CreateStack"],
                            resources=s3_stacks,
                            conditions={"ArnNotEquals": {"cloudformation:RoleArn": s3_launch_role_arn()}}),
        iam.PolicyStatement(sid="LaunchRoleOnlyToCloudFormation", effect=deny, actions=["iam:PassRole"],
                            resources=[s3_launch_role_arn()],
                            conditions={"StringNotEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}),
    ]


def account_guardrails_policy(scope: cdk.Stack, *, template_bucket: str) -> iam.ManagedPolicy:
    """The account's guardrails under their fixed name, created with the boundary (the stack's CreatesRoleBoundary
    condition: boundary.account_boundary_policy must have run on `scope` first)."""
    policy = iam.ManagedPolicy(scope, "UserGuardrails", managed_policy_name=GUARDRAILS_NAME, path="/",
                               description=GUARDRAILS_DESCRIPTION, statements=guardrail_statements(template_bucket))
    policy.node.default_child.cfn_options.condition = scope.node.find_child(CREATE_CONDITION)
    acknowledge_wildcards(policy, {"Resource::*": CHECKOV_REASON})
    for check_id in ("CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_111"):
        skip_checkov(policy, check_id, CHECKOV_REASON)
    return policy
