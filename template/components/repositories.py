"""The model-build and model-deploy repositories: CodeCommit seeded from zips, or a CodeConnections source."""
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_codecommit as codecommit
from aws_cdk import aws_iam as iam
from constructs import Construct

from template.components.conditional import conditional_policy
from template.components.parameters import ProjectParameters

SOURCE_OUTPUT = "SourceArtifact"


@dataclass(frozen=True)
class Repository:
    """One repository as the pipelines see it: its CodeCommit name and ARN, or its owner/name id."""

    codecommit_name: str
    codecommit_arn: str
    repository_id: str


class SourceRepositories(Construct):
    """Both repositories, under the UseCodeCommit / UseCodeConnections conditions."""

    def __init__(self, scope: Construct, construct_id: str, *, params: ProjectParameters) -> None:
        super().__init__(scope, construct_id)
        self._params = params
        stack = cdk.Stack.of(self)
        self.build = self._codecommit("Build", f"{params.prefix}-modelbuild", params.build_seed_key,
                                      params.build_repository_id, stack)
        self.deploy = self._codecommit("Deploy", f"{params.prefix}-modeldeploy", params.deploy_seed_key,
                                       params.deploy_repository_id, stack)
        self.connection_arn = params.connection_arn

    def _codecommit(self, construct_id: str, name: str, seed_key: str, repository_id: str,
                    stack: cdk.Stack) -> Repository:
        repo = codecommit.CfnRepository(
            self, construct_id, repository_name=name,
            repository_description=f"SageMaker project {self._params.project_name}: {construct_id.lower()} seed",
            code=codecommit.CfnRepository.CodeProperty(
                branch_name=self._params.branch,
                s3=codecommit.CfnRepository.S3Property(bucket=self._params.seed_bucket, key=seed_key)))
        repo.cfn_options.condition = self._params.use_codecommit
        # The ARN is built from the name, not read from the (conditional) resource, so that policies and
        # pipelines can name it whichever source provider is chosen.
        arn = stack.format_arn(service="codecommit", resource=name, arn_format=cdk.ArnFormat.NO_RESOURCE_NAME)
        return Repository(codecommit_name=name, codecommit_arn=arn, repository_id=repository_id)

    def source_action(self, repo: Repository, *, role_arn: str | None = None) -> object:
        """The pipeline's Source action for `repo`: CodeCommit or CodeStarSourceConnection by condition."""
        common = {"Name": "Source", "RunOrder": 1, "OutputArtifacts": [{"Name": SOURCE_OUTPUT}]}
        codecommit_action = {
            **common, "ActionTypeId": {"Category": "Source", "Owner": "AWS", "Provider": "CodeCommit", "Version": "1"},
            # The push rule in events.py starts the pipeline; polling would double-start it.
            "Configuration": {"RepositoryName": repo.codecommit_name, "BranchName": self._params.branch,
                              "PollForSourceChanges": False}}
        connection_action = {
            **common, "ActionTypeId": {"Category": "Source", "Owner": "AWS", "Provider": "CodeStarSourceConnection",
                                       "Version": "1"},
            "Configuration": {"ConnectionArn": self.connection_arn, "FullRepositoryId": repo.repository_id,
                              "BranchName": self._params.branch, "DetectChanges": True}}
        return cdk.Fn.condition_if(self._params.use_codecommit.logical_id, codecommit_action, connection_action)

    def grant_pull(self, grantee: iam.IRole) -> None:
        """What CodePipeline's source action needs on both repositories and on the connection."""
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            actions=["codecommit:GetBranch", "codecommit:GetCommit", "codecommit:GetRepository",
                     "codecommit:UploadArchive", "codecommit:GetUploadArchiveStatus",
                     "codecommit:CancelUploadArchive"],
            resources=[self.build.codecommit_arn, self.deploy.codecommit_arn]))
        conditional_policy(self, "UseConnection", role=grantee, condition=self._params.use_connections,
                           statements=[iam.PolicyStatement(
                               actions=["codeconnections:UseConnection", "codestar-connections:UseConnection"],
                               resources=[self.connection_arn])])
