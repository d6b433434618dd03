"""The launch role of S3-based project templates: the Service Catalog launch role's construct and policy,
assumed by CloudFormation instead of Service Catalog.

CreateProject's CfnTemplateProvider.RoleARN is "the IAM role that CloudFormation assumes when creating the
stack" (botocore sagemaker model, CfnCreateTemplateProvider.RoleARN; AWS's documentation calls its example
AmazonSageMakerProjectsLaunchRole: https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-projects-templates-custom.html,
and aws-samples/sagemaker-custom-project-templates s3_templates/.../sagemaker-projects-roles-and-policies.yaml,
whose policy scopes S3-template project stacks to the name prefix SP-). The policy is portfolio_stack's
launch_statements (one policy, one hardening) with that prefix."""
import aws_cdk as cdk
from constructs import Construct

from portfolio_stack import LaunchRole
from template.components.boundary import account_boundary_policy
from template.components.guardrails import S3_LAUNCH_ROLE_NAME, S3_LAUNCH_ROLE_PATH, account_guardrails_policy

LAUNCH_ROLE_STACK = "sagemaker-project-launch-role"
S3_TEMPLATE_PROVISIONER = ("cloudformation.amazonaws.com", "SP")


class ProjectsLaunchRoleStack(cdk.Stack):
    """One role per account and template bucket; publish creates it once and reuses it after."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        bucket = cdk.CfnParameter(self, "TemplateBucket", type="String",
                                  description="Bucket holding the published project template and seed zips.",
                                  allowed_pattern="^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$").value_as_string
        # The launch role creates project roles only with the project boundary: the account needs the policy once.
        account_boundary_policy(self)
        account_guardrails_policy(self, template_bucket=bucket)
        # A fixed name: the guardrails let Studio users create S3-path stacks with this role only.
        self.launch_role = LaunchRole(self, "LaunchRole", template_bucket=bucket, provisioner=S3_TEMPLATE_PROVISIONER,
                                      description="Launch role of the SageMaker project S3 template "
                                                  "(CreateProject CfnTemplateProvider.RoleARN)",
                                      role_path=S3_LAUNCH_ROLE_PATH, role_name=S3_LAUNCH_ROLE_NAME)
        cdk.CfnOutput(self, "LaunchRoleArn", value=self.launch_role.role.role_arn,
                      description="Give this as RoleARN (Studio: Role ARN) when creating a project")


def add_stack(app: cdk.App) -> ProjectsLaunchRoleStack:
    """Add the launch-role stack to `app` (no assets, no bootstrap-version rule)."""
    return ProjectsLaunchRoleStack(app, LAUNCH_ROLE_STACK,
                                   synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
                                   description="Launch role of the SageMaker MLOps project S3 template")
