"""CiProvider: which resources exist for CodePipeline and for the team's own CI, and the rules that refuse a CI
provider without its repositories or with what only CodePipeline uses."""
import pytest

from template.components.ci_providers import CI_NEEDS_REPOSITORIES, CI_NO_CONNECTION, CI_SINGLE_ACCOUNT
from resolve import Resolver, resolve_template

PROJECT = {"SageMakerProjectName": "abalone", "SageMakerProjectId": "p-abc123def456"}
GITHUB = {**PROJECT, "CiProvider": "GitHubActions", "BuildRepositoryId": "acme/build",
          "DeployRepositoryId": "acme/deploy"}
CODEPIPELINE_TYPES = ["AWS::CodeBuild::Project", "AWS::CodePipeline::Pipeline", "AWS::CodeCommit::Repository"]


def types(template: dict) -> list[str]:
    return sorted(r["Type"] for r in template["Resources"].values())


def ci_roles(template: dict) -> list[str]:
    return sorted(r["Properties"]["Description"] for r in template["Resources"].values()
                  if r["Type"] == "AWS::IAM::Role" and r["Properties"].get("Description", "").startswith("CI job:"))


def test_codepipeline_default_has_pipelines_and_no_ci_roles(project_template):
    template = resolve_template(project_template, PROJECT)
    assert [t for t in CODEPIPELINE_TYPES if t in types(template)] == CODEPIPELINE_TYPES
    assert ci_roles(template) == []
    assert "AWS::IAM::OIDCProvider" not in types(template)


@pytest.mark.parametrize("provider", ["GitHubActions", "GitLabCI"])
def test_external_ci_has_no_codepipeline_resources_and_one_role_per_job(project_template, provider):
    template = resolve_template(project_template, {**GITHUB, "CiProvider": provider})
    assert [t for t in CODEPIPELINE_TYPES if t in types(template)] == []
    assert ci_roles(template) == ["CI job: deploys the prod endpoint stack and verifies it",
                                  "CI job: deploys the staging endpoint stack and verifies it",
                                  "CI job: runs the model build's SageMaker Pipeline",
                                  "CI job: tests the staging endpoint"]
    # No policy names a resource that the CodePipeline path alone creates.
    policies = " ".join(str(r["Properties"]) for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy")
    assert "codebuild:StartBuild" not in policies and "codeconnections:UseConnection" not in policies
    outputs = {name for name in template.get("Outputs", {})}
    assert {"CiModelBuildRoleArn", "CiDeployStagingRoleArn", "CiDeployProdRoleArn", "CiStageTestRoleArn"} <= outputs


def failed_rules(template: dict, given: dict) -> list[str]:
    """CloudFormation's Rules for `given`: the description of every assertion that fails where the rule applies."""
    resolver = Resolver(template, given)
    failed = []
    for rule in template.get("Rules", {}).values():
        if "RuleCondition" in rule and not resolver.value(rule["RuleCondition"]):
            continue
        failed += [a["AssertDescription"] for a in rule["Assertions"] if not resolver.value(a["Assert"])]
    return failed


def test_rules_accept_a_complete_ci_parameter_set(project_template):
    assert failed_rules(project_template, GITHUB) == []
    assert failed_rules(project_template, PROJECT) == []


@pytest.mark.parametrize("change, message", [
    ({"DeployRepositoryId": ""}, CI_NEEDS_REPOSITORIES),
    ({"StagingAccountId": "111111111111", "ProdAccountId": "222222222222"}, CI_SINGLE_ACCOUNT),
    ({"CodeConnectionArn": "arn:aws:codeconnections:us-east-1:123456789012:connection/x"}, CI_NO_CONNECTION),
])
def test_rules_refuse_an_incomplete_or_mixed_ci_parameter_set(project_template, change, message):
    assert failed_rules(project_template, {**GITHUB, **change}) == [message]
