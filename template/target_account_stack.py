"""Stack for each staging or prod account of a multi-account project: the roles the deploy stages assume."""
import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components import policies
from template.components.boundary import boundary_policy
from template.components.artifacts import DATA_CAPTURE_PREFIX, KEY_WRITE, MONITORING_PREFIX
from template.components.cross_account import ACTION_ROLE, CFN_ROLE, MODEL_ROLE, SHADOW_TEST_ROLE, STAGE_TEST_ROLE
from template.components.nag import SHARED_WILDCARDS, acknowledge_wildcards
from template.components.parameters import (ACCOUNT_ID_PATTERN, PROJECT_ID_LENGTH, PROJECT_ID_PATTERN,
                                            PROJECT_NAME_PATTERN, ROLE_NAME_PATTERN)
from template.components.roles import SHADOW_TEST_ROLE_DESCRIPTION, service_principal
from template.components.shadow_tests import CAPTURE_PREFIX, shadow_test_policy

TARGET_WILDCARDS = {
    **SHARED_WILDCARDS,
    "Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<ToolingAccountId>:model-package/*-<SageMakerProjectId>/*":
        "The project's model packages in the tooling account's registry (the shadow-test candidate check); the "
        "group is anchored on the project id because SageMaker lower-cases names into ARNs.",
    "Resource::arn:<AWS::Partition>:s3:::<ArtifactBucketName>/*":
        "Objects inside the project's artifact bucket (in the tooling account); keys are created at run time.",
    f"Resource::arn:<AWS::Partition>:s3:::<ArtifactBucketName>/{CAPTURE_PREFIX}/*":
        "SageMaker's shadow-test captures, under their own prefix of the project's bucket (in the tooling account).",
    f"Resource::arn:<AWS::Partition>:s3:::<ArtifactBucketName>/{DATA_CAPTURE_PREFIX}/*":
        "The stage endpoints' data capture; SageMaker names the keys <endpoint>/<variant>/yyyy/mm/dd/hh/ at run time.",
    f"Resource::arn:<AWS::Partition>:s3:::<ArtifactBucketName>/{MONITORING_PREFIX}/*":
        "The Model Monitor jobs' reports, monitoring/<endpoint>/data-quality/; the jobs name their files.",
}


def tooling_role(account: str, role_name: str) -> iam.IPrincipal:
    """Exactly one role of the tooling account (aws:PrincipalArn), not the account: trusting the account root
    would let any of its principals with sts:AssumeRole in."""
    arn = f"arn:{cdk.Aws.PARTITION}:iam::{account}:role{policies.ROLE_PATH}{role_name}"
    return iam.AccountPrincipal(account).with_conditions({"ArnEquals": {"aws:PrincipalArn": arn}})


def write_under(bucket_arn: str, key_arn: str, *prefixes: str) -> list[iam.PolicyStatement]:
    """Put objects under these prefixes of the tooling bucket only, with the key to encrypt them (the tooling
    side's ArtifactStore.grant_write_under, for a bucket and key known by name)."""
    return [iam.PolicyStatement(actions=["s3:PutObject"],
                                resources=[f"{bucket_arn}/{prefix}/*" for prefix in prefixes]),
            iam.PolicyStatement(actions=KEY_WRITE, resources=[key_arn])]


class TargetAccountStack(cdk.Stack):
    """A stage account's project roles: deploy-action and stage-test (each trusted by one tooling-account role),
    CloudFormation deploy, model execution and shadow-test; the shadow-test policy; and their boundary."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        tooling = self._string("ToolingAccountId", "Account that holds the project (its pipelines and registry).",
                               allowed_pattern=ACCOUNT_ID_PATTERN)
        pipeline_role = self._string("ToolingPipelineRoleName", "The project stack's output PipelineRoleName: the "
                                     "only tooling-account role that may assume the deploy-action role.",
                                     allowed_pattern=ROLE_NAME_PATTERN, max_length=64)
        build_role = self._string("ToolingBuildRoleName", "The project stack's output BuildRoleName: the only "
                                  "tooling-account role that may assume the stage-test role.",
                                  allowed_pattern=ROLE_NAME_PATTERN, max_length=64)
        name = self._string("SageMakerProjectName", "Name of the project.", allowed_pattern=PROJECT_NAME_PATTERN,
                            max_length=32)
        project_id = self._string("SageMakerProjectId", "Id of the project.", allowed_pattern=PROJECT_ID_PATTERN,
                                  min_length=PROJECT_ID_LENGTH, max_length=PROJECT_ID_LENGTH)
        bucket = self._string("ArtifactBucketName", "The project's artifact bucket (in the tooling account).")
        key_arn = self._string("ArtifactKeyArn", "The KMS key that encrypts the artifact bucket.",
                               allowed_pattern="^arn:[a-z-]+:kms:.+$")
        bucket_arn = f"arn:{cdk.Aws.PARTITION}:s3:::{bucket}"
        read_artifacts = [
            iam.PolicyStatement(actions=["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketLocation",
                                         "s3:ListBucket"], resources=[bucket_arn, f"{bucket_arn}/*"]),
            iam.PolicyStatement(actions=["kms:Decrypt", "kms:DescribeKey"], resources=[key_arn])]

        # The stage endpoints' data capture and their Model Monitor reports go to the tooling bucket's
        # data-capture/ and monitoring/ (seed-deploy's template_render), written as this role: it may put objects
        # there only (the tooling bucket and key policies let it, by name: ArtifactStore._share_writes).
        self.model_role = self._role("ModelExecutionRole", MODEL_ROLE.format(project_id=project_id),
                                     service_principal("sagemaker.amazonaws.com"),
                                     [*read_artifacts,
                                      *write_under(bucket_arn, key_arn, DATA_CAPTURE_PREFIX, MONITORING_PREFIX),
                                      *policies.model_execution_statements()])
        self.cfn_role = self._role("CloudFormationRole", CFN_ROLE.format(project_id=project_id),
                                   service_principal("cloudformation.amazonaws.com"),
                                   policies.endpoint_deploy_statements(model_role_arn=self.model_role.role_arn,
                                                                       alarm_prefix=name))
        self.action_role = self._role(
            "DeployActionRole", ACTION_ROLE.format(project_id=project_id), tooling_role(tooling, pipeline_role),
            [*read_artifacts, iam.PolicyStatement(actions=["s3:PutObject"], resources=[f"{bucket_arn}/*"]),
             iam.PolicyStatement(actions=["kms:Encrypt", "kms:GenerateDataKey"], resources=[key_arn]),
             *policies.stack_deploy_statements(stack_names=policies.stage_stack_names(name),
                                               deploy_role_arn=self.cfn_role.role_arn)])
        self.stage_test_role = self._role(
            "StageTestRole", STAGE_TEST_ROLE.format(project_id=project_id), tooling_role(tooling, build_role),
            policies.stage_test_statements(stack_names=policies.stage_stack_names(name)))
        # Managed shadow tests run where the stage endpoint is: SageMaker runs them as this role, which writes its
        # captures under the tooling bucket's shadow-test prefix (the bucket and key policies let it, by name).
        self.shadow_test_role = self._role(
            "ShadowTestRole", SHADOW_TEST_ROLE.format(project_id=project_id), service_principal("sagemaker.amazonaws.com"),
            [*read_artifacts, *write_under(bucket_arn, key_arn, CAPTURE_PREFIX),
             *policies.shadow_experiment_statements()], description=SHADOW_TEST_ROLE_DESCRIPTION)
        shadow_policy = shadow_test_policy(self, "ShadowTestPolicy", experiment_role_arn=self.shadow_test_role.role_arn,
                                           project_id=project_id, registry_account=tooling)
        cdk.CfnOutput(self, "ShadowTestPolicyArn", value=shadow_policy.managed_policy_arn,
                      description="Attach to whoever runs deploy shadow-test on this account's endpoint")
        cdk.CfnOutput(self, "ShadowTestRoleArn", value=self.shadow_test_role.role_arn,
                      description="deploy shadow-test start --role-arn")
        # The target account has no portfolio stack: this stack brings the same ceiling for its own roles.
        boundary = boundary_policy(self, "RoleBoundary", name=None)
        iam.PermissionsBoundary.of(self).apply(boundary)
        cdk.Tags.of(self).add("sagemaker:project-name", name)
        cdk.Tags.of(self).add("sagemaker:project-id", project_id)
        acknowledge_wildcards(self, TARGET_WILDCARDS)

    def _string(self, name: str, description: str, **kwargs) -> str:
        return cdk.CfnParameter(self, name, type="String", description=description,
                                **{"min_length": 1, **kwargs}).value_as_string

    def _role(self, construct_id: str, role_name: str, principal: iam.IPrincipal,
              statements: list[iam.PolicyStatement], description: str | None = None) -> iam.Role:
        # Fixed names: the tooling account's pipeline builds these ARNs from the account and project id.
        return iam.Role(self, construct_id, role_name=role_name, path=policies.ROLE_PATH, assumed_by=principal,
                        description=description,
                        inline_policies={"Permissions": iam.PolicyDocument(statements=statements)})
