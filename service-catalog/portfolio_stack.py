"""The Service Catalog portfolio that shows the project template to SageMaker Studio users."""
import re

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_servicecatalog as servicecatalog
from constructs import Construct

from template.components.boundary import account_boundary_policy, boundary_arn
from template.components.guardrails import account_guardrails_policy
from template.components.policies import ROLE_PATH
from template.components.registry import APPROVER_PATH
from template.components.roles import service_principal

MAX_STUDIO_ROLES = 5
PRODUCT_NAME = "SageMaker MLOps: model build, train and guarded deploy"
STUDIO_VISIBILITY_TAG = ("sagemaker:studio-visibility", "true")
IAM5_REASONS = {
    "Resource::*": "kms:CreateKey (the key does not exist yet; the request must carry the project tag) and "
                   "CloudFormation's template checks have no resource-level permissions; every other action is "
                   "scoped by name pattern, and the destructive ones also by the sagemaker:project-id tag.",
}


class PortfolioStack(cdk.Stack):
    """Portfolio, product (versioned provisioning artifact), launch role and constraint, Studio principals."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        bucket = self._string("TemplateBucket", "Bucket holding the published project template and seed zips.",
                              allowed_pattern="^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
        key = self._string("TemplateKey", "Key of the project template in TemplateBucket.", min_length=1)
        version = self._string("ProductVersion", "Version name of this provisioning artifact, e.g. 1.2.0.",
                               min_length=1, max_length=100)
        roles = cdk.CfnParameter(self, "StudioExecutionRoleArns", type="CommaDelimitedList",
                                 description=f"Studio execution role ARNs that may launch the product "
                                             f"(1-{MAX_STUDIO_ROLES}).")
        portfolio = servicecatalog.CfnPortfolio(
            self, "Portfolio", display_name="SageMaker MLOps project templates", provider_name="MLOps platform",
            description="Project templates for SageMaker Studio")
        product = servicecatalog.CfnCloudFormationProduct(
            self, "Product", name=PRODUCT_NAME, owner="MLOps platform",
            description="Build repo + SageMaker Pipeline, model registry, deploy pipeline with staging, tests, "
                        "manual approval and guarded prod rollout.",
            provisioning_artifact_parameters=[servicecatalog.CfnCloudFormationProduct.ProvisioningArtifactPropertiesProperty(
                name=version, description=f"Project template {version}",
                info={"LoadTemplateFromURL": cdk.Fn.sub(
                    "https://${Bucket}.s3.${AWS::Region}.${AWS::URLSuffix}/${Key}", {"Bucket": bucket, "Key": key})})],
            tags=[cdk.CfnTag(key=STUDIO_VISIBILITY_TAG[0], value=STUDIO_VISIBILITY_TAG[1])])
        association = servicecatalog.CfnPortfolioProductAssociation(
            self, "ProductAssociation", portfolio_id=portfolio.ref, product_id=product.ref)
        # Before any project: the launch role creates project roles only with this boundary attached.
        account_boundary_policy(self)
        account_guardrails_policy(self, template_bucket=bucket)
        self.launch_role = LaunchRole(self, "LaunchRole", template_bucket=bucket)
        constraint = servicecatalog.CfnLaunchRoleConstraint(
            self, "LaunchConstraint", portfolio_id=portfolio.ref, product_id=product.ref,
            role_arn=self.launch_role.role.role_arn, description="Provision SageMaker projects with the launch role")
        constraint.node.add_dependency(association)
        self._associate_principals(portfolio, roles.value_as_list)
        cdk.CfnOutput(self, "PortfolioId", value=portfolio.ref)
        cdk.CfnOutput(self, "ProductId", value=product.ref)

    def _string(self, name: str, description: str, **kwargs) -> str:
        return cdk.CfnParameter(self, name, type="String", description=description, **kwargs).value_as_string

    def _associate_principals(self, portfolio: servicecatalog.CfnPortfolio, role_arns: list[str]) -> None:
        """One association per given ARN: slots 1..MAX, each present only when its list entry is non-empty."""
        # Padding keeps Fn::Select inside the list whatever its length; an empty slot means "not given".
        padded = cdk.Fn.split(",", cdk.Fn.join(",", [cdk.Fn.join(",", role_arns), "," * (MAX_STUDIO_ROLES - 1)]))
        for index in range(MAX_STUDIO_ROLES):
            arn = cdk.Fn.select(index, padded)
            condition = cdk.CfnCondition(self, f"HasStudioRole{index + 1}", expression=cdk.Fn.condition_not(
                cdk.Fn.condition_equals(arn, "")))
            principal = servicecatalog.CfnPortfolioPrincipalAssociation(
                self, f"StudioRole{index + 1}", portfolio_id=portfolio.ref, principal_arn=arn, principal_type="IAM")
            principal.cfn_options.condition = condition


# Who provisions the project stack, and the prefix it names that stack with: Service Catalog (SC-...) or,
# for S3-based project templates, CloudFormation assuming the role CreateProject's CfnTemplateProvider.RoleARN
# names (SP-...; see service-catalog/projects_launch_role.py). One policy for both paths.
SERVICE_CATALOG = ("servicecatalog.amazonaws.com", "SC")


class LaunchRole(Construct):
    """The role projects are provisioned with: only the resource types the template creates, roles only with
    the project boundary attached. Every launch role of the project template is this construct (the policy is
    `launch_statements`; the trust is the provisioning service acting for this account only)."""

    def __init__(self, scope: Construct, construct_id: str, *, template_bucket: str,
                 provisioner: tuple[str, str] = SERVICE_CATALOG,
                 description: str = "Service Catalog launch role of the SageMaker project product",
                 role_path: str | None = None, role_name: str | None = None) -> None:
        super().__init__(scope, construct_id)
        service, stack_prefix = provisioner
        self.role = iam.Role(self, "Role", assumed_by=service_principal(service), description=description,
                             path=role_path, role_name=role_name,
                             inline_policies={"Provision": iam.PolicyDocument(
                                 statements=launch_statements(template_bucket, stack_prefix=stack_prefix))})
        for finding, reason in {**IAM5_REASONS, **launch_wildcard_reasons(stack_prefix)}.items():
            cdk.Validations.of(self.role).acknowledge(cdk.Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM5[{finding}]", reason=reason))


def _arn(service: str, resource: str, *, region: str = cdk.Aws.REGION, account: str = cdk.Aws.ACCOUNT_ID) -> str:
    return f"arn:{cdk.Aws.PARTITION}:{service}:{region}:{account}:{resource}"


# (service, resource pattern, reason) of each wildcard in the launch policy; the findings are built from these.
LAUNCH_PATTERNS = {
    "stacks": ("cloudformation", "stack/{prefix}-*", "Service Catalog names provisioned stacks SC-<account>-pp-<id>; "
                                                    "SageMaker names S3-template project stacks SP-..."),
    "roles": ("iam", f"role{ROLE_PATH}*", "The project template creates its roles under this path only."),
    "repos": ("codecommit", "sagemaker-*", "Project repositories are named sagemaker-<project>-<id>-model*."),
    "builds": ("codebuild", "project/sagemaker-*", "CodeBuild projects are named sagemaker-<project>-<id>-*."),
    "pipelines": ("codepipeline", "sagemaker-*", "Pipelines are named sagemaker-<project>-<id>-model*."),
    "rules": ("events", "rule/{prefix}-*", "CloudFormation names the rules after the SC-... (or SP-...) stack."),
    "groups": ("sagemaker", "model-package-group/*", "The group is named <project>-<id>; SageMaker lower-cases "
                                                     "names into ARNs, so no project prefix can match."),
    "keys": ("kms", "key/*", "The key id is generated at creation."),
    "connections": ("codeconnections", "connection/*", "Customers choose the connection when they create a project."),
    "legacy_connections": ("codestar-connections", "connection/*", "The same connections, by their older prefix."),
    # Exact names: a created resource's name must embed the VALUES of the project tags its request carries
    # ({tags} = RequestTag), a changed one's the values of the tags it carries ({tags} = ResourceTag). So a stack
    # tagged as project B creates and changes only resources named for B.
    "project_repos": ("codecommit", "{project}-*", "sagemaker-<project-name>-<project-id>-model*, the name taken "
                                                   "from the project tags' values."),
    "project_builds": ("codebuild", "project/{project}-*", "sagemaker-<project-name>-<project-id>-*, the name taken "
                                                           "from the project tags' values."),
    "project_pipelines": ("codepipeline", "{project}-*", "sagemaker-<project-name>-<project-id>-model*, the name "
                                                         "taken from the project tags' values."),
    "project_groups": ("sagemaker", "model-package-group/*-{project_id}",
                       "<project-name>-<project-id>, lower-cased into the ARN by SageMaker: anchored on the id "
                       "(p- and 12 characters, so no id is the tail of another)."),
}
TAG_SOURCES = ("RequestTag", "ResourceTag")
PROJECT_TAG = "sagemaker:project-id"
# Every resource the project template creates carries the tag (SageMaker passes it to Service Catalog, and
# template/project_stack.py adds it): destructive actions need it on the resource, creations in the request.
TAGGED_RESOURCE = {"Null": {f"aws:ResourceTag/{PROJECT_TAG}": "false"}}
TAGGED_REQUEST = {"Null": {f"aws:RequestTag/{PROJECT_TAG}": "false"}}
# The services the launch role hands project roles to (CodeBuild projects, pipelines, rule targets).
PASSED_TO = ["codebuild.amazonaws.com", "codepipeline.amazonaws.com", "events.amazonaws.com"]


def _project_names(tags: str) -> dict[str, str]:
    """The policy variables of the project's name and id, from the request's or the resource's tags."""
    project_id = f"${{aws:{tags}/{PROJECT_TAG}}}"
    return {"project": f"sagemaker-${{aws:{tags}/sagemaker:project-name}}-{project_id}", "project_id": project_id}


def _pattern_arn_for(name: str, stack_prefix: str = SERVICE_CATALOG[1], tags: str = "RequestTag") -> str:
    service, resource, _ = LAUNCH_PATTERNS[name]
    resource = resource.format(prefix=stack_prefix, **_project_names(tags))
    if service == "iam":  # IAM ARNs carry no region
        return f"arn:{cdk.Aws.PARTITION}:iam::{cdk.Aws.ACCOUNT_ID}:{resource}"
    return _arn(service, resource)


def launch_wildcard_reasons(stack_prefix: str = SERVICE_CATALOG[1]) -> dict[str, str]:
    """cdk-nag IAM5 findings of the launch policy, each with its reason."""
    findings = {}
    for service, template, reason in LAUNCH_PATTERNS.values():
        for tags in TAG_SOURCES:
            # cdk-nag writes a policy variable ${aws:...} as <aws:...>
            resource = re.sub(r"\$\{([^}]+)\}", r"<\1>", template.format(prefix=stack_prefix, **_project_names(tags)))
            if service == "iam":
                findings[f"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:{resource}"] = reason
            else:
                findings[f"Resource::arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:{resource}"] = reason
    findings[f"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:policy{APPROVER_PATH}*"] = (
        "Each project's approver policy; CloudFormation names it after the SC-... (or SP-...) stack.")
    findings[f"Resource::arn:<AWS::Partition>:s3:::{stack_prefix.lower()}-*"] = (
        "CloudFormation names the artifact bucket after the SC-... (or SP-...) stack, lower-cased.")
    findings["Resource::arn:<AWS::Partition>:s3:::<TemplateBucket>/*"] = ("The published template and seed zips "
                                                                          "(CodeCommit reads the zips as the caller).")
    return findings


def launch_statements(template_bucket: str, *, stack_prefix: str = SERVICE_CATALOG[1]) -> list[iam.PolicyStatement]:
    """Create, update and delete exactly the resource types of the project template, and only the project's,
    in stacks named <stack_prefix>-... (SC for Service Catalog, SP for S3-based project templates).

    Stable signature: every launch role of the project template (this portfolio's, and the S3-template path's)
    takes its policy from here, so all get the same hardening.

    What cannot be scoped by tag, and why:
    - CloudFormation stacks and EventBridge rules: by name only (SC-*/SP-*). The provisioner names the stack;
      the template's rules carry no tags (it declares none on AWS::Events::Rule), so aws:ResourceTag is absent.
    - S3 buckets: by name only (sc-*/sp-*): S3 bucket actions take no aws:ResourceTag/aws:RequestTag condition.
      The launch role cannot delete a bucket at all (the artifact bucket is retained).
    - kms:CreateKey has no resource (the key does not exist yet): the request must carry the project tag.
      Keys are never deleted (retained), so kms:ScheduleKeyDeletion is not granted. Residual: a key has no
      name to scope by, and kms:TagResource can only require the tag in the request, so a template run by this
      role could tag another key of the account and then change its policy; tag conditions elsewhere are
      backed by a name pattern, keys are not.
    - GetTemplateSummary / ValidateTemplate: no resource-level permissions at all.
    """
    statement = iam.PolicyStatement
    boundary = boundary_arn()
    with_boundary = {"StringEquals": {"iam:PermissionsBoundary": boundary}}

    def _pattern_arn(name: str) -> str:
        return _pattern_arn_for(name, stack_prefix)

    def _new(name: str) -> str:  # named after the project tags of the request
        return _pattern_arn_for(name, stack_prefix, "RequestTag")

    def _own(name: str) -> str:  # named after the project tags of the resource
        return _pattern_arn_for(name, stack_prefix, "ResourceTag")

    return [
        statement(actions=["cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DeleteStack",
                           "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
                           "cloudformation:GetTemplate", "cloudformation:SetStackPolicy"],
                  resources=[_pattern_arn("stacks")]),
        statement(actions=["cloudformation:GetTemplateSummary", "cloudformation:ValidateTemplate"], resources=["*"]),
        statement(actions=["s3:GetObject"], resources=[f"arn:{cdk.Aws.PARTITION}:s3:::{template_bucket}/*"]),
        # Roles: created and given policies only with the project boundary attached, so no role the launch
        # role writes can exceed the boundary (template/components/boundary.py), whatever its policy says.
        statement(sid="RolesOnlyWithBoundary", actions=["iam:CreateRole", "iam:PutRolePolicy",
                                                         "iam:DeleteRolePolicy"],
                  resources=[_pattern_arn("roles")], conditions=with_boundary),
        statement(sid="TagRolesAsProject", actions=["iam:TagRole"], resources=[_pattern_arn("roles")],
                  conditions=TAGGED_REQUEST),
        statement(sid="ChangeProjectRoles", actions=["iam:DeleteRole", "iam:UpdateRole",
                                                     "iam:UpdateRoleDescription", "iam:UntagRole"],
                  resources=[_pattern_arn("roles")], conditions=TAGGED_RESOURCE),
        statement(actions=["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies",
                           "iam:ListAttachedRolePolicies"], resources=[_pattern_arn("roles")]),
        statement(sid="PassProjectRoles", actions=["iam:PassRole"], resources=[_pattern_arn("roles")],
                  conditions={"StringEquals": {"iam:PassedToService": PASSED_TO}}),
        # The project's approver policy (registry.py), under its own path; the launch role attaches it to nobody.
        statement(sid="ApproverPolicies", actions=["iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicy",
                                                   "iam:GetPolicyVersion", "iam:ListPolicyVersions",
                                                   "iam:CreatePolicyVersion", "iam:DeletePolicyVersion"],
                  resources=[f"arn:{cdk.Aws.PARTITION}:iam::{cdk.Aws.ACCOUNT_ID}:policy{APPROVER_PATH}*"]),
        # The boundary itself is the admin's: never changed, detached or deleted by a template run.
        statement(sid="KeepBoundary", effect=iam.Effect.DENY,
                  actions=["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                           "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"],
                  resources=[boundary]),
        statement(sid="KeepRoleBoundaries", effect=iam.Effect.DENY,
                  actions=["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"],
                  resources=["*"]),
        statement(actions=["s3:CreateBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
                           "s3:GetBucketPolicy", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration",
                           "s3:PutBucketVersioning", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls",
                           "s3:PutBucketTagging", "s3:GetBucketLocation"],
                  resources=[f"arn:{cdk.Aws.PARTITION}:s3:::{stack_prefix.lower()}-*"]),
        statement(actions=["kms:CreateKey"], resources=["*"], conditions=TAGGED_REQUEST),
        statement(actions=["kms:TagResource"], resources=[_pattern_arn("keys")], conditions=TAGGED_REQUEST),
        statement(actions=["kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:DescribeKey", "kms:GetKeyPolicy",
                           "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:UntagResource"],
                  resources=[_pattern_arn("keys")], conditions=TAGGED_RESOURCE),
        statement(actions=["codecommit:CreateRepository", "codecommit:TagResource"],
                  resources=[_new("project_repos")], conditions=TAGGED_REQUEST),
        statement(actions=["codecommit:DeleteRepository", "codecommit:UntagResource"],
                  resources=[_own("project_repos")], conditions=TAGGED_RESOURCE),
        statement(actions=["codecommit:GetRepository"], resources=[_pattern_arn("repos")]),
        statement(actions=["codebuild:CreateProject"], resources=[_new("project_builds")], conditions=TAGGED_REQUEST),
        statement(actions=["codebuild:UpdateProject", "codebuild:DeleteProject"], resources=[_own("project_builds")],
                  conditions=TAGGED_RESOURCE),
        statement(actions=["codebuild:BatchGetProjects"], resources=[_pattern_arn("builds")]),
        statement(actions=["codepipeline:CreatePipeline", "codepipeline:TagResource"],
                  resources=[_new("project_pipelines")], conditions=TAGGED_REQUEST),
        statement(actions=["codepipeline:UpdatePipeline", "codepipeline:DeletePipeline"],
                  resources=[_own("project_pipelines")], conditions=TAGGED_RESOURCE),
        statement(actions=["codepipeline:GetPipeline", "codepipeline:GetPipelineState"],
                  resources=[_pattern_arn("pipelines")]),
        statement(actions=["events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:PutTargets",
                           "events:RemoveTargets"], resources=[_pattern_arn("rules")]),
        statement(actions=["sagemaker:CreateModelPackageGroup", "sagemaker:AddTags"],
                  resources=[_new("project_groups")], conditions=TAGGED_REQUEST),
        statement(actions=["sagemaker:DeleteModelPackageGroup", "sagemaker:PutModelPackageGroupPolicy",
                           "sagemaker:DeleteModelPackageGroupPolicy"],
                  resources=[_own("project_groups")], conditions=TAGGED_RESOURCE),
        statement(actions=["sagemaker:DescribeModelPackageGroup", "sagemaker:GetModelPackageGroupPolicy",
                           "sagemaker:ListTags"], resources=[_pattern_arn("groups")]),
        # Connections are passed only to CodePipeline (the source actions), never to another service.
        statement(actions=["codeconnections:PassConnection"], resources=[_pattern_arn("connections")],
                  conditions={"StringEquals": {"codeconnections:PassedToService": "codepipeline.amazonaws.com"}}),
        statement(actions=["codestar-connections:PassConnection"], resources=[_pattern_arn("legacy_connections")],
                  conditions={"StringEquals": {
                      "codestar-connections:PassedToService": "codepipeline.amazonaws.com"}}),
    ]
