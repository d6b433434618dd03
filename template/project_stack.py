"""The SageMaker Project stack: composes one construct per concern and wires the grants between them."""
import aws_cdk as cdk
from constructs import Construct

from template.components import policies
from template.components.artifacts import DATA_CAPTURE_PREFIX, MONITORING_PREFIX, ArtifactStore
from template.components.boundary import attach_boundary
from template.components.builds import BuildProjects
from template.components.ci_providers import add_external_ci
from template.components.cross_account import (ACTION_ROLE, MODEL_ROLE, SHADOW_TEST_ROLE, CrossAccountDeploy,
                                               target_roles_share)
from template.components.events import ProjectEvents
from template.components.nag import SHARED_WILDCARDS, acknowledge_wildcards, logical_ref
from template.components.network import NetworkGuard, declare_network
from template.components.packages import PackageRepository
from template.components.parameters import UNPUBLISHED_SEED_BUCKET, ProjectParameters, declare_parameters
from template.components.pipelines import ProjectPipelines
from template.components.registry import ModelRegistry
from template.components.repositories import SourceRepositories
from template.components.roles import ProjectRoles
from template.components.shadow_tests import CAPTURE_PREFIX, shadow_test_policy

_SM = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
_LOWER_CASE_ARN = ("SageMaker lower-cases names into ARNs while project names may carry capitals; the pattern "
                   "anchors on the lower-case project id, so it matches this project's resources only.")
PROJECT_WILDCARDS = {
    f"Resource::{_SM}:model-package-group/*-<SageMakerProjectId>": _LOWER_CASE_ARN,
    f"Resource::{_SM}:model-package/*-<SageMakerProjectId>/*": _LOWER_CASE_ARN,
    f"Resource::{_SM}:model-package/*": "ListModelPackages only: it names a group, not a package, so IAM "
                                        "authorizes it on the package collection; it returns summaries.",
    f"Resource::{_SM}:pipeline/*-<SageMakerProjectId>-build": _LOWER_CASE_ARN,
    f"Resource::{_SM}:pipeline/*-<SageMakerProjectId>-build/execution/*": _LOWER_CASE_ARN,
    "Action::kms:ReEncrypt*": "CDK's CodeBuild grant on the project's own artifact key (encrypted build output).",
    "Action::kms:GenerateDataKey*": "CDK's CodeBuild grant on the project's own artifact key.",
    f"Resource::{_SM}:processing-job/*": "The SageMaker Pipeline names its jobs at run time (pipelines-<id>-...).",
    f"Resource::{_SM}:training-job/*": "The SageMaker Pipeline names its jobs at run time (pipelines-<id>-...).",
}


class ProjectStack(cdk.Stack):
    """Everything one SageMaker project needs; parameters as SageMaker passes them, tags on every resource."""

    def __init__(self, scope: Construct, construct_id: str, *, seed_bucket: str = UNPUBLISHED_SEED_BUCKET,
                 seed_prefix: str = "seeds/", **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.params = params = declare_parameters(self, seed_bucket=seed_bucket, seed_prefix=seed_prefix)
        self.network = network = declare_network(self)
        self.roles = roles = ProjectRoles(self, "Roles", name_prefix=params.prefix)
        self.artifacts = ArtifactStore(self, "Artifacts", multi_account=params.multi_account,
                                       target_share=target_roles_share(params, ACTION_ROLE, MODEL_ROLE,
                                                                       SHADOW_TEST_ROLE),
                                       capture_share=target_roles_share(params, SHADOW_TEST_ROLE),
                                       capture_prefix=CAPTURE_PREFIX,
                                       model_write_share=target_roles_share(params, MODEL_ROLE))
        self.registry = ModelRegistry(self, "Registry", params=params)
        self.repos = SourceRepositories(self, "Repositories", params=params)
        self.cross_account = CrossAccountDeploy(self, "CrossAccount", params=params,
                                                local_cfn_role_arn=roles.cloudformation.role_arn)
        self.packages = PackageRepository(self, "Packages", project_id=params.project_id,
                                          key_arn=self.artifacts.key.key_arn)
        self.builds = BuildProjects(
            self, "Builds", params=params, role=roles.codebuild, key=self.artifacts.key,
            artifact_bucket_name=self.artifacts.bucket.bucket_name, model_package_group_name=self.registry.group_name,
            pipeline_role_arn=roles.sagemaker_pipeline.role_arn, model_role_arn=roles.model_execution.role_arn,
            stage_role_arns={stage: self.cross_account.stage_test_role_arn(stage) for stage in ("staging", "prod")},
            network=network, packages_environment=self.packages.environment())
        self.pipelines = ProjectPipelines(
            self, "Pipelines", params=params, role=roles.codepipeline,
            artifact_bucket_name=self.artifacts.bucket.bucket_name, key_arn=self.artifacts.key.key_arn,
            repos=self.repos, builds=self.builds, cross_account=self.cross_account)
        self.events = ProjectEvents(
            self, "Events", params=params, role=roles.events, group_name=self.registry.group_name,
            build_repo=self.repos.build, deploy_repo=self.repos.deploy,
            build_pipeline_arn=self.pipelines.arn(self.pipelines.build_name),
            deploy_pipeline_arn=self.pipelines.arn(self.pipelines.deploy_name))
        self._wire_grants(params)
        for statement in self.packages.read_statements():
            roles.codebuild.add_to_principal_policy(statement)
        self.network_guard = NetworkGuard(
            self, "NetworkGuard", network=network, key_arn=network.key_arn(self.artifacts.key.key_arn),
            roles=[roles.sagemaker_pipeline, roles.model_execution, roles.cloudformation, roles.shadow_test,
                   roles.codebuild],
            key_users=[roles.sagemaker_pipeline, roles.model_execution, roles.cloudformation, roles.shadow_test])
        self._outputs(roles)
        self.external_ci = add_external_ci(self)  # GitHub Actions / GitLab CI instead of CodePipeline
        # Every role of the project, created by the Service Catalog launch role, carries the admin's boundary.
        attach_boundary(self)
        self._tag(params)
        self._acknowledge_wildcards()

    def _outputs(self, roles: ProjectRoles) -> None:
        """The approver policy to attach to approvers, and what each target-account stack takes (multi-account):
        it trusts exactly the CodePipeline and CodeBuild roles, by name."""
        approver = self.registry.approver_policy(deploy_pipeline_arn=self.pipelines.arn(self.pipelines.deploy_name))
        outputs = {
            "ApproverPolicyArn": (approver.managed_policy_arn,
                                  "Attach to whoever approves this project's models (README: Security)"),
            "ShadowTestPolicyArn": (shadow_test_policy(self, "ShadowTestPolicy",
                                                       experiment_role_arn=roles.shadow_test.role_arn,
                                                       project_id=self.params.project_id).managed_policy_arn,
                                    "Attach to whoever runs deploy shadow-test (README: Security)"),
            "ShadowTestRoleArn": (roles.shadow_test.role_arn, "deploy shadow-test start --role-arn"),
            "PipelineRoleName": (roles.codepipeline.role_name, "ToolingPipelineRoleName of the target-account stacks"),
            "BuildRoleName": (roles.codebuild.role_name, "ToolingBuildRoleName of the target-account stacks"),
            "ArtifactBucketName": (self.artifacts.bucket.bucket_name, "ArtifactBucketName of the target-account stacks"),
            "ArtifactKeyArn": (self.artifacts.key.key_arn, "ArtifactKeyArn of the target-account stacks"),
        }
        for name, (value, description) in outputs.items():
            cdk.CfnOutput(self, name, value=value, description=description)

    def _wire_grants(self, params: ProjectParameters) -> None:
        roles = self.roles
        for role in (roles.codebuild, roles.codepipeline, roles.sagemaker_pipeline):
            self.artifacts.grant_read_write(role)
        # The model execution role reads models and baselines and writes only captures and monitoring reports
        # (scripts/permissions.py records what the endpoint host does as this role).
        self.artifacts.grant_read(roles.model_execution)
        self.artifacts.grant_write_under(roles.model_execution, DATA_CAPTURE_PREFIX, MONITORING_PREFIX)
        self.artifacts.grant_read(roles.cloudformation)
        self.registry.grant_register(roles.sagemaker_pipeline)
        self.registry.grant_read(roles.codebuild)
        self.registry.grant_read(roles.cloudformation)
        self.repos.grant_pull(roles.codepipeline)
        self.builds.grant_start(roles.codepipeline)
        self.builds.grant_toolkit_read(roles.codebuild)
        self.pipelines.grant_start(roles.events)
        self.cross_account.grant_assume(pipeline_role=roles.codepipeline, codebuild_role=roles.codebuild)
        for statement in policies.pipeline_job_statements(pipeline_role_arn=roles.sagemaker_pipeline.role_arn):
            roles.sagemaker_pipeline.add_to_principal_policy(statement)
        for statement in policies.model_execution_statements():
            roles.model_execution.add_to_principal_policy(statement)
        for statement in policies.shadow_experiment_statements():
            roles.shadow_test.add_to_principal_policy(statement)
        self.artifacts.grant_read(roles.shadow_test)
        self.artifacts.grant_write_under(roles.shadow_test, CAPTURE_PREFIX)
        for statement in policies.endpoint_deploy_statements(model_role_arn=roles.model_execution.role_arn,
                                                             alarm_prefix=params.project_name):
            roles.cloudformation.add_to_principal_policy(statement)
        for statement in policies.stack_deploy_statements(
                stack_names=policies.stage_stack_names(params.project_name),
                deploy_role_arn=roles.cloudformation.role_arn):
            roles.codepipeline.add_to_principal_policy(statement)
        for statement in policies.codebuild_statements(
                pipeline_name_pattern=f"*-{params.project_id}-build", pipeline_role_arn=roles.sagemaker_pipeline.role_arn,
                stack_names=policies.stage_stack_names(params.project_name)):
            roles.codebuild.add_to_principal_policy(statement)
        self.pipelines.wait_for_policies(roles.codepipeline)

    def _acknowledge_wildcards(self) -> None:
        findings = {**SHARED_WILDCARDS, **PROJECT_WILDCARDS,
                    f"Resource::{logical_ref(self.artifacts.bucket, 'Arn')}/*":
                        "Objects inside the project's own artifact bucket; keys are created at run time.",
                    f"Resource::{logical_ref(self.artifacts.bucket, 'Arn')}/{CAPTURE_PREFIX}/*":
                        "SageMaker's shadow-test captures, under their own prefix of the project's bucket.",
                    f"Resource::{logical_ref(self.artifacts.bucket, 'Arn')}/{DATA_CAPTURE_PREFIX}/*":
                        "The endpoints' data capture files (keys made per endpoint, variant and hour), under their "
                        "own prefix of the project's bucket.",
                    f"Resource::{logical_ref(self.artifacts.bucket, 'Arn')}/{MONITORING_PREFIX}/*":
                        "Model Monitor's reports (keys made per endpoint and run), under their own prefix."}
        for project in self.builds.all:
            ref = logical_ref(project)
            findings[f"Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/codebuild/"
                     f"{ref}:*"] = "CodeBuild's own grant: the streams of this project's log group."
            findings[f"Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:report-group/"
                     f"{ref}-*"] = "CodeBuild's own grant: the report groups of this project."
        acknowledge_wildcards(self, findings)

    def _tag(self, params: ProjectParameters) -> None:
        cdk.Tags.of(self).add("sagemaker:project-name", params.project_name)
        cdk.Tags.of(self).add("sagemaker:project-id", params.project_id)
