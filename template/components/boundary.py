"""The permissions boundary every project role carries: the most any project role can ever be granted.

The portfolio stack or the S3 path's launch-role stack (service-catalog/) creates it once per account under a
fixed name, before any project; the project stack attaches it to each of its roles by that name, and the
Service Catalog launch role may create roles and put policies on them only with it attached
(service-catalog/portfolio_stack.py). So whatever a template run by the launch role writes into a role's
policy, the role stays inside this ceiling: no IAM beyond passing and assuming project roles, no approving
models. A target account's stack creates its own copy, under a generated name, for its own roles.
"""
import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components.nag import acknowledge_wildcards, skip_checkov
from template.components.network import ENI_ACTIONS, ENI_READ_ACTIONS
from template.components.policies import ROLE_PATH
from template.components.registry import PENDING

BOUNDARY_NAME = "sagemaker-project-role-boundary"
BOUNDARY_DESCRIPTION = "Permissions boundary of every SageMaker project role"
# The services the project's roles use (policies.py, the constructs' grants); nothing else is reachable.
SERVICES = ["s3", "kms", "sagemaker", "codebuild", "codepipeline", "codecommit", "codeconnections",
            "codestar-connections", "cloudformation", "cloudwatch", "logs", "ecr", "application-autoscaling"]

RESERVED_ACTIONS = ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutBucketPublicAccessBlock",
                    "s3:DeleteBucket", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey",
                    "sagemaker:PutModelPackageGroupPolicy", "sagemaker:DeleteModelPackageGroup",
                    "codecommit:DeleteRepository", "codebuild:DeleteProject", "codebuild:UpdateProject",
                    "codepipeline:DeletePipeline", "codepipeline:UpdatePipeline"]
HIGHER_TRUST_ACTIONS = ["codepipeline:PutApprovalResult", "sagemaker:CreatePresignedDomainUrl",
                        "sagemaker:CreatePresignedNotebookInstanceUrl", "sagemaker:CreateUserProfile",
                        "sagemaker:UpdateUserProfile", "sagemaker:DeleteUserProfile", "sagemaker:UpdateDomain",
                        "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration", "s3:PutReplicationConfiguration",
                        "s3:DeleteObjectVersion", "logs:DeleteLogGroup", "logs:DeleteLogStream",
                        "logs:PutRetentionPolicy"]
PASSED_TO_SERVICES = ["sagemaker.amazonaws.com", "cloudformation.amazonaws.com", "codebuild.amazonaws.com",
                      "codepipeline.amazonaws.com", "events.amazonaws.com"]
# checkov's IAM checks read a boundary as if it granted what it names; each skip says why it does not.
CHECKOV_SKIPS = {
    "CKV_AWS_107": "A permissions boundary grants nothing: credential-returning actions (ecr:GetAuthorizationToken) "
                   "are reachable only where a role's own policy grants them.",
    "CKV_AWS_108": "A permissions boundary grants nothing: data reads are reachable only where a role's own policy "
                   "grants them, scoped to the project's bucket and key.",
    "CKV_AWS_109": "A permissions boundary grants nothing, and it denies access management outright "
                   "(bucket/key/group policies, IAM beyond passing project roles).",
    "CKV_AWS_111": "A permissions boundary grants nothing: writes are reachable only where a role's own policy "
                   "grants them, each scoped to the project's resources.",
}


def boundary_arn(*, account: str = cdk.Aws.ACCOUNT_ID) -> str:
    """ARN of the boundary policy in `account` (this stack's account by default)."""
    return f"arn:{cdk.Aws.PARTITION}:iam::{account}:policy{ROLE_PATH}{BOUNDARY_NAME}"


def project_role_arn_pattern(*, account: str = cdk.Aws.ACCOUNT_ID) -> str:
    """Every role a project creates, in this account or (account="*") a target account."""
    return f"arn:{cdk.Aws.PARTITION}:iam::{account}:role{ROLE_PATH}*"


def boundary_statements() -> list[iam.PolicyStatement]:
    """The ceiling: the project's services; IAM only to pass and assume project roles; no approval."""
    return [
        iam.PolicyStatement(sid="ProjectServices", actions=[f"{service}:*" for service in SERVICES],
                            resources=["*"]),
        iam.PolicyStatement(sid="ReadProjectRoles", actions=["iam:GetRole"], resources=[project_role_arn_pattern()]),
        # Project roles go only to the services that run the project (issue #20: not to EC2, Lambda, ...).
        iam.PolicyStatement(sid="PassProjectRoles", actions=["iam:PassRole"], resources=[project_role_arn_pattern()],
                            conditions={"StringEquals": {"iam:PassedToService": PASSED_TO_SERVICES}}),
        # Cross-account deploys assume the target account's project roles (cross_account.py).
        iam.PolicyStatement(sid="AssumeProjectRoles", actions=["sts:AssumeRole"],
                            resources=[project_role_arn_pattern(account="*")]),
        # CiProvider GitHubActions/GitLabCI: the approval rule's role calls the deploy workflow's API destination.
        iam.PolicyStatement(sid="InvokeCiDispatch", actions=["events:InvokeApiDestination"],
                            resources=[f"arn:{cdk.Aws.PARTITION}:events:*:{cdk.Aws.ACCOUNT_ID}:api-destination/*"]),
        iam.PolicyStatement(sid="AutoscalingServiceLinkedRole", actions=["iam:CreateServiceLinkedRole"],
                            resources=["*"], conditions={"StringEquals": {
                                "iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}}),
        # Approval is the approver's alone (approver_statements): no project role registers a model as anything
        # but PendingManualApproval, or changes a model's status afterwards.
        iam.PolicyStatement(sid="RegisterPendingOnly", effect=iam.Effect.DENY,
                            actions=["sagemaker:CreateModelPackage"], resources=["*"],
                            conditions={"StringNotEquals": {"sagemaker:ModelApprovalStatus": PENDING}}),
        iam.PolicyStatement(sid="NoApproval", effect=iam.Effect.DENY, actions=["sagemaker:UpdateModelPackage"],
                            resources=["*"]),
        # No project role manages access or tears down the project's own infrastructure: the launch role (with
        # its tag conditions) and the admin do. Each of these would otherwise fall under a service wildcard.
        iam.PolicyStatement(sid="NoAccessManagementOrTeardown", effect=iam.Effect.DENY, resources=["*"],
                            actions=RESERVED_ACTIONS),
        *network_boundary_statements(),
        # Above the project's trust (issue #20): approving a deployment, Studio identities, a bucket's or a log's
        # history. Each would otherwise fall under a service wildcard.
        iam.PolicyStatement(sid="NoHigherTrustActions", effect=iam.Effect.DENY, resources=["*"],
                            actions=HIGHER_TRUST_ACTIONS),
    ]


# What a project in a VPC without internet needs (template/components/network.py, the buildspecs' CodeArtifact
# login): network interfaces for jobs, models and builds; a token for the private package repository.
BOUNDARY_ENI_ACTIONS = [*ENI_ACTIONS, *ENI_READ_ACTIONS]
CODEARTIFACT_READ_ACTIONS = ["codeartifact:GetAuthorizationToken", "codeartifact:GetRepositoryEndpoint",
                             "codeartifact:ReadFromRepository"]


def network_boundary_statements() -> list[iam.PolicyStatement]:
    """Separate statements (issue #24): ENIs, CodeArtifact reads, and KMS grants for AWS resources only."""
    return [
        iam.PolicyStatement(sid="VpcNetworkInterfaces", actions=BOUNDARY_ENI_ACTIONS, resources=["*"]),
        iam.PolicyStatement(sid="PrivatePackages", actions=CODEARTIFACT_READ_ACTIONS, resources=["*"]),
        # `aws codeartifact login` gets its token through STS; only for CodeArtifact.
        iam.PolicyStatement(sid="PrivatePackagesToken", actions=["sts:GetServiceBearerToken"], resources=["*"],
                            conditions={"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}),
        # CreateEndpoint with a KmsKeyId and jobs with a volume key make grants for SageMaker's own resources;
        # no role may grant a key to anyone else.
        iam.PolicyStatement(sid="KeyGrantsForAwsResourcesOnly", effect=iam.Effect.DENY, actions=["kms:CreateGrant"],
                            resources=["*"], conditions={"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}}),
    ]


BOUNDARY_REASON = ("A permissions boundary grants nothing: it caps every project role at the project's services "
                   "(each role's own policy is scoped by resource); IAM and approval stay out of reach.")


def boundary_policy(scope: Construct, construct_id: str, *, name: str | None = BOUNDARY_NAME) -> iam.ManagedPolicy:
    """Create the boundary policy: under its fixed name once per account (the portfolio stack), or under a
    generated name (a target account's stack, which attaches it to its own roles)."""
    policy = iam.ManagedPolicy(scope, construct_id, managed_policy_name=name, path=ROLE_PATH,
                               description=BOUNDARY_DESCRIPTION,
                               statements=boundary_statements())
    wildcards = ["Resource::*", *(f"Action::{service}:*" for service in SERVICES),
                 "Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/sagemaker-project/*",
                 "Resource::arn:<AWS::Partition>:iam::*:role/sagemaker-project/*",
                 "Resource::arn:<AWS::Partition>:events:*:<AWS::AccountId>:api-destination/*"]
    acknowledge_wildcards(policy, dict.fromkeys(wildcards, BOUNDARY_REASON))
    for check_id, reason in CHECKOV_SKIPS.items():
        skip_checkov(policy, check_id, reason)
    return policy


CREATE_PARAMETER, CREATE_CONDITION = "CreateRoleBoundary", "CreatesRoleBoundary"


def account_boundary_policy(scope: cdk.Stack) -> iam.ManagedPolicy:
    """The account's boundary under its fixed name, created only when the stack's CreateRoleBoundary parameter is
    "true". The portfolio stack and the S3 path's launch-role stack both can create it, but IAM names are unique
    in an account: scripts/publish.py passes "false" to a stack when another one already made it."""
    create = cdk.CfnParameter(scope, CREATE_PARAMETER, type="String", default="true", allowed_values=["true", "false"],
                              description=f"false when this account already has the project role boundary "
                                          f"({BOUNDARY_NAME}), made by another stack of this template")
    policy = boundary_policy(scope, "ProjectRoleBoundary")
    policy.node.default_child.cfn_options.condition = cdk.CfnCondition(
        scope, CREATE_CONDITION, expression=cdk.Fn.condition_equals(create.value_as_string, "true"))
    return policy


def attach_boundary(scope: Construct, *, arn: str | None = None) -> None:
    """Attach the boundary to every role created under `scope` (the project stack: all its roles)."""
    policy = iam.ManagedPolicy.from_managed_policy_arn(scope, "PermissionsBoundary", arn or boundary_arn())
    iam.PermissionsBoundary.of(scope).apply(policy)
