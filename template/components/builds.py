"""The CodeBuild projects: model build (seed-build), deploy build (seed-deploy) and stage test."""
import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from template.components.nag import acknowledge_validation
from template.components.network import NetworkParameters
from template.components.parameters import ProjectParameters

BUILD_SPEC = "buildspec.yml"
TEST_SPEC = "test-buildspec.yml"


class BuildProjects(Construct):
    """Three PipelineProjects sharing the CodeBuild role; environments exactly as docs/contracts.md names them."""

    @staticmethod
    def toolkit_wheel_uri(params) -> str:
        """Where the seeds' pinned mlops-guardrails wheel is: beside the seed zips (TOOLKIT_WHEEL_URI)."""
        return f"s3://{params.seed_bucket}/{params.toolkit_wheel_key}"

    def __init__(self, scope: Construct, construct_id: str, *, params: ProjectParameters, role: iam.IRole,
                 key: kms.IKey, artifact_bucket_name: str, model_package_group_name: str,
                 pipeline_role_arn: str, model_role_arn: str, stage_role_arns: dict[str, str],
                 network: NetworkParameters, packages_environment: dict[str, str]) -> None:
        super().__init__(scope, construct_id)
        self.network = network
        common = {"SAGEMAKER_PROJECT_NAME": params.project_name, "SAGEMAKER_PROJECT_ID": params.project_id,
                  "MODEL_PACKAGE_GROUP_NAME": model_package_group_name, "ARTIFACT_BUCKET": artifact_bucket_name,
                  "AWS_REGION": cdk.Aws.REGION, **network.environment(key.key_arn), **packages_environment,
                  # The buildspecs install the seeds' pinned mlops-guardrails from here (no public index).
                  "TOOLKIT_WHEEL_URI": self.toolkit_wheel_uri(params)}
        self.toolkit_wheel_arn = f"arn:{cdk.Aws.PARTITION}:s3:::{params.seed_bucket}/{params.toolkit_wheel_key}"
        self.model_build = self._project("ModelBuild", f"{params.prefix}-modelbuild", BUILD_SPEC, role, key,
                                         {**common, "SAGEMAKER_PIPELINE_ROLE_ARN": pipeline_role_arn},
                                         "Runs the SageMaker Pipeline of the model-build repository")
        deploy_env = {**common, "MODEL_EXECUTION_ROLE_ARN": model_role_arn}
        # Multi-account: build.py reads a stage's live endpoint ("live" variants) through the stage's role.
        target_roles = {f"{stage.upper()}_TARGET_ROLE_ARN": arn for stage, arn in stage_role_arns.items()}
        self.deploy_build = self._project("DeployBuild", f"{params.prefix}-modeldeploy", BUILD_SPEC, role, key,
                                          {**deploy_env, **target_roles},
                                          "Finds the approved model and renders the stage configs")
        # STAGE is set by each pipeline action (staging for TestStaging, prod for VerifyProd).
        self.stage_test = self._project("StageTest", f"{params.prefix}-stagetest", TEST_SPEC, role, key,
                                        {**deploy_env, "STAGE": "staging"}, "Tests and verifies a deployed stage")

    def _project(self, construct_id: str, name: str, spec: str, role: iam.IRole, key: kms.IKey,
                 env: dict[str, str], description: str) -> codebuild.PipelineProject:
        project = codebuild.PipelineProject(
            self, construct_id, project_name=name, description=description, role=role, encryption_key=key,
            build_spec=codebuild.BuildSpec.from_source_filename(spec), timeout=cdk.Duration.hours(2),
            environment=codebuild.BuildEnvironment(build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                                                   compute_type=codebuild.ComputeType.SMALL),
            environment_variables={key_: codebuild.BuildEnvironmentVariable(value=value)
                                   for key_, value in env.items()})
        # The role lives under a path, so CodeBuild needs its ARN; CDK would pass its name.
        project.node.default_child.add_property_override("ServiceRole", role.role_arn)
        # In the project's VPC when it has one (its NetworkGuard lets the role make the network interfaces).
        project.node.default_child.add_property_override("VpcConfig", self.network.codebuild_vpc_config())
        for rule in ("E1150", "E1151", "E1154"):
            acknowledge_validation(project, f"CloudFormation-Validate::{rule}",
                                   "CDK checks VpcConfig with the parameters' empty defaults; VpcConfig exists only "
                                   "under ProjectInVpc, where none is empty (cfn-lint, which follows it, is clean).")
        acknowledge_validation(project, "CloudFormation-Validate::E3050",
                               "The check reads CDK's props before the ServiceRole override to the role's ARN.")
        return project

    @property
    def all(self) -> list[codebuild.PipelineProject]:
        """The three projects, for grants."""
        return [self.model_build, self.deploy_build, self.stage_test]

    def grant_toolkit_read(self, grantee: iam.IGrantable) -> None:
        """Read the toolkit's wheel, that one object of the seed bucket (the buildspecs' install phase)."""
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:GetObject"], resources=[self.toolkit_wheel_arn]))

    def grant_start(self, grantee: iam.IGrantable) -> None:
        """Start and watch the projects' builds (CodePipeline's build and test actions)."""
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            actions=["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
            resources=[project.project_arn for project in self.all]))
