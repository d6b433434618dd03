"""One IAM role per service the project uses; the stack grants each only what it needs."""
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components.policies import ROLE_PATH


class ProjectRoles(Construct):
    """Roles for CodeBuild, CodePipeline, EventBridge, CloudFormation, the SageMaker Pipeline and the model."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.codebuild = self._role("CodeBuild", "codebuild.amazonaws.com", "Runs the project's CodeBuild projects")
        self.codepipeline = self._role("CodePipeline", "codepipeline.amazonaws.com",
                                       "Runs the project's build and deploy pipelines")
        self.events = self._role("Events", "events.amazonaws.com", "Starts the deploy pipeline on approval events")
        self.cloudformation = self._role("CloudFormation", "cloudformation.amazonaws.com",
                                         "Deploys the staging and prod endpoint stacks in this account")
        self.sagemaker_pipeline = self._role("SageMakerPipeline", "sagemaker.amazonaws.com",
                                             "Runs the SageMaker Pipeline's jobs and registers models")
        self.model_execution = self._role("ModelExecution", "sagemaker.amazonaws.com",
                                          "Execution role of the project's models and endpoints")

    def _role(self, construct_id: str, service: str, description: str) -> iam.Role:
        # A common path lets the Service Catalog launch role create and pass only these roles.
        return iam.Role(self, construct_id, assumed_by=iam.ServicePrincipal(service), path=ROLE_PATH,
                        description=description)
