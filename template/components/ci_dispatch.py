"""A registry approval or rejection starts the team's deploy workflow: the approval rule (the same pattern as the
CodePipeline path's) targets an EventBridge API destination; the CI credential lives in the EventBridge
connection (EventBridge keeps it in Secrets Manager), read from a secret the admin creates, never in a workflow.

GitHub Actions: POST /repos/OWNER/REPO/dispatches (a repository_dispatch event; the deploy workflow listens for
`sagemaker-model-approval`), the secret being the `Authorization` header value ("Bearer <token>" of a
fine-grained token allowed to write the repository's contents, or a GitHub App's). GitLab CI: POST
/api/v4/projects/<path>/trigger/pipeline, the secret being a pipeline trigger token, sent as the `token` query
parameter GitLab reads (EventBridge connections authenticate by header, so the same secret is the API key too).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components.conditional import conditional_policy
from template.components.events import model_approval_pattern
from template.components.nag import acknowledge_validation
from template.components.parameters import ProjectParameters

if TYPE_CHECKING:
    from template.components.ci_providers import CiParameters

DISPATCH_EVENT_TYPE = "sagemaker-model-approval"
GITHUB_API = "https://api.github.com"
# What the deploy workflow receives: the model package, its new status and group (the workflow finds the
# newest Approved version itself, as the CodePipeline path's build does).
INPUT_PATHS = {"arn": "$.detail.ModelPackageArn", "status": "$.detail.ModelApprovalStatus",
               "group": "$.detail.ModelPackageGroupName"}
GITHUB_BODY = ('{"event_type": "' + DISPATCH_EVENT_TYPE + '", "client_payload": {"model_package_arn": "<arn>", '
               '"model_approval_status": "<status>", "model_package_group_name": "<group>"}}')
GITLAB_BODY = ('{"ref": "${BranchName}", "variables": {"MODEL_PACKAGE_ARN": "<arn>", '
               '"MODEL_APPROVAL_STATUS": "<status>", "MODEL_PACKAGE_GROUP_NAME": "<group>"}}')


class CiDispatch(Construct):
    """Connection, API destination and the approval rule that targets it (under UseExternalCi)."""

    def __init__(self, scope: Construct, construct_id: str, *, params: ProjectParameters, ci: CiParameters,
                 role: iam.IRole, group_name: str) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        secret = cdk.CfnParameter(
            stack, "CiDispatchSecretName", type="String", default="", allowed_pattern=r"^[\w/+=.@-]*$",
            description="GitHubActions/GitLabCI: name of the Secrets Manager secret holding the CI credential that "
                        "starts the deploy workflow (GitHub: 'Bearer <token>'; GitLab: a pipeline trigger token)"
        ).value_as_string
        acknowledge_validation(stack, "CloudFormation-Validate::W2509",
                               "CiDispatchSecretName names a Secrets Manager secret; the credential never passes "
                               "through a parameter (a dynamic reference resolves it).")
        credential = cdk.Fn.sub("{{resolve:secretsmanager:${Secret}}}", {"Secret": secret})
        github = ci.use_github.logical_id
        self.connection = events.CfnConnection(
            self, "Connection", authorization_type="API_KEY",
            description=f"Starts the deploy workflow of SageMaker project {params.project_name}",
            auth_parameters=events.CfnConnection.AuthParametersProperty(
                api_key_auth_parameters=events.CfnConnection.ApiKeyAuthParametersProperty(
                    api_key_name=cdk.Fn.condition_if(github, "Authorization", "X-Trigger-Token").to_string(),
                    api_key_value=credential),
                invocation_http_parameters=events.CfnConnection.ConnectionHttpParametersProperty(
                    query_string_parameters=cdk.Fn.condition_if(github, cdk.Aws.NO_VALUE, [
                        {"Key": "token", "Value": credential, "IsValueSecret": True}]))))
        gitlab_project = cdk.Fn.join("%2F", cdk.Fn.split("/", params.deploy_repository_id))
        endpoint = cdk.Fn.condition_if(
            github, cdk.Fn.sub(f"{GITHUB_API}/repos/${{Repository}}/dispatches",
                               {"Repository": params.deploy_repository_id}),
            cdk.Fn.sub("https://${Host}/api/v4/projects/${Project}/trigger/pipeline",
                       {"Host": ci.gitlab_host, "Project": gitlab_project})).to_string()
        self.destination = events.CfnApiDestination(
            self, "Destination", connection_arn=self.connection.attr_arn, http_method="POST",
            invocation_endpoint=endpoint, invocation_rate_limit_per_second=1,
            description="The deploy workflow's start API")
        body = cdk.Fn.condition_if(github, GITHUB_BODY, cdk.Fn.sub(GITLAB_BODY, {"BranchName": params.branch}))
        self.rule = events.CfnRule(
            self, "ModelApproval", description=f"Starts the deploy workflow of {params.project_name} on approvals",
            event_pattern=model_approval_pattern(group_name), state="ENABLED",
            targets=[events.CfnRule.TargetProperty(
                id="DeployWorkflow", arn=self.destination.attr_arn, role_arn=role.role_arn,
                http_parameters=events.CfnRule.HttpParametersProperty(header_parameters=cdk.Fn.condition_if(
                    github, {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
                    {"Content-Type": "application/json"})),
                input_transformer=events.CfnRule.InputTransformerProperty(input_paths_map=INPUT_PATHS,
                                                                          input_template=body.to_string()))])
        for resource in (self.connection, self.destination, self.rule):
            resource.cfn_options.condition = ci.use_external_ci
        conditional_policy(self, "InvokeDestination", role=role, condition=ci.use_external_ci, statements=[
            iam.PolicyStatement(actions=["events:InvokeApiDestination"], resources=[self.destination.attr_arn])])
