"""The project stack's CloudFormation parameters, conditions and rules, defined once and shared by the constructs."""
from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct
from mlops_guardrails import WHEEL_NAME

# SageMaker's project name (botocore's sagemaker model, ProjectEntityName: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}),
# starting with a letter as SageMaker's own project templates require.
PROJECT_NAME_PATTERN = "^[a-zA-Z](-*[a-zA-Z0-9])*$"
# SageMaker's project id as SageMaker generates it (p-abcdef123456): the IAM patterns that scope grants anchor on
# the id (SageMaker lower-cases names in ARNs, template/components/registry.py), and `*-<id>` is exact only
# because every id has this one length: no id can be the tail of another (issue #20).
PROJECT_ID_PATTERN = "^p-[a-z0-9]{12}$"
PROJECT_ID_LENGTH = 14
ACCOUNT_ID_PATTERN = r"^\d{12}$"
ROLE_NAME_PATTERN = r"^[\w+=,.@-]+$"  # IAM's role name characters (iam CreateRole: RoleName)
BUCKET_NAME_PATTERN = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
UNPUBLISHED_SEED_BUCKET = "unpublished-seed-bucket"
ACCOUNT_ID_OR_EMPTY = r"^(\d{12})?$"
CONNECTION_NEEDS_REPOSITORIES = ("BuildRepositoryId/DeployRepositoryId: empty: a CodeConnections source needs both "
                                 "owner/repository ids")
ACCOUNTS_TOGETHER = "StagingAccountId/ProdAccountId: one set, one empty: give both account ids or neither"


@dataclass(frozen=True)
class ProjectParameters:
    """Parameter values (as tokens) and the conditions derived from them."""

    project_name: str
    project_id: str
    connection_arn: str
    build_repository_id: str
    deploy_repository_id: str
    branch: str
    seed_bucket: str
    build_seed_key: str
    deploy_seed_key: str
    staging_account_id: str
    prod_account_id: str
    use_codecommit: cdk.CfnCondition
    use_connections: cdk.CfnCondition
    multi_account: cdk.CfnCondition
    toolkit_wheel_key: str = WHEEL_NAME  # the seeds' pinned mlops-guardrails, beside the seed zips

    @property
    def prefix(self) -> str:
        """`sagemaker-P-I`: the name prefix SageMaker's own templates give project resources."""
        return f"sagemaker-{self.project_name}-{self.project_id}"

    @property
    def model_package_group_name(self) -> str:
        """`P-I`, as docs/contracts.md names the group."""
        return f"{self.project_name}-{self.project_id}"


def _string(scope: Construct, name: str, description: str, **kwargs) -> str:
    return cdk.CfnParameter(scope, name, type="String", description=description, **kwargs).value_as_string


def declare_parameters(scope: Construct, *, seed_bucket: str, seed_prefix: str) -> ProjectParameters:
    """Declare every parameter, condition and rule of the project stack on `scope` (a Stack).

    `seed_bucket` / `seed_prefix` become the defaults of the seed location (publish sets them), since
    SageMaker passes only the project name and id when Studio creates a project.
    """
    name = _string(scope, "SageMakerProjectName", "Name of the project (passed by SageMaker).",
                   min_length=1, max_length=32, allowed_pattern=PROJECT_NAME_PATTERN)
    project_id = _string(scope, "SageMakerProjectId", "Service-generated id of the project (passed by SageMaker).",
                         min_length=PROJECT_ID_LENGTH, max_length=PROJECT_ID_LENGTH, allowed_pattern=PROJECT_ID_PATTERN)
    connection = _string(scope, "CodeConnectionArn", "Empty: CodeCommit repositories seeded from the seed zips. "
                         "Otherwise the ARN of an available CodeConnections connection to GitHub, GitLab or "
                         "Bitbucket, and BuildRepositoryId/DeployRepositoryId name the two repositories.",
                         default="", allowed_pattern="^(arn:[a-z-]+:(codeconnections|codestar-connections):.+)?$")
    build_repo = _string(scope, "BuildRepositoryId", "owner/repository of the model-build repo (CodeConnections "
                         "only).", default="")
    deploy_repo = _string(scope, "DeployRepositoryId", "owner/repository of the model-deploy repo (CodeConnections "
                          "only).", default="")
    branch = _string(scope, "BranchName", "Branch the pipelines follow.", default="main", min_length=1)
    bucket = _string(scope, "SeedBucket", "Bucket holding the seed zips (CodeCommit only) and the toolkit's wheel "
                     "(publish sets the default).",
                     default=seed_bucket, allowed_pattern=BUCKET_NAME_PATTERN)
    build_key = _string(scope, "BuildSeedKey", "Key of seed-build.zip in SeedBucket.",
                        default=f"{seed_prefix}seed-build.zip", min_length=1)
    deploy_key = _string(scope, "DeploySeedKey", "Key of seed-deploy.zip in SeedBucket.",
                         default=f"{seed_prefix}seed-deploy.zip", min_length=1)
    toolkit_key = _string(scope, "ToolkitWheelKey", "Key in SeedBucket of the mlops-guardrails wheel the seeds pin "
                          "(CodeBuild installs it; publish sets the default).",
                          default=f"{seed_prefix}{WHEEL_NAME}", min_length=1)
    staging = _string(scope, "StagingAccountId", "Staging account id; empty deploys staging in this account.",
                      default="", allowed_pattern=ACCOUNT_ID_OR_EMPTY)
    prod = _string(scope, "ProdAccountId", "Prod account id; empty deploys prod in this account.",
                   default="", allowed_pattern=ACCOUNT_ID_OR_EMPTY)

    use_codecommit = cdk.CfnCondition(scope, "UseCodeCommit", expression=cdk.Fn.condition_equals(connection, ""))
    use_connections = cdk.CfnCondition(scope, "UseCodeConnections", expression=cdk.Fn.condition_not(use_codecommit))
    multi_account = cdk.CfnCondition(scope, "MultiAccount", expression=cdk.Fn.condition_and(
        cdk.Fn.condition_not(cdk.Fn.condition_equals(staging, "")),
        cdk.Fn.condition_not(cdk.Fn.condition_equals(prod, ""))))
    _declare_rules(scope, connection=connection, build_repo=build_repo, deploy_repo=deploy_repo, staging=staging,
                   prod=prod)
    return ProjectParameters(
        project_name=name, project_id=project_id, connection_arn=connection, build_repository_id=build_repo,
        deploy_repository_id=deploy_repo, branch=branch, seed_bucket=bucket, build_seed_key=build_key,
        deploy_seed_key=deploy_key, staging_account_id=staging, prod_account_id=prod,
        use_codecommit=use_codecommit, use_connections=use_connections, multi_account=multi_account,
        toolkit_wheel_key=toolkit_key)


def _declare_rules(scope: Construct, *, connection: str, build_repo: str, deploy_repo: str, staging: str,
                   prod: str) -> None:
    """CloudFormation Rules: refuse inconsistent parameter sets before any resource is created."""
    cdk.CfnRule(scope, "ConnectionNeedsRepositories",
                rule_condition=cdk.Fn.condition_not(cdk.Fn.condition_equals(connection, "")), assertions=[
                    cdk.CfnRuleAssertion(assert_=cdk.Fn.condition_and(
                        cdk.Fn.condition_not(cdk.Fn.condition_equals(build_repo, "")),
                        cdk.Fn.condition_not(cdk.Fn.condition_equals(deploy_repo, ""))),
                        assert_description=CONNECTION_NEEDS_REPOSITORIES)])
    staging_empty = cdk.Fn.condition_equals(staging, "")
    prod_empty = cdk.Fn.condition_equals(prod, "")
    cdk.CfnRule(scope, "AccountsTogether", assertions=[
        cdk.CfnRuleAssertion(assert_=cdk.Fn.condition_or(
            cdk.Fn.condition_and(staging_empty, prod_empty),
            cdk.Fn.condition_and(cdk.Fn.condition_not(staging_empty), cdk.Fn.condition_not(prod_empty))),
            assert_description=ACCOUNTS_TOGETHER)])
