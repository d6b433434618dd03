"""The CI roles' OIDC trust, evaluated offline: only this project's repository, protected branch and environment,
with the STS audience, may assume each role (resolve.py + iam_policy.trust_matches)."""
import pytest

from iam_policy import Request, trust_matches
from resolved_project import ACCOUNT, BOUNDARY_ARN, PROJECT
from resolve import resolve_template
from iam_policy import role_principals

GITHUB = {**PROJECT, "CiProvider": "GitHubActions", "BuildRepositoryId": "acme/abalone-build",
          "DeployRepositoryId": "acme/abalone-deploy"}
GITLAB = {**GITHUB, "CiProvider": "GitLabCI", "GitLabHost": "gitlab.example.com",
          "BuildRepositoryId": "ml/abalone-build", "DeployRepositoryId": "ml/abalone-deploy"}
ISSUER = {"GitHubActions": "token.actions.githubusercontent.com", "GitLabCI": "gitlab.example.com"}
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


def ci_roles(template: dict) -> dict[str, dict]:
    """The CI roles by job kind (the word after "CI job: " in the description)."""
    return {r["Properties"]["Description"]: r["Properties"] for r in template["Resources"].values()
            if r["Type"] == "AWS::IAM::Role" and r["Properties"].get("Description", "").startswith("CI job:")}


def role(template: dict, fragment: str) -> dict:
    (found,) = [props for description, props in ci_roles(template).items() if fragment in description]
    return found


def assumes(template: dict, provider: str, fragment: str, *, sub: str, aud: str = "sts.amazonaws.com",
            federated: str | None = None) -> bool:
    issuer = ISSUER[provider]
    federated = federated or created_provider(template)
    return trust_matches(role(template, fragment), principal={"Federated": federated}, action=WEB_IDENTITY,
                         context={f"{issuer}:sub": sub, f"{issuer}:aud": aud})


def created_provider(template: dict) -> str:
    """The OIDC provider the stack creates, as the resolver leaves its ARN (GetAtt stays `<Id.Arn>`)."""
    (logical_id,) = [lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::IAM::OIDCProvider"]
    return f"<{logical_id}.Arn>"


@pytest.fixture(scope="module")
def github(synthesis) -> dict:
    return resolve_template(synthesis.template("sagemaker-project"), GITHUB)


@pytest.fixture(scope="module")
def gitlab(synthesis) -> dict:
    return resolve_template(synthesis.template("sagemaker-project"), GITLAB)


DEPLOY = "repo:acme/abalone-deploy:environment:{env}:ref:refs/heads/{branch}"


@pytest.mark.parametrize("fragment, environment", [("deploys the staging", "staging"), ("deploys the prod", "prod"),
                                                   ("tests the staging", "staging")])
def test_github_deploy_roles_trust_this_repository_branch_and_environment_only(github, fragment, environment):
    allowed = DEPLOY.format(env=environment, branch="main")
    assert assumes(github, "GitHubActions", fragment, sub=allowed)
    denied = {
        "another repository": allowed.replace("acme/abalone-deploy", "acme/other-deploy"),
        "a fork": allowed.replace("acme/", "forker/"),
        "a fork's pull request": "repo:acme/abalone-deploy:pull_request",
        "another branch": DEPLOY.format(env=environment, branch="feature"),
        "a branch that extends the name": DEPLOY.format(env=environment, branch="main-x"),
        "another environment": DEPLOY.format(env="dev", branch="main"),
        "no environment": "repo:acme/abalone-deploy:ref:refs/heads/main",
    }
    for case, sub in denied.items():
        assert not assumes(github, "GitHubActions", fragment, sub=sub), case
    assert not assumes(github, "GitHubActions", fragment, sub=allowed, aud="https://github.com/acme"), "audience"
    other_issuer = f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.com"
    assert not assumes(github, "GitHubActions", fragment, sub=allowed, federated=other_issuer), "issuer"


def test_github_prod_role_refuses_the_staging_environment(github):
    assert not assumes(github, "GitHubActions", "deploys the prod", sub=DEPLOY.format(env="staging", branch="main"))


def test_github_model_build_role_trusts_the_build_repository_main_branch_only(github):
    assert assumes(github, "GitHubActions", "model build", sub="repo:acme/abalone-build:ref:refs/heads/main")
    for sub in ("repo:acme/abalone-deploy:ref:refs/heads/main", "repo:acme/abalone-build:ref:refs/heads/dev",
                "repo:acme/abalone-build:pull_request", "repo:forker/abalone-build:ref:refs/heads/main"):
        assert not assumes(github, "GitHubActions", "model build", sub=sub), sub
    assert not assumes(github, "GitHubActions", "model build", sub="repo:acme/abalone-build:ref:refs/heads/main",
                       aud="sigstore")


@pytest.mark.parametrize("fragment", ["model build", "deploys the staging", "deploys the prod", "tests the staging"])
def test_gitlab_roles_trust_this_project_path_and_protected_branch_only(gitlab, fragment):
    path = "ml/abalone-build" if fragment == "model build" else "ml/abalone-deploy"
    allowed = f"project_path:{path}:ref_type:branch:ref:main"
    assert assumes(gitlab, "GitLabCI", fragment, sub=allowed)
    for sub in (allowed.replace(path, "ml/other"), allowed.replace("ml/", "forker/"),
                allowed.replace("ref:main", "ref:feature"), allowed.replace("ref_type:branch", "ref_type:tag")):
        assert not assumes(gitlab, "GitLabCI", fragment, sub=sub), sub
    assert not assumes(gitlab, "GitLabCI", fragment, sub=allowed, aud="https://gitlab.example.com")


def test_oidc_provider_is_created_for_the_issuer_unless_one_is_given(synthesis):
    template = synthesis.template("sagemaker-project")
    created = [r for r in resolve_template(template, GITLAB)["Resources"].values()
               if r["Type"] == "AWS::IAM::OIDCProvider"]
    assert [(r["Properties"]["Url"], r["Properties"]["ClientIdList"], r["DeletionPolicy"]) for r in created] == [
        ("https://gitlab.example.com", ["sts.amazonaws.com"], "Retain")]
    existing = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    given = resolve_template(template, {**GITHUB, "CiOidcProviderArn": existing})
    assert not [r for r in given["Resources"].values() if r["Type"] == "AWS::IAM::OIDCProvider"]
    assert assumes(given, "GitHubActions", "model build", sub="repo:acme/abalone-build:ref:refs/heads/main",
                   federated=existing)


@pytest.fixture(scope="module")
def github_principals(github, boundary_statements) -> dict:
    principals = role_principals(github, {BOUNDARY_ARN: boundary_statements})
    ids = {lid: r["Properties"]["Description"] for lid, r in github["Resources"].items()
           if r["Type"] == "AWS::IAM::Role"}
    return {ids[lid]: principal for lid, principal in principals.items()}


def principal(principals: dict, fragment: str):
    (found,) = [p for description, p in principals.items() if fragment in description]
    return found


STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/sagemaker-abalone-deploy-{stage}/1"
CFN_ROLE_PASS = {"iam:PassedToService": "cloudformation.amazonaws.com"}


@pytest.mark.parametrize("fragment, own, other", [("deploys the staging", "staging", "prod"),
                                                  ("deploys the prod", "prod", "staging")])
def test_deploy_roles_change_their_own_stage_stack_only(github_principals, fragment, own, other):
    deployer = principal(github_principals, fragment)
    for action in ("cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"):
        assert deployer.decide(Request(action, STACK.format(stage=own))) == "Allow"
        assert deployer.decide(Request(action, STACK.format(stage=other))) != "Allow"
        assert deployer.decide(Request(action, STACK.format(stage=own).replace("abalone", "abalone2"))) != "Allow"


def test_ci_roles_stay_inside_the_boundary_and_approve_nothing(github_principals):
    package = "arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-p-abc123def456/1"
    for description, p in github_principals.items():
        if description.startswith("CI job:"):
            assert p.boundary is not None, description
            assert p.decide(Request("sagemaker:UpdateModelPackage", package)) == "Deny", description
            assert p.decide(Request("iam:CreateRole", "arn:aws:iam::123456789012:role/x")) != "Allow"
    build = principal(github_principals, "model build")
    pipeline = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/abalone-p-abc123def456-build"
    assert build.decide(Request("sagemaker:StartPipelineExecution", pipeline)) == "Allow"
    assert build.decide(Request("sagemaker:StartPipelineExecution", pipeline.replace("p-abc123def456", "p-other1234567"))) \
        != "Allow"
    tester = principal(github_principals, "tests the staging")
    assert tester.decide(Request("cloudformation:CreateChangeSet", STACK.format(stage="staging"))) != "Allow"


def actions_of(principal_) -> set[str]:
    return {a.lower() for a in principal_.allowed_actions()}


def test_ci_model_build_role_has_the_codebuild_roles_actions_less_codebuilds_own(github_principals, project_roles):
    """Same scoped permissions as the CodePipeline path: what the CodeBuild role may, less CodeBuild's own log and
    report grants, CDK's grant of the key for encrypted build output, assuming target-account roles (a CI
    provider deploys in this account only), and the project's CodeArtifact repository (CodeBuild installs
    through it, inside the project's network; a CI runner installs from its own index)."""
    (codebuild,) = [p for lid, p in project_roles.items() if lid.startswith("RolesCodeBuild")]
    own = {a for a in actions_of(codebuild) if a.startswith(("logs:", "codebuild:", "codeartifact:"))} | {
        "sts:assumerole", "kms:generatedatakey*", "kms:reencrypt*", "sts:getservicebearertoken"}
    assert actions_of(principal(github_principals, "model build")) == actions_of(codebuild) - own


def test_ci_deploy_roles_have_cloudformations_action_and_the_stage_test_nothing_more(github_principals,
                                                                                     project_roles):
    """The deploy roles may what CodePipeline's CloudFormation action and the deploy build and stage test may
    (CodePipeline and CodeBuild roles), plus the change set calls `aws cloudformation deploy` makes."""
    (codebuild,) = [p for lid, p in project_roles.items() if lid.startswith("RolesCodeBuild")]
    (codepipeline,) = [p for lid, p in project_roles.items() if lid.startswith("RolesCodePipeline")]
    change_sets = {"cloudformation:createchangeset", "cloudformation:describechangeset",
                   "cloudformation:executechangeset"}
    for fragment in ("deploys the staging", "deploys the prod"):
        extra = actions_of(principal(github_principals, fragment)) - actions_of(codebuild) - actions_of(codepipeline)
        assert extra == change_sets, fragment
