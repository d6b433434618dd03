"""Multi-account deploys: the role ARNs the deploy stages assume in the staging and prod accounts."""
import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components.conditional import conditional_policy
from template.components.parameters import ProjectParameters
from template.components.policies import ROLE_PATH

# Role names the target-account stack (template/target_account_stack.py) creates; both sides use these.
ACTION_ROLE = "sagemaker-{project_id}-deploy-action"
CFN_ROLE = "sagemaker-{project_id}-cfn-deploy"
MODEL_ROLE = "sagemaker-{project_id}-model-execution"
STAGE_TEST_ROLE = "sagemaker-{project_id}-stage-test"
SHADOW_TEST_ROLE = "sagemaker-{project_id}-shadow-test"


def target_role_arn(account_id: str, template: str, project_id: str) -> str:
    """ARN of one of the target-account stack's roles in `account_id`."""
    # Fn::Sub rather than CDK's Fn::Join: cfn-lint (E3703) asks for Sub in pipeline role ARNs.
    name = template.format(project_id="${ProjectId}")
    return cdk.Fn.sub(f"arn:${{AWS::Partition}}:iam::${{AccountId}}:role{ROLE_PATH}{name}",
                      {"AccountId": account_id, "ProjectId": project_id})


def target_roles_share(params: ProjectParameters, *templates: str) -> tuple[dict, dict]:
    """Principal and Condition of a bucket, key or registry policy statement that lets the target accounts'
    roles named by `templates` in (and no other principal of those accounts): the account roots as principal,
    narrowed to the exact roles by aws:PrincipalArn. (Naming the roles as principals would fail while they do
    not exist yet: the target-account stacks are deployed after this one, from its outputs.)"""
    accounts = [params.staging_account_id, params.prod_account_id]
    principal = {"AWS": [f"arn:{cdk.Aws.PARTITION}:iam::{account}:root" for account in accounts]}
    arns = [target_role_arn(account, template, params.project_id) for account in accounts for template in templates]
    return principal, {"ArnEquals": {"aws:PrincipalArn": arns}}


class CrossAccountDeploy(Construct):
    """Chooses, per stage, this account's roles or the target account's, under the MultiAccount condition."""

    def __init__(self, scope: Construct, construct_id: str, *, params: ProjectParameters,
                 local_cfn_role_arn: str) -> None:
        super().__init__(scope, construct_id)
        self._params = params
        self._local_cfn_role_arn = local_cfn_role_arn
        self.accounts = {"staging": params.staging_account_id, "prod": params.prod_account_id}

    def action_role_arn(self, stage: str) -> object:
        """The deploy action's own role: the target account's action role, or none (the pipeline's role)."""
        return cdk.Fn.condition_if(self._params.multi_account.logical_id,
                                   target_role_arn(self.accounts[stage], ACTION_ROLE, self._params.project_id),
                                   cdk.Aws.NO_VALUE)

    def cfn_role_arn(self, stage: str) -> object:
        """The role CloudFormation deploys the stage stack with."""
        return cdk.Fn.condition_if(self._params.multi_account.logical_id,
                                   target_role_arn(self.accounts[stage], CFN_ROLE, self._params.project_id),
                                   self._local_cfn_role_arn)

    def parameter_overrides(self, stage: str) -> object:
        """In multi-account mode the endpoint runs as the target account's model role (the endpoint template's
        ModelExecutionRoleArn parameter); otherwise the stage's template configuration decides."""
        name = MODEL_ROLE.format(project_id="${ProjectId}")
        overrides = cdk.Fn.sub(
            '{"ModelExecutionRoleArn": "arn:${AWS::Partition}:iam::${AccountId}:role' + ROLE_PATH + name + '"}',
            {"AccountId": self.accounts[stage], "ProjectId": self._params.project_id})
        return cdk.Fn.condition_if(self._params.multi_account.logical_id, overrides, cdk.Aws.NO_VALUE)

    def stage_test_role_arn(self, stage: str) -> str:
        """The role the stage test assumes to reach the stage's endpoint: the target account's, or none ("")."""
        return cdk.Token.as_string(cdk.Fn.condition_if(
            self._params.multi_account.logical_id,
            target_role_arn(self.accounts[stage], STAGE_TEST_ROLE, self._params.project_id), ""))

    def grant_assume(self, *, pipeline_role: iam.IRole, codebuild_role: iam.IRole) -> None:
        """Only when target accounts are set: the pipeline role may assume the deploy-action roles, the
        CodeBuild role the stage-test roles (TestStaging and VerifyProd run in this account)."""
        for construct_id, role, template in (("AssumeTargetRoles", pipeline_role, ACTION_ROLE),
                                             ("AssumeStageTestRoles", codebuild_role, STAGE_TEST_ROLE)):
            arns = [target_role_arn(account, template, self._params.project_id) for account in self.accounts.values()]
            conditional_policy(self, construct_id, role=role, condition=self._params.multi_account,
                               statements=[iam.PolicyStatement(actions=["sts:AssumeRole"], resources=arns)])
