"""EventBridge rules: model approval starts the deploy pipeline; a CodeCommit push starts its pipeline."""
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components.parameters import ProjectParameters
from template.components.repositories import Repository

APPROVAL_DETAIL_TYPE = "SageMaker Model Package State Change"
DEPLOYING_STATUSES = ["Approved", "Rejected"]


def model_approval_pattern(group_name: str) -> dict:
    """Only this group's Approved and Rejected events (Rejected redeploys the newest still-Approved version)."""
    return {"source": ["aws.sagemaker"], "detail-type": [APPROVAL_DETAIL_TYPE],
            "detail": {"ModelPackageGroupName": [group_name], "ModelApprovalStatus": DEPLOYING_STATUSES}}


def push_pattern(repo: Repository, branch: str) -> dict:
    """A push (create or update) to `branch` of a CodeCommit repository."""
    return {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
            "resources": [repo.codecommit_arn],
            "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"],
                       "referenceName": [branch]}}


class ProjectEvents(Construct):
    """The approval rule and the two push rules (the latter only for CodeCommit sources)."""

    def __init__(self, scope: Construct, construct_id: str, *, params: ProjectParameters, role: iam.IRole,
                 group_name: str, build_repo: Repository, deploy_repo: Repository, build_pipeline_arn: str,
                 deploy_pipeline_arn: str) -> None:
        super().__init__(scope, construct_id)
        self.model_approval = self._rule("ModelApproval", f"Deploys approved models of {params.project_name}",
                                         model_approval_pattern(group_name), deploy_pipeline_arn, role)
        self.build_push = self._rule("BuildPush", "Runs the model build on a push",
                                     push_pattern(build_repo, params.branch), build_pipeline_arn, role)
        self.deploy_push = self._rule("DeployPush", "Redeploys on a push to the deploy repository",
                                      push_pattern(deploy_repo, params.branch), deploy_pipeline_arn, role)
        for rule in (self.build_push, self.deploy_push):
            rule.cfn_options.condition = params.use_codecommit

    def _rule(self, construct_id: str, description: str, pattern: dict, target_arn: str,
              role: iam.IRole) -> events.CfnRule:
        return events.CfnRule(self, construct_id, description=description, event_pattern=pattern, state="ENABLED",
                              targets=[events.CfnRule.TargetProperty(id="Pipeline", arn=target_arn,
                                                                     role_arn=role.role_arn)])
