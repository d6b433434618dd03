"""One IAM role per service the project uses; the stack grants each only what it needs."""
import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components.policies import ROLE_PATH

SHADOW_TEST_ROLE_DESCRIPTION = "Role SageMaker runs the project's managed shadow tests as (inference experiments)"
# Each role carries its id in the template's Metadata under this key: tests and tools find a role by it,
# never by its description or generated logical id.
ROLE_ID_METADATA = "SageMakerProjectRole"


BUILD_SUFFIXES = ("modelbuild", "modeldeploy", "stagetest")
PIPELINE_SUFFIXES = ("modelbuild", "modeldeploy")


def service_principal(service: str, *, source_arn: str | list[str] | None = None) -> iam.ServicePrincipal:
    """`service`, only when it acts for this account (aws:SourceAccount) and, where the service sends it, for
    the project's own resources (aws:SourceArn): the confused-deputy guard AWS's service guides recommend."""
    conditions = {"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}
    if source_arn is not None:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    return iam.ServicePrincipal(service, conditions=conditions)


class ProjectRoles(Construct):
    """Roles for CodeBuild, CodePipeline, EventBridge, CloudFormation, the SageMaker Pipeline, the model and the
    managed shadow tests."""

    def __init__(self, scope: Construct, construct_id: str, *, name_prefix: str) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        # CodeBuild and CodePipeline send the project's / pipeline's ARN; EventBridge the rule's (named by
        # CloudFormation, so any rule of this account). SageMaker (its jobs, endpoints) and CloudFormation are
        # held to the account: neither documents aws:SourceArn for every call that assumes these roles.
        # Exact names (builds.py, pipelines.py name them): a prefix would also match another project's pipeline
        # named `<this prefix>-...` (a project name may contain `-p-...`), which could then run as these roles.
        builds = [stack.format_arn(service="codebuild", resource="project", resource_name=f"{name_prefix}-{suffix}")
                  for suffix in BUILD_SUFFIXES]
        pipelines = [stack.format_arn(service="codepipeline", resource=f"{name_prefix}-{suffix}",
                                      arn_format=cdk.ArnFormat.NO_RESOURCE_NAME) for suffix in PIPELINE_SUFFIXES]
        rules = stack.format_arn(service="events", resource="rule", resource_name="*")
        self.codebuild = self._role("CodeBuild", service_principal("codebuild.amazonaws.com", source_arn=builds),
                                    "Runs the project's CodeBuild projects")
        self.codepipeline = self._role("CodePipeline",
                                       service_principal("codepipeline.amazonaws.com", source_arn=pipelines),
                                       "Runs the project's build and deploy pipelines")
        self.events = self._role("Events", service_principal("events.amazonaws.com", source_arn=rules),
                                 "Starts the deploy pipeline on approval events")
        self.cloudformation = self._role("CloudFormation", service_principal("cloudformation.amazonaws.com"),
                                         "Deploys the staging and prod endpoint stacks in this account")
        self.sagemaker_pipeline = self._role("SageMakerPipeline", service_principal("sagemaker.amazonaws.com"),
                                             "Runs the SageMaker Pipeline's jobs and registers models")
        self.model_execution = self._role("ModelExecution", service_principal("sagemaker.amazonaws.com"),
                                          "Execution role of the project's models and endpoints")
        self.shadow_test = self._role("ShadowTest", service_principal("sagemaker.amazonaws.com"),
                                      SHADOW_TEST_ROLE_DESCRIPTION)

    def _role(self, construct_id: str, principal: iam.IPrincipal, description: str) -> iam.Role:
        # A common path lets the Service Catalog launch role create and pass only these roles.
        role = iam.Role(self, construct_id, assumed_by=principal, path=ROLE_PATH, description=description)
        role.node.default_child.add_metadata(ROLE_ID_METADATA, construct_id)
        return role
