"""The two CodePipelines: build (source -> SageMaker Pipeline) and deploy (source -> ... -> VerifyProd)."""
import json

import aws_cdk as cdk
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components.builds import BuildProjects
from template.components.cross_account import CrossAccountDeploy
from template.components.parameters import ProjectParameters
from template.components.repositories import SOURCE_OUTPUT, SourceRepositories

BUILD_OUTPUT = "BuildArtifact"
TEMPLATE_FILE = "template-export.yml"
DEPLOY_STAGES = ["Source", "Build", "DeployStaging", "TestStaging", "ApproveDeployment", "DeployProd", "VerifyProd"]


def _codebuild_action(name: str, project: str, *, outputs: list[str] = (), env: dict[str, str] | None = None) -> dict:
    configuration = {"ProjectName": project}
    if env:
        configuration["EnvironmentVariables"] = json.dumps(
            [{"name": key, "value": value, "type": "PLAINTEXT"} for key, value in env.items()])
    return {"Name": name, "RunOrder": 1,
            "ActionTypeId": {"Category": "Build", "Owner": "AWS", "Provider": "CodeBuild", "Version": "1"},
            "Configuration": configuration, "InputArtifacts": [{"Name": SOURCE_OUTPUT}],
            "OutputArtifacts": [{"Name": name} for name in outputs]}


class ProjectPipelines(Construct):
    """Both pipelines on the artifact bucket and key, sharing the CodePipeline role."""

    def __init__(self, scope: Construct, construct_id: str, *, params: ProjectParameters, role: iam.Role,
                 artifact_bucket_name: str, key_arn: str, repos: SourceRepositories, builds: BuildProjects,
                 cross_account: CrossAccountDeploy) -> None:
        super().__init__(scope, construct_id)
        self._params = params
        store = {"Type": "S3", "Location": artifact_bucket_name, "EncryptionKey": {"Id": key_arn, "Type": "KMS"}}
        self.build_name = f"{params.prefix}-modelbuild"
        self.deploy_name = f"{params.prefix}-modeldeploy"
        self.build = self._pipeline("Build", self.build_name, role, store, [
            {"Name": "Source", "Actions": [repos.source_action(repos.build)]},
            {"Name": "Build", "Actions": [_codebuild_action("RunSageMakerPipeline",
                                                            builds.model_build.project_name)]},
        ])
        self.deploy = self._pipeline("Deploy", self.deploy_name, role, store, [
            {"Name": "Source", "Actions": [repos.source_action(repos.deploy)]},
            {"Name": "Build", "Actions": [_codebuild_action("BuildDeployment", builds.deploy_build.project_name,
                                                            outputs=[BUILD_OUTPUT])]},
            {"Name": "DeployStaging", "Actions": [self._deploy_action("staging", cross_account)]},
            {"Name": "TestStaging", "Actions": [self._stage_test_action("TestStaging", "staging", builds,
                                                                         cross_account)]},
            {"Name": "ApproveDeployment", "Actions": [{
                "Name": "ApproveDeployment", "RunOrder": 1,
                "ActionTypeId": {"Category": "Approval", "Owner": "AWS", "Provider": "Manual", "Version": "1"},
                "Configuration": {"CustomData": "Staging passed its tests. Approve to deploy to prod."}}]},
            {"Name": "DeployProd", "Actions": [self._deploy_action("prod", cross_account)]},
            {"Name": "VerifyProd", "Actions": [self._stage_test_action("VerifyProd", "prod", builds, cross_account)]},
        ])

    def _pipeline(self, construct_id: str, name: str, role: iam.Role, store: dict,
                  stages: list[dict]) -> codepipeline.CfnPipeline:
        pipeline = codepipeline.CfnPipeline(self, construct_id, name=name, role_arn=role.role_arn, stages=[],
                                            pipeline_type="V2", restart_execution_on_update=False)
        # Raw stage JSON keeps stage and action names readable (the offline demo walks them in order) and
        # lets a source action be a condition (CodeCommit or CodeConnections).
        pipeline.add_property_override("Stages", stages)
        pipeline.add_property_override("ArtifactStore", store)
        return pipeline

    def wait_for_policies(self, role: iam.Role) -> None:
        """Create the pipelines after `role`'s policy: CodePipeline checks the role when it creates them."""
        for pipeline in (self.build, self.deploy):
            pipeline.node.add_dependency(role.node.find_child("DefaultPolicy"))

    @staticmethod
    def _stage_test_action(name: str, stage: str, builds: BuildProjects, cross_account: CrossAccountDeploy) -> dict:
        """The stage-test project for one stage; TARGET_ROLE_ARN (empty in one account) is where its endpoint is."""
        return _codebuild_action(name, builds.stage_test.project_name,
                                 env={"STAGE": stage, "TARGET_ROLE_ARN": cross_account.stage_test_role_arn(stage)})

    def _deploy_action(self, stage: str, cross_account: CrossAccountDeploy) -> dict:
        return {
            "Name": f"Deploy{stage.capitalize()}", "RunOrder": 1,
            "ActionTypeId": {"Category": "Deploy", "Owner": "AWS", "Provider": "CloudFormation", "Version": "1"},
            "InputArtifacts": [{"Name": BUILD_OUTPUT}],
            "RoleArn": cross_account.action_role_arn(stage),
            "Configuration": {
                "ActionMode": "CREATE_UPDATE", "StackName": self.stage_stack_name(stage),
                "TemplatePath": f"{BUILD_OUTPUT}::{TEMPLATE_FILE}",
                "TemplateConfiguration": f"{BUILD_OUTPUT}::{stage}-config-export.json",
                "RoleArn": cross_account.cfn_role_arn(stage),
                "ParameterOverrides": cross_account.parameter_overrides(stage)}}

    def stage_stack_name(self, stage: str) -> str:
        """`sagemaker-P-deploy-<stage>`, as docs/contracts.md names the stage stacks."""
        return f"sagemaker-{self._params.project_name}-deploy-{stage}"

    def arn(self, name: str) -> str:
        """ARN of the pipeline called `name`."""
        return cdk.Stack.of(self).format_arn(service="codepipeline", resource=name,
                                             arn_format=cdk.ArnFormat.NO_RESOURCE_NAME)

    def grant_start(self, grantee: iam.IGrantable) -> None:
        """Start both pipelines (the EventBridge rules)."""
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            actions=["codepipeline:StartPipelineExecution"],
            resources=[self.arn(self.build_name), self.arn(self.deploy_name)]))
