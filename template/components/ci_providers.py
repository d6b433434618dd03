"""The team's own CI (GitHub Actions or GitLab CI) instead of CodePipeline: OIDC roles per job kind, no stored keys.

With CiProvider=GitHubActions or GitLabCI the project gets the CI's OIDC provider (or uses an existing one),
one role per job kind (model build, deploy staging, deploy prod, stage test) that only this project's
repositories can assume (`sub` pinned exactly, `aud` checked), and the approval rule through an API
destination that starts the deploy workflow (ci_dispatch.py). The CodePipeline path's resources exist only
with CiProvider=CodePipeline (codepipeline_only below). The roles carry the project's boundary
(attach_boundary covers every role of the stack) and the same scoped statements as the CodeBuild role and
CodePipeline's CloudFormation action.
"""
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components import policies
from template.components.ci_dispatch import CiDispatch
from template.components.nag import acknowledge_wildcards
from template.components.parameters import ProjectParameters

GITHUB, GITLAB, CODEPIPELINE = "GitHubActions", "GitLabCI", "CodePipeline"
PROVIDERS = [CODEPIPELINE, GITHUB, GITLAB]
GITHUB_ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"  # what aws-actions/configure-aws-credentials and the GitLab id_token ask for
# The CI environments the deploy jobs run in (protected environments with required reviewers for prod).
ENVIRONMENTS = {"staging": "staging", "prod": "prod"}
HOST_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
OIDC_PROVIDER_ARN_PATTERN = r"^(arn:aws[a-z-]*:iam::\d{12}:oidc-provider/.+)?$"
CI_NEEDS_REPOSITORIES = ("BuildRepositoryId/DeployRepositoryId: empty: CiProvider GitHubActions or GitLabCI "
                         "needs both repositories (owner/name, or the GitLab project path)")
CI_SINGLE_ACCOUNT = ("StagingAccountId/ProdAccountId: set: CiProvider GitHubActions or GitLabCI deploys in this "
                     "account only (the target-account roles trust the CodePipeline and CodeBuild roles)")
CI_NO_CONNECTION = "CodeConnectionArn: set: a CodeConnections source is for CiProvider=CodePipeline only"
# The `sub` claim each job's token carries. GitHub: a branch job's default subject; the deploy repository's
# subject template is customized to ["repo", "context", "ref"] (docs/ci-providers.md), so a deploy job's
# subject names both its environment and its branch. GitLab: the fixed project_path/ref_type/ref subject.
GITHUB_BRANCH_SUB = "repo:${Repository}:ref:refs/heads/${BranchName}"
GITHUB_ENVIRONMENT_SUB = "repo:${Repository}:environment:${Environment}:ref:refs/heads/${BranchName}"
GITLAB_BRANCH_SUB = "project_path:${Repository}:ref_type:branch:ref:${BranchName}"
# The trust policy is a string: IAM's condition keys are named after the issuer (`<host>:sub`), and a
# CloudFormation parameter (GitLabHost) can name a JSON key only inside Fn::Sub.
TRUST_POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                '"Principal": {"Federated": "${ProviderArn}"}, "Action": "sts:AssumeRoleWithWebIdentity", '
                '"Condition": {"StringEquals": {"${Issuer}:sub": "${Subject}", "${Issuer}:aud": "' + AUDIENCE +
                '"}}}]}')


@dataclass(frozen=True)
class CiParameters:
    """The CI provider's parameters and conditions."""

    provider: str
    gitlab_host: str
    oidc_provider_arn: str
    use_codepipeline: cdk.CfnCondition
    use_github: cdk.CfnCondition
    use_external_ci: cdk.CfnCondition
    create_oidc_provider: cdk.CfnCondition

    def issuer(self) -> str:
        """The OIDC issuer's host: GitHub's, or the GitLab instance's."""
        return cdk.Fn.condition_if(self.use_github.logical_id, GITHUB_ISSUER, self.gitlab_host).to_string()


def declare_ci_parameters(scope: cdk.Stack, params: ProjectParameters) -> CiParameters:
    """CiProvider, GitLabHost and CiOidcProviderArn, their conditions, and the rules that refuse a CI provider
    with what only CodePipeline uses (a connection, target accounts) or without its repositories."""
    provider = cdk.CfnParameter(scope, "CiProvider", type="String", default=CODEPIPELINE, allowed_values=PROVIDERS,
                                description="Where the build and deploy run: CodePipeline (CodeBuild), or the "
                                            "team's GitHub Actions or GitLab CI through OIDC roles "
                                            "(BuildRepositoryId/DeployRepositoryId name the repositories)"
                                ).value_as_string
    host = cdk.CfnParameter(scope, "GitLabHost", type="String", default="gitlab.com", allowed_pattern=HOST_PATTERN,
                            description="Host of the GitLab instance (GitLabCI only)").value_as_string
    provider_arn = cdk.CfnParameter(
        scope, "CiOidcProviderArn", type="String", default="", allowed_pattern=OIDC_PROVIDER_ARN_PATTERN,
        description="Empty: the project creates the CI's OIDC provider (once per account and issuer). Otherwise "
                    "the ARN of the account's existing provider for it").value_as_string
    use_codepipeline = cdk.CfnCondition(scope, "UseCodePipeline",
                                        expression=cdk.Fn.condition_equals(provider, CODEPIPELINE))
    use_github = cdk.CfnCondition(scope, "UseGitHubActions", expression=cdk.Fn.condition_equals(provider, GITHUB))
    external = cdk.CfnCondition(scope, "UseExternalCi", expression=cdk.Fn.condition_not(use_codepipeline))
    create = cdk.CfnCondition(scope, "CreateOidcProvider", expression=cdk.Fn.condition_and(
        external, cdk.Fn.condition_equals(provider_arn, "")))
    _restrict_sources(params, use_codepipeline)
    _declare_rules(scope, params, provider)
    return CiParameters(provider=provider, gitlab_host=host, oidc_provider_arn=provider_arn,
                        use_codepipeline=use_codepipeline, use_github=use_github, use_external_ci=external,
                        create_oidc_provider=create)


def _restrict_sources(params: ProjectParameters, use_codepipeline: cdk.CfnCondition) -> None:
    """CodeCommit repositories and the connection grant belong to the CodePipeline path only."""
    params.use_codecommit.expression = cdk.Fn.condition_and(
        cdk.Fn.condition_equals(params.connection_arn, ""), use_codepipeline)
    params.use_connections.expression = cdk.Fn.condition_and(
        cdk.Fn.condition_not(cdk.Fn.condition_equals(params.connection_arn, "")), use_codepipeline)


def _declare_rules(scope: cdk.Stack, params: ProjectParameters, provider: str) -> None:
    is_external = cdk.Fn.condition_not(cdk.Fn.condition_equals(provider, CODEPIPELINE))
    cdk.CfnRule(scope, "ExternalCiSettings", rule_condition=is_external, assertions=[
        cdk.CfnRuleAssertion(assert_=cdk.Fn.condition_and(
            cdk.Fn.condition_not(cdk.Fn.condition_equals(params.build_repository_id, "")),
            cdk.Fn.condition_not(cdk.Fn.condition_equals(params.deploy_repository_id, ""))),
            assert_description=CI_NEEDS_REPOSITORIES),
        cdk.CfnRuleAssertion(assert_=cdk.Fn.condition_equals(params.staging_account_id, ""),
                             assert_description=CI_SINGLE_ACCOUNT),
        cdk.CfnRuleAssertion(assert_=cdk.Fn.condition_equals(params.connection_arn, ""),
                             assert_description=CI_NO_CONNECTION)])


def codepipeline_only(condition: cdk.CfnCondition, *constructs: Construct) -> None:
    """Give each construct's CloudFormation resource `condition` (the CodePipeline path's pipelines, CodeBuild
    projects, approval rule, and the role policies that name them)."""
    for construct in constructs:
        resource = construct.node.default_child if construct.node.default_child is not None else construct
        resource.cfn_options.condition = condition


class ExternalCiRoles(Construct):
    """The OIDC provider (unless given) and one role per CI job kind, each trusting one repository's exact
    subject; created only when CiProvider is GitHubActions or GitLabCI."""

    def __init__(self, scope: Construct, construct_id: str, *, params: ProjectParameters, ci: CiParameters) -> None:
        super().__init__(scope, construct_id)
        self._params, self._ci = params, ci
        issuer = ci.issuer()
        provider = iam.CfnOIDCProvider(self, "OidcProvider", url=f"https://{issuer}", client_id_list=[AUDIENCE])
        provider.cfn_options.condition = ci.create_oidc_provider
        # One provider per account and issuer serves every project: it outlives the project that made it, and
        # later projects name it in CiOidcProviderArn.
        provider.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        self.provider_arn = cdk.Fn.condition_if(ci.create_oidc_provider.logical_id, provider.attr_arn,
                                                ci.oidc_provider_arn).to_string()
        build_sub = self._subject(GITHUB_BRANCH_SUB, GITLAB_BRANCH_SUB, params.build_repository_id)
        self.model_build = self._role("ModelBuild", build_sub, "CI job: runs the model build's SageMaker Pipeline")
        self.deploy = {stage: self._role(
            f"Deploy{stage.capitalize()}", self._subject(GITHUB_ENVIRONMENT_SUB, GITLAB_BRANCH_SUB,
                                                         params.deploy_repository_id, ENVIRONMENTS[stage]),
            f"CI job: deploys the {stage} endpoint stack and verifies it") for stage in ENVIRONMENTS}
        self.stage_test = self._role(
            "StageTest", self._subject(GITHUB_ENVIRONMENT_SUB, GITLAB_BRANCH_SUB, params.deploy_repository_id,
                                       ENVIRONMENTS["staging"]), "CI job: tests the staging endpoint")
        acknowledge_wildcards(self, {
            f"Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/"
            f"sagemaker-<SageMakerProjectName>-deploy-{stage}/*": "One stage stack by its exact name; CloudFormation "
                                                                  "appends the stack id." for stage in ENVIRONMENTS})

    @property
    def all(self) -> list[iam.Role]:
        return [self.model_build, *self.deploy.values(), self.stage_test]

    def _subject(self, github: str, gitlab: str, repository: str, environment: str = "") -> str:
        variables = {"Repository": repository, "BranchName": self._params.branch, "Environment": environment}

        def sub(text: str) -> str:
            return cdk.Fn.sub(text, {k: v for k, v in variables.items() if f"${{{k}}}" in text})
        return cdk.Fn.condition_if(self._ci.use_github.logical_id, sub(github), sub(gitlab)).to_string()

    def _role(self, construct_id: str, subject: str, description: str) -> iam.Role:
        role = iam.Role(self, construct_id, assumed_by=iam.FederatedPrincipal(self.provider_arn),
                        path=policies.ROLE_PATH, description=description)
        resource = role.node.default_child
        resource.cfn_options.condition = self._ci.use_external_ci
        resource.add_property_override("AssumeRolePolicyDocument", cdk.Fn.sub(TRUST_POLICY, {
            "ProviderArn": self.provider_arn, "Issuer": self._ci.issuer(), "Subject": subject}))
        return role

    def grant(self, *, artifacts, registry, pipeline_role_arn: str, cloudformation_role_arn: str,
              stage_stack_name, toolkit_wheel_arn: str) -> None:
        """Each job kind's statements: those of the CodeBuild role for the same command, and for the deploys
        those of CodePipeline's CloudFormation action on that stage's stack only."""
        project = self._params
        artifacts.grant_read_write(self.model_build)
        registry.grant_read(self.model_build)
        self._add(self.model_build, policies.codebuild_statements(
            pipeline_name_pattern=f"*-{project.project_id}-build", pipeline_role_arn=pipeline_role_arn,
            stack_names=policies.stage_stack_names(project.project_name)))
        for stage, role in self.deploy.items():
            artifacts.grant_read(role)
            registry.grant_read(role)
            self._add(role, [*stack_change_set_statements(stage_stack_name(stage), cloudformation_role_arn),
                             *policies.stage_test_statements(stack_names=[stage_stack_name(stage)])])
        artifacts.grant_read(self.stage_test)
        self._add(self.stage_test, policies.stage_test_statements(stack_names=[stage_stack_name("staging")]))
        for role in self.all:  # every job installs the seeds' pinned mlops-guardrails from the template bucket
            role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[toolkit_wheel_arn]))
        for role in self.all:
            role.node.find_child("DefaultPolicy").node.default_child.cfn_options.condition = self._ci.use_external_ci

    @staticmethod
    def _add(role: iam.Role, statements: list[iam.PolicyStatement]) -> None:
        for statement in statements:
            role.add_to_principal_policy(statement)


def stack_change_set_statements(stack_name: str, deploy_role_arn: str) -> list[iam.PolicyStatement]:
    """`aws cloudformation deploy` on one stage stack: CodePipeline's CREATE_UPDATE statements, plus the change set
    calls the CLI makes instead of CreateStack/UpdateStack."""
    return [*policies.stack_deploy_statements(stack_names=[stack_name], deploy_role_arn=deploy_role_arn),
            iam.PolicyStatement(actions=["cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet",
                                         "cloudformation:ExecuteChangeSet"],
                                resources=[policies.stack_arn(stack_name)])]


def add_external_ci(stack) -> ExternalCiRoles:
    """Wire the CI provider into the project stack: its parameters, the OIDC roles with their grants and outputs,
    and the CodePipeline path's resources under UseCodePipeline."""
    params, roles = stack.params, stack.roles
    ci = declare_ci_parameters(stack, params)
    ci_roles = ExternalCiRoles(stack, "ExternalCi", params=params, ci=ci)
    ci_roles.grant(artifacts=stack.artifacts, registry=stack.registry,
                   pipeline_role_arn=roles.sagemaker_pipeline.role_arn,
                   cloudformation_role_arn=roles.cloudformation.role_arn,
                   stage_stack_name=stack.pipelines.stage_stack_name, toolkit_wheel_arn=stack.builds.toolkit_wheel_arn)
    # The CodeBuild, CodePipeline and EventBridge roles stay: nothing can assume them without the pipelines and
    # projects (their trust names this project's), and the target-account stack and outputs name them.
    codepipeline_only(ci.use_codepipeline, stack.pipelines.build, stack.pipelines.deploy, *stack.builds.all,
                      stack.events.model_approval, roles.codebuild.node.find_child("DefaultPolicy"),
                      roles.codepipeline.node.find_child("DefaultPolicy"))
    CiDispatch(stack, "CiDispatch", params=params, ci=ci, role=roles.events, group_name=stack.registry.group_name)
    outputs = {"SageMakerPipelineRoleArn": roles.sagemaker_pipeline.role_arn,
               "ModelExecutionRoleArn": roles.model_execution.role_arn,
               "CloudFormationRoleArn": roles.cloudformation.role_arn,
               "ModelPackageGroupName": stack.registry.group_name,
               "ToolkitWheelUri": stack.builds.toolkit_wheel_uri(params)}
    for name, value in outputs.items():
        cdk.CfnOutput(stack, name, value=value, description="CI variable (docs/ci-providers.md)").condition = \
            ci.use_external_ci
    for name, role in {"CiModelBuildRoleArn": ci_roles.model_build, "CiDeployStagingRoleArn": ci_roles.deploy["staging"],
                       "CiDeployProdRoleArn": ci_roles.deploy["prod"], "CiStageTestRoleArn": ci_roles.stage_test}.items():
        output = cdk.CfnOutput(stack, name, value=role.role_arn, description="role-to-assume of the CI job "
                                                                             "(docs/ci-providers.md)")
        output.condition = ci.use_external_ci
    return ci_roles
